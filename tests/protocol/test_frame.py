"""Frame codec: golden vectors, round trips, and decode of arbitrary bytes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardiowatch import errors
from cardiowatch.errors import FrameError
from cardiowatch.protocol import (
    MAX_FRAME_BYTES,
    Frame,
    FrameFlags,
    SampleEncoding,
    SensorKind,
    crc16_ccitt_false,
    frame_decode,
    frame_encode,
    frame_split,
    max_samples,
)
from cardiowatch.protocol import frame as frame_module
from cardiowatch.protocol import make_vectors
from cardiowatch.protocol.make_vectors import VECTORS_DIR, frame_fields, frame_from_fields

FRAMES = json.loads((VECTORS_DIR / "frames.json").read_text())


@pytest.mark.parametrize("name", list(make_vectors.BUILDERS))
def test_vector_files_match_their_generator(name):
    on_disk = (VECTORS_DIR / name).read_text()
    assert on_disk == make_vectors.render(make_vectors.BUILDERS[name]()), (
        f"{name} is stale: run `{make_vectors.COMMAND}` and review the diff")


def test_crc16_ccitt_false_check_value():
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert FRAMES["crc_check"]["crc"] == 0x29B1


def test_frame_crc_is_the_reference_crc16_ccitt_false():
    # frames use binascii's C CRC; the bitwise reference in crc16_ccitt_false is the spec
    rng = np.random.default_rng(23)
    for size in (0, 1, 2, 33, 134, 284, MAX_FRAME_BYTES):
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        assert frame_module._crc16(data) == crc16_ccitt_false(data)


@pytest.mark.parametrize("vector", FRAMES["valid"], ids=lambda v: v["name"])
def test_valid_vector_decodes_to_its_fields(vector):
    frame = frame_decode(bytes.fromhex(vector["hex"]))
    assert frame_fields(frame) == vector["frame"]


@pytest.mark.parametrize("vector", FRAMES["valid"], ids=lambda v: v["name"])
def test_valid_vector_fields_encode_to_its_bytes(vector):
    assert frame_encode(frame_from_fields(vector["frame"])).hex() == vector["hex"]


@pytest.mark.parametrize("vector", FRAMES["invalid"], ids=lambda v: v["name"])
def test_invalid_vector_raises_its_error(vector):
    with pytest.raises(getattr(errors, vector["error"])):
        frame_decode(bytes.fromhex(vector["hex"]))


def test_largest_frame_is_exactly_the_maximum_size():
    frame = Frame(device_id=1, seq=0, t_us=0, fs_millihz=250_000, sensor=SensorKind.ECG,
                  samples=np.zeros(max_samples(SensorKind.ECG, SampleEncoding.INT16), dtype=int))
    assert len(frame_encode(frame)) == MAX_FRAME_BYTES


def test_frame_refuses_samples_outside_its_encoding():
    with pytest.raises(errors.BadField, match="INT16"):
        Frame(device_id=1, seq=0, t_us=0, fs_millihz=1, sensor=SensorKind.ECG, samples=[40000])


def test_frame_split_cuts_a_batch_into_its_frames():
    frames = [bytes.fromhex(v["hex"]) for v in FRAMES["valid"]]
    assert frame_split(b"".join(frames)) == frames


def test_frame_split_reports_a_cut_last_frame_with_its_offset():
    good = bytes.fromhex(FRAMES["valid"][0]["hex"])
    with pytest.raises(errors.TruncatedFrame, match=f"frame 1 at byte {len(good)}"):
        frame_split(good + good[:-1])


def test_frame_split_reports_garbage_between_frames():
    good = bytes.fromhex(FRAMES["valid"][0]["hex"])
    with pytest.raises(errors.BadMagic, match="frame 1"):
        frame_split(good + b"\x00" * 40)


@st.composite
def frames(draw):
    sensor = draw(st.sampled_from(SensorKind))
    encoding = draw(st.sampled_from(SampleEncoding))
    info = np.iinfo(encoding.dtype)
    n = draw(st.integers(1, max_samples(sensor, encoding)))
    values = draw(st.lists(st.integers(int(info.min), int(info.max)), min_size=n * sensor.channels,
                           max_size=n * sensor.channels))
    return Frame(device_id=draw(st.integers(1, 2**32 - 1)), seq=draw(st.integers(0, 2**32 - 1)),
                 t_us=draw(st.integers(0, 2**64 - 1)), fs_millihz=draw(st.integers(1, 2**32 - 1)),
                 sensor=sensor, samples=np.array(values).reshape(n, sensor.channels),
                 flags=FrameFlags(draw(st.integers(0, 15))), encoding=encoding,
                 scale_nv=draw(st.integers(0, 2**32 - 1)))


@settings(max_examples=200, deadline=None)
@given(frames())
def test_decode_inverts_encode(frame):
    assert frame_decode(frame_encode(frame)) == frame


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=MAX_FRAME_BYTES + 8))
def test_decode_of_arbitrary_bytes_returns_a_frame_or_raises_frame_error(data):
    try:
        frame = frame_decode(data)
    except FrameError:
        return
    assert frame_encode(frame) == data


@settings(max_examples=200, deadline=None)
@given(frames(), st.data())
def test_any_single_bit_flip_is_rejected(frame, data):
    raw = bytearray(frame_encode(frame))
    bit = data.draw(st.integers(0, len(raw) * 8 - 1))
    raw[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(FrameError):
        frame_decode(bytes(raw))
