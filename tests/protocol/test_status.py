"""Status messages and the MQTT envelope: golden vectors and properties."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cardiowatch import errors
from cardiowatch.errors import FrameError
from cardiowatch.protocol import Status, envelope_decode, envelope_encode, status_decode, status_encode
from cardiowatch.protocol.make_vectors import VECTORS_DIR

STATUS = json.loads((VECTORS_DIR / "status.json").read_text())
ENVELOPE = json.loads((VECTORS_DIR / "envelope.json").read_text())


@pytest.mark.parametrize("vector", STATUS["valid"], ids=lambda v: v["name"])
def test_valid_status_vector_round_trips(vector):
    status = status_decode(vector["json"].encode())
    assert status == Status(**vector["status"])
    assert status_encode(status).decode() == vector["json"]


@pytest.mark.parametrize("vector", STATUS["invalid"], ids=lambda v: v["name"])
def test_invalid_status_vector_raises(vector):
    with pytest.raises(getattr(errors, vector["error"])):
        status_decode(bytes.fromhex(vector["hex"]))


@pytest.mark.parametrize("vector", ENVELOPE["valid"], ids=lambda v: v["name"])
def test_envelope_vector_splits_into_token_and_payload(vector):
    token, payload = envelope_decode(bytes.fromhex(vector["hex"]))
    assert (token, payload.hex()) == (vector["token"], vector["payload_hex"])
    assert envelope_encode(token, payload).hex() == vector["hex"]


@pytest.mark.parametrize("vector", ENVELOPE["invalid"], ids=lambda v: v["name"])
def test_invalid_envelope_vector_raises(vector):
    with pytest.raises(getattr(errors, vector["error"])):
        envelope_decode(bytes.fromhex(vector["hex"]))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_status_decode_of_arbitrary_bytes_returns_status_or_frame_error(data):
    try:
        status = status_decode(data)
    except FrameError:
        return
    assert isinstance(status, Status)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                    max_leaves=8))
def test_status_decode_of_arbitrary_json_returns_status_or_frame_error(value):
    data = json.dumps({"v": 1, "device_id": 1, "fw": value}).encode()
    try:
        status_decode(data)
    except FrameError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=64),
       st.binary(max_size=64))
def test_envelope_round_trips(token, payload):
    assert envelope_decode(envelope_encode(token, payload)) == (token, payload)


def test_status_carries_the_devices_alarm_level_and_vf_state():
    status = status_decode(b'{"v":1,"device_id":7,"alarm_level":4,"in_vf":true}')
    assert (status.alarm_level, status.in_vf) == (4, True)
    assert status_decode(status_encode(status)) == status
    with pytest.raises(errors.BadStatus):
        status_decode(b'{"v":1,"device_id":7,"alarm_level":5}')  # cw_alarm has levels 0..4
    with pytest.raises(errors.BadStatus):
        status_decode(b'{"v":1,"device_id":7,"in_vf":1}')
