"""`fetch_database` against a loopback HTTP server laid out like PhysioNet's file tree."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from cardiowatch.data.fetch import fetch_database
from cardiowatch.errors import DataUnavailable


@pytest.fixture
def mirror(tmp_path: Path):
    """A folder served on 127.0.0.1 with RECORDS, SHA256SUMS.txt and two records' files."""
    site = tmp_path / "site"
    site.mkdir()
    files = {"100.hea": b"100 2 360 650000\r\n", "100.dat": bytes(range(256)) * 40, "100.atr": b"\x00\x01" * 30,
             "101.hea": b"101 2 360 650000\r\n", "101.dat": b"\x07" * 900, "101.atr": b"\x02\x03" * 10}
    for name, data in files.items():
        (site / name).write_bytes(data)
    (site / "RECORDS").write_text("100\n101\n")
    (site / "SHA256SUMS.txt").write_text(
        "".join(f"{hashlib.sha256(d).hexdigest()} {n}\n" for n, d in files.items()))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site, f"http://127.0.0.1:{server.server_address[1]}/", files
    server.shutdown()


def test_fetch_downloads_every_file_and_checks_it(mirror, tmp_path) -> None:
    site, url, files = mirror
    seen: list[str] = []
    dest = fetch_database("mitdb", root=tmp_path / "data", base_url=url, progress=lambda d, t, n: seen.append(n))
    assert {p.name: p.read_bytes() for p in dest.iterdir() if p.name in files} == files
    assert (dest / "RECORDS").read_text() == "100\n101\n" and set(seen) == set(files)


def test_fetch_of_some_records_takes_only_their_files(mirror, tmp_path) -> None:
    _, url, _ = mirror
    dest = fetch_database("mitdb", root=tmp_path / "data", base_url=url, records=["101"])
    assert sorted(p.name for p in dest.iterdir() if p.name != "RECORDS") == ["101.atr", "101.dat", "101.hea"]


def test_a_corrupt_download_is_removed_and_reported(mirror, tmp_path) -> None:
    site, url, _ = mirror
    (site / "100.dat").write_bytes(b"tampered")
    with pytest.raises(DataUnavailable, match="sha256"):
        fetch_database("mitdb", root=tmp_path / "data", base_url=url)
    assert not (tmp_path / "data" / "mitdb" / "100.dat").exists()


def test_offline_fails_with_a_clear_message(tmp_path) -> None:
    with pytest.raises(DataUnavailable, match="offline"):
        fetch_database("mitdb", root=tmp_path / "data", base_url="http://127.0.0.1:9/")
