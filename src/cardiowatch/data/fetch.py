"""Download a PhysioNet database into the data root, checking published SHA256 sums."""

from __future__ import annotations

import hashlib
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from cardiowatch.data.databases import data_root, get_database
from cardiowatch.errors import DataUnavailable

log = logging.getLogger(__name__)

#: Called as progress(done_bytes, total_bytes_or_None, file_name) while downloading.
ProgressFn = Callable[[int, int | None, str], None]

_CHUNK = 1 << 16
_TIMEOUT_S = 30.0


def _get(url: str) -> urllib.request.addinfourl:
    try:
        return urllib.request.urlopen(url, timeout=_TIMEOUT_S)  # noqa: S310 (https or a test's loopback)
    except urllib.error.HTTPError as exc:
        raise DataUnavailable(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DataUnavailable(
            f"cannot reach {url} ({exc}); are you offline? Copy the database into the data root by hand "
            "or set CARDIOWATCH_DATA to a folder that holds it"
        ) from exc


def _read_text(url: str) -> str:
    with _get(url) as resp:
        return resp.read().decode("utf-8")


def _parse_sums(text: str) -> dict[str, str]:
    sums: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(maxsplit=1)
        if len(parts) == 2:
            sums[parts[1].strip().lstrip("*")] = parts[0].lower()
    return sums


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_database(
    name: str,
    *,
    root: str | os.PathLike[str] | None = None,
    base_url: str | None = None,
    records: list[str] | None = None,
    progress: ProgressFn | None = None,
) -> Path:
    """Download database ``name`` into ``<root>/<name>`` and return that folder.

    Files come from the published checksum list (or RECORDS when there is none) and each is checked
    against its SHA256 sum; a file already present with the right sum is not downloaded again.
    ``base_url`` overrides PhysioNet's address (tests serve the files from a loopback server).
    ``records`` limits the download to those records' files.
    """
    db = get_database(name)
    url = (base_url or db.url).rstrip("/") + "/"
    dest = data_root(root) / db.name
    dest.mkdir(parents=True, exist_ok=True)

    sums: dict[str, str] = {}
    if db.checksums:
        try:
            sums = _parse_sums(_read_text(url + db.checksums))
        except DataUnavailable as exc:
            if "HTTP 404" not in str(exc):
                raise
            log.warning("%s publishes no %s; files will not be checked", db.name, db.checksums)
    record_list = _read_text(url + "RECORDS")
    (dest / "RECORDS").write_text(record_list)
    wanted = set(records) if records is not None else None
    files = sorted(sums) if sums else [f"{r}.{ext}" for r in record_list.split() for ext in ("hea", "dat", db.annotator)]
    files = [f for f in files if "/" not in f]
    if wanted is not None:
        files = [f for f in files if f.split(".", 1)[0] in wanted or f.split(".", 1)[0].rstrip("n") in wanted]

    for file_name in files:
        target = dest / file_name
        want = sums.get(file_name)
        if target.is_file() and want and _sha256(target) == want:
            continue
        _download(url + file_name, target, progress)
        if want and (got := _sha256(target)) != want:
            target.unlink()
            raise DataUnavailable(f"{db.name}/{file_name}: sha256 {got}, expected {want}; removed")
    return dest


def _download(url: str, target: Path, progress: ProgressFn | None) -> None:
    partial = target.with_name(target.name + ".part")
    with _get(url) as resp, partial.open("wb") as out:
        total = resp.headers.get("Content-Length")
        total_bytes = int(total) if total and total.isdigit() else None
        done = 0
        while block := resp.read(_CHUNK):
            out.write(block)
            done += len(block)
            if progress is not None:
                progress(done, total_bytes, target.name)
    partial.replace(target)  # never leave a half-written file under the real name
