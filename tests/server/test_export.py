"""Export of a stored stretch as WFDB and EDF+, read back with wfdb and edfio: samples within one ADC step,
annotations equal, a gap marked, empty and bad ranges refused, and only API users may export."""

from __future__ import annotations

import io
import zipfile

import edfio
import numpy as np
import pytest
import wfdb
from fastapi.testclient import TestClient
from server_helpers import make_settings, register

from cardiowatch.app import create_app
from cardiowatch.dashboard.users import Role, UserStore
from cardiowatch.protocol import Frame, FrameFlags, SensorKind, frame_encode
from cardiowatch.server.storage import crud
from cardiowatch.server.storage.models import AlertRow

FS = 250
N = 50  # samples per frame
SCALE_NV = 8000  # 8 µV per count: 125 counts per mV
SEQS = [*range(0, 30), *range(35, 60)]  # frames 30-34 never arrive: a 1-s gap
LEAD_OFF_SEQS = {50, 51}


def _counts(seq: int) -> np.ndarray:
    """A 12-bit ECG-like wave with noise, different in every frame."""
    t = (np.arange(N) + seq * N) / FS
    rng = np.random.default_rng(seq)
    return np.clip(2048 + np.round(600 * np.sin(2 * np.pi * 1.2 * t) ** 15 + rng.normal(0, 20, N)), 0, 4095)


def _frames(device_id: int) -> bytes:
    return b"".join(frame_encode(Frame(
        device_id=device_id, seq=seq, t_us=seq * N * 1_000_000 // FS, fs_millihz=FS * 1000, sensor=SensorKind.ECG,
        samples=_counts(seq).astype(np.int32), scale_nv=SCALE_NV,
        flags=FrameFlags.LEAD_OFF if seq in LEAD_OFF_SEQS else FrameFlags.NONE)) for seq in SEQS)


@pytest.fixture
def stored(client):
    """A device with 12 s of stored ECG (a gap of 1 s in it), beats, two rhythms and an alert; returns
    (client, device id, time of the first stored sample, expected counts with NaN in the gap)."""
    device = register(client, "export-1")
    answer = client.post("/api/v1/ingest/frames", content=_frames(device.id), headers=device.auth).json()
    assert answer["stored"] == SEQS
    t0 = client.get(f"/api/v1/devices/{device.id}/samples").json()[0]["t_us"]
    at = lambda sample: t0 + sample * 1_000_000 // FS  # noqa: E731
    with client.app.state.session_factory() as session:
        crud.add_beats(session=session, device_id=device.id, beats=[(at(s), label) for s, label in BEATS])
        crud.start_episode(session=session, device_id=device.id, rhythm="N", t_us=at(0))
        crud.start_episode(session=session, device_id=device.id, rhythm="AFIB", t_us=at(AF_FROM))
        crud.save_alert(session=session, device_id=device.id, alert_id=1, kind="atrial_fibrillation",
                        severity="warning", state="active", level=0, detail="", raised_at=at(AF_FROM) / 1e6 + 30,
                        updated_at=at(AF_FROM) / 1e6 + 30, resolved_at=None, action="raised", by="system",
                        at=at(AF_FROM) / 1e6 + 30, snoozed_until=None)
        session.get(AlertRow, 1).onset_t_us = at(AF_FROM)
        session.commit()
    expected = np.full(60 * N, np.nan)
    for seq in SEQS:
        expected[seq * N:(seq + 1) * N] = _counts(seq)
    return client, device.id, t0, expected


BEATS = [(100, "N"), (400, "V"), (700, "N"), (2200, "S"), (2600, "Q")]
AF_FROM = 2000
GAP = (30 * N, 35 * N)


def _expected_annotations():
    """(sample, symbol, aux) as WFDB should hold them, in sample order."""
    notes = [(0, "+", "(N"), (AF_FROM, "+", "(AFIB"), (AF_FROM, '"', "alert atrial_fibrillation"),
             (GAP[0], '"', f"signal gap {(GAP[1] - GAP[0]) / FS:.3f} s"), (50 * N, '"', "lead off")]
    beats = [(s, label, "") for s, label in BEATS]
    return sorted([*beats, *notes], key=lambda a: a[0])


def _export(client, device_id, fmt, start_us, end_us):
    return client.get(f"/api/v1/devices/{device_id}/export",
                      params={"start_us": start_us, "end_us": end_us, "format": fmt})


def test_wfdb_export_reads_back_with_wfdb(stored, tmp_path):
    client, device_id, t0, expected = stored
    response = _export(client, device_id, "wfdb", t0 - 5_000_000, t0 + 60_000_000)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    zipfile.ZipFile(io.BytesIO(response.content)).extractall(tmp_path)
    name = next(tmp_path.glob("*.hea")).stem
    record = wfdb.rdrecord(str(tmp_path / name))
    assert (record.fs, record.units, record.sig_name, record.adc_gain) == (FS, ["mV"], ["ECG"], [125.0])
    assert record.sig_len == len(expected)
    values = record.p_signal[:, 0]
    assert np.array_equal(np.isnan(values), np.isnan(expected))  # the gap reads back as NaN, nothing else
    ok = ~np.isnan(expected)
    assert np.max(np.abs(values[ok] - expected[ok] / 125.0)) <= 1 / 125.0  # within one ADC step
    assert record.base_datetime.timestamp() == pytest.approx(t0 / 1e6, abs=1e-6)
    ann = wfdb.rdann(str(tmp_path / name), "atr")
    assert sorted(zip(ann.sample.tolist(), ann.symbol, ann.aux_note)) == sorted(_expected_annotations())


def test_edf_export_reads_back_with_edfio(stored, tmp_path):
    client, device_id, t0, expected = stored
    response = _export(client, device_id, "edf", t0, t0 + 60_000_000)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].endswith('.edf"')
    path = tmp_path / "out.edf"
    path.write_bytes(response.content)
    edf = edfio.read_edf(path)
    (signal,) = edf.signals
    assert (signal.label, signal.physical_dimension, signal.sampling_frequency) == ("ECG", "mV", FS)
    values = signal.data[:len(expected)]
    ok = ~np.isnan(expected)
    assert np.max(np.abs(values[ok] - expected[ok] / 125.0)) <= 1 / 125.0
    assert np.allclose(values[~ok], 0.0, atol=1e-9)  # the documented fill: 0 counts
    texts = sorted((round(a.onset * FS), a.text, a.duration) for a in edf.annotations)
    gap_s = (GAP[1] - GAP[0]) / FS
    wanted = [(s, label, None) for s, label in BEATS] + [
        (0, "(N", None), (AF_FROM, "(AFIB", None), (AF_FROM, "alert atrial_fibrillation", None),
        (GAP[0], "signal gap", gap_s), (50 * N, "lead off", 2 * N / FS)]
    assert texts == sorted(wanted)
    assert edf.startdate.isoformat() and edf.starttime.microsecond == (t0 % 1_000_000)


def test_an_episode_exports_by_its_id(stored, tmp_path):
    client, device_id, t0, _ = stored
    with client.app.state.session_factory() as session:
        episode = crud.list_episodes(session=session, device_id=device_id)[-1]
        episode_id, start = episode.id, episode.start_t_us
    response = client.get(f"/api/v1/devices/{device_id}/export", params={"episode_id": episode_id, "format": "wfdb"})
    assert response.status_code == 200, response.text
    zipfile.ZipFile(io.BytesIO(response.content)).extractall(tmp_path)
    record = wfdb.rdrecord(str(next(tmp_path.glob("*.hea")).with_suffix("")))
    assert record.sig_len == 60 * N - AF_FROM  # from the AF onset to the end of what is stored
    assert record.base_datetime.timestamp() == pytest.approx(start / 1e6, abs=1e-6)


def test_empty_and_bad_ranges_are_refused_clearly(stored):
    client, device_id, t0, _ = stored
    assert _export(client, device_id, "edf", t0 + 3_600_000_000, t0 + 3_700_000_000).status_code == 404
    assert _export(client, device_id, "edf", t0 + 10_000_000, t0).status_code == 422
    assert _export(client, device_id, "edf", t0, t0 + 7 * 3_600_000_000).status_code == 422
    assert _export(client, device_id, "csv", t0, t0 + 1_000_000).status_code == 422
    assert client.get(f"/api/v1/devices/{device_id}/export").status_code == 422
    assert client.get(f"/api/v1/devices/{device_id}/export", params={"episode_id": 999}).status_code == 404
    assert _export(client, 77, "edf", t0, t0 + 1_000_000).status_code == 404


KEY = "k" * 24


def test_only_api_users_and_logged_in_users_may_export_not_devices(sqlite_database):
    app = create_app(make_settings(sqlite_database, api_key=KEY), pipeline_factory=None)
    with TestClient(app) as client:
        device = client.post("/api/v1/devices", json={"name": "a"}, headers={"X-API-Key": KEY}).json()
        client.post("/api/v1/ingest/frames", content=_frames(device["id"]),
                    headers={"Authorization": f"Bearer {device['token']}"})
        t0 = client.get(f"/api/v1/devices/{device['id']}/samples", headers={"X-API-Key": KEY}).json()[0]["t_us"]
        url = f"/api/v1/devices/{device['id']}/export?start_us={t0}&end_us={t0 + 1_000_000}&format=edf"
        assert client.get(url).status_code == 401
        assert client.get(url, headers={"Authorization": f"Bearer {device['token']}"}).status_code == 401
        assert client.get(url, headers={"X-API-Key": KEY}).status_code == 200
        UserStore(app.state.engine).add_user("vic", "battery staple", Role.VIEWER)
        assert client.post("/login", json={"name": "vic", "password": "battery staple"}).status_code == 200
        assert client.get(url).status_code == 200


def test_the_cli_exports_from_the_database(stored, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cardiowatch.cli import app as cli

    client, device_id, t0, expected = stored
    settings = client.app.state.settings
    if settings.database_schema is not None:
        monkeypatch.setenv("CARDIOWATCH_DATABASE_SCHEMA", settings.database_schema)
    base = ["export", str(device_id), "--database-url", settings.database_url, "--out", str(tmp_path)]
    result = CliRunner().invoke(cli, [*base, "--start", str(t0 / 1e6), "--end", str(t0 / 1e6 + 60),
                                      "--format", "wfdb"])
    assert result.exit_code == 0, result.output
    record = wfdb.rdrecord(str(next(tmp_path.glob("*.hea")).with_suffix("")))
    assert np.array_equal(np.isnan(record.p_signal[:, 0]), np.isnan(expected))
    with client.app.state.session_factory() as session:
        episode_id = crud.list_episodes(session=session, device_id=device_id)[0].id
    result = CliRunner().invoke(cli, [*base, "--episode", str(episode_id)])
    assert result.exit_code == 0, result.output
    assert len(edfio.read_edf(next(tmp_path.glob("*.edf"))).signals[0].data) == AF_FROM
    empty = CliRunner().invoke(cli, [*base, "--start", "2001-01-01T00:00:00", "--end", "2001-01-01T00:01:00"])
    assert empty.exit_code == 1 and "no stored signal" in empty.output


REPLAY_S = 120


@pytest.mark.data
def test_a_replayed_mitdb_record_exports_what_the_server_stored_and_found(mitdb, sqlite_database, tmp_path):
    """mitdb/100 through the real ingest path and pipeline at its own 360 Hz (frame times that do not fall
    on whole µs), exported and read back: every sample, beat and rhythm change."""
    from test_live_pipeline import T0_US, _frames as record_frames

    from cardiowatch.data import read_record
    from cardiowatch.server.pipelines import default_pipeline_factory

    if default_pipeline_factory()(360.0, "ecg") is None:
        pytest.skip("the beat classifier is not trained in this checkout")
    record = read_record(mitdb, "100")
    counts = np.round(record.signals["MLII"][: REPLAY_S * 360] * 125.0).astype(np.int64)
    app = create_app(make_settings(sqlite_database))
    with TestClient(app) as client:
        device = register(client, "mitdb-100")
        frames = record_frames(device.id, counts, record.fs, SensorKind.ECG, SCALE_NV)
        for i in range(0, len(frames), 60):
            assert client.post("/api/v1/ingest/frames", content=b"".join(frames[i:i + 60]),
                               headers=device.auth).status_code == 200
        with client.app.state.session_factory() as session:
            beats = [(round((b.t_us - T0_US) * 360 / 1e6), b.label)
                     for b in crud.list_beats(session=session, device_id=device.id)]
            rhythms = [(max(0, round((e.start_t_us - T0_US) * 360 / 1e6)), f"({e.rhythm}")
                       for e in crud.list_episodes(session=session, device_id=device.id)]
        assert len(beats) > REPLAY_S and rhythms  # the pipeline found the beats and rhythm it exports
        wfdb_zip = _export(client, device.id, "wfdb", T0_US, T0_US + REPLAY_S * 1_000_000)
        edf_bytes = _export(client, device.id, "edf", T0_US, T0_US + REPLAY_S * 1_000_000).content
    zipfile.ZipFile(io.BytesIO(wfdb_zip.content)).extractall(tmp_path)
    name = str(next(tmp_path.glob("*.hea")).with_suffix(""))
    exported = wfdb.rdrecord(name).p_signal[:, 0]
    assert len(exported) == len(counts) and not np.isnan(exported).any()  # no gap invented at 360 Hz
    assert np.max(np.abs(exported - counts / 125.0)) <= 1 / 125.0
    ann = wfdb.rdann(name, "atr")
    assert [(s, sym) for s, sym in zip(ann.sample.tolist(), ann.symbol) if sym not in '+"'] == \
        [(s, BEAT_SYMBOL[label]) for s, label in beats]
    assert [(s, aux) for s, sym, aux in zip(ann.sample.tolist(), ann.symbol, ann.aux_note) if sym == "+"] == rhythms
    (tmp_path / "r.edf").write_bytes(edf_bytes)
    edf = edfio.read_edf(tmp_path / "r.edf")
    assert np.max(np.abs(edf.signals[0].data[:len(counts)] - counts / 125.0)) <= 1 / 125.0
    edf_beats = [(round(a.onset * 360), a.text) for a in edf.annotations if a.text in BEAT_SYMBOL.values()]
    assert edf_beats == [(s, BEAT_SYMBOL[label]) for s, label in beats]


BEAT_SYMBOL = {"N": "N", "S": "S", "V": "V", "F": "F", "Q": "Q"}
