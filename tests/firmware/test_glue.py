"""The Arduino glue (firmware/src/) compiles against the stub headers, for every board env and sensor kind.

The compile flags are the ``-D`` build flags of ``firmware/platformio.ini`` itself, so a setting the glue
refuses (font 7 not loaded, the LED on the display's DC pin, a too small MQTT packet) fails here.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, _load_tool, require_tools

SRC = ROOT / "firmware" / "src"
STUBS = ROOT / "firmware" / "stubs"
CORE = ROOT / "firmware" / "core"
PLATFORMIO = ROOT / "firmware" / "platformio.ini"
SENSORS = ["CW_SENSOR_KIND_AD8232", "CW_SENSOR_KIND_MAX30102", "CW_SENSOR_KIND_PULSE"]


def platformio_sections() -> dict[str, dict[str, str]]:
    """Sections of platformio.ini, values with ``${section.key}`` references resolved."""
    sections: dict[str, dict[str, str]] = {}
    current, key = None, None
    for raw in PLATFORMIO.read_text().splitlines():
        line = raw.split(";", 1)[0].rstrip()
        if not line.strip():
            continue
        if line.startswith("["):
            current, key = line.strip("[]"), None
            sections[current] = {}
        elif line[0].isspace() and current and key:
            sections[current][key] += "\n" + line.strip()
        elif "=" in line and current:
            key, value = (part.strip() for part in line.split("=", 1))
            sections[current][key] = value
    for body in sections.values():  # `extends`: the base env's values unless set here
        base = sections.get(body.get("extends", ""), {})
        for k, v in base.items():
            body.setdefault(k, v)

    def resolve(value: str) -> str:
        def ref(m: re.Match[str]) -> str:
            section = sections.get(m.group(1))  # ${sysenv.X} and the like stay as written
            return resolve(section[m.group(2)]) if section is not None else m.group(0)
        return re.sub(r"\$\{([\w:.-]+)\.([\w.]+)\}", ref, value)
    return {name: {k: resolve(v) for k, v in body.items()} for name, body in sections.items()}


def env_defines(env: str) -> list[str]:
    """The -D flags an env builds with (its own, else the common [env] ones)."""
    sections = platformio_sections()
    flags = sections[f"env:{env}"].get("build_flags", sections["env"]["build_flags"])
    return [f for f in flags.split() if f.startswith("-D")]


ENVS = sorted(name.split(":", 1)[1] for name in platformio_sections() if name.startswith("env:"))


def _compile_glue(defines: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    require_tools(("g++",))
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "config.h").write_text((SRC / "config.h.example").read_text())
    sources = sorted(SRC.glob("*.cpp"))
    assert len(sources) >= 6
    return subprocess.run(["g++", "-std=gnu++17", "-fsyntax-only", "-Wall", "-Wextra", "-Werror", *defines,
                           f"-I{STUBS}", f"-I{CORE}", f"-I{tmp_path}", *map(str, sources)],
                          capture_output=True, text=True)


@pytest.mark.parametrize("env", ENVS)
def test_every_platformio_env_compiles_against_the_stubs(env: str, tmp_path: Path) -> None:
    proc = _compile_glue(env_defines(env), tmp_path)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("display", [0, 1])
@pytest.mark.parametrize("sensor", SENSORS)
def test_every_sensor_compiles_with_and_without_the_display(sensor: str, display: int, tmp_path: Path) -> None:
    sections = platformio_sections()
    defines = [f for f in sections["env"]["build_flags"].split() if f.startswith("-D")] + [f"-DCW_SENSOR={sensor}"]
    if display:
        defines += [f for f in sections["st7789"]["build_flags"].split() if f.startswith("-D")]
    proc = _compile_glue(defines, tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_the_users_board_is_the_default_env_with_a_pinned_platform() -> None:
    sections = platformio_sections()
    assert sections["platformio"]["default_envs"] == "esp32dev-pulse-st7789"
    assert ENVS[0] == "esp32dev-ad8232" and "esp32dev-pulse-st7789" in ENVS
    platform = sections["env"]["platform"]
    assert "/stable/" not in platform and re.search(r"/download/\d+\.\d+\.\d+(-\d+)?/", platform), platform
    assert all(re.search(r"(@|#v)\d+\.\d+(\.\d+)?$", dep) for dep in sections["env"]["lib_deps"].split()[1:])
    ota = sections["env:esp32dev-pulse-st7789-ota"]
    assert ota["upload_protocol"] == "espota" and "${sysenv.CW_OTA_PASSWORD}" in ota["upload_flags"]
    assert env_defines("esp32dev-pulse-st7789-ota") == env_defines("esp32dev-pulse-st7789")
    user = env_defines("esp32dev-pulse-st7789")
    for flag in ("-DTFT_MOSI=23", "-DTFT_SCLK=18", "-DTFT_CS=15", "-DTFT_DC=2", "-DTFT_RST=4", "-DTFT_BL=21",
                 "-DLOAD_FONT7=1", "-DCW_SENSOR=CW_SENSOR_KIND_PULSE"):
        assert flag in user, flag
    assert sum(f.startswith("-DTFT_HEIGHT=") for f in user) == 1  # the one panel setting


@pytest.mark.parametrize(("drop", "add", "message"), [
    ("-DLOAD_FONT7=1", None, "LOAD_FONT7"),
    (None, "-DCW_LED_PIN=2", "CW_LED_PIN"),
    ("-DMQTT_MAX_PACKET_SIZE=1200", None, "MQTT_MAX_PACKET_SIZE"),
])
def test_the_glue_refuses_settings_that_fail_on_the_device(drop: str | None, add: str | None, message: str,
                                                          tmp_path: Path) -> None:
    # issue 22 items 2 and 3: the BPM drawn in a font not loaded shows nothing; the LED on DC=2 garbles the screen
    defines = [f for f in env_defines("esp32dev-pulse-st7789") if f != drop] + ([add] if add else [])
    proc = _compile_glue(defines, tmp_path)
    assert proc.returncode != 0
    assert message in proc.stderr


def test_exactly_one_sensor_implementation_is_built_per_kind() -> None:
    # each sensor file guards itself with its own kind, so one cw_sensor_create() exists per build
    for sensor in SENSORS:
        guarded = [p.name for p in SRC.glob("sensor_*.cpp") if f"#if CW_SENSOR == {sensor}" in p.read_text()]
        assert len(guarded) == 1, (sensor, guarded)


def test_no_credentials_in_the_committed_sources() -> None:
    proc = subprocess.run(["git", "ls-files", "firmware"], cwd=ROOT, capture_output=True, text=True, check=True)
    tracked = proc.stdout.split()
    assert "firmware/src/config.h" not in tracked
    check = subprocess.run(["git", "check-ignore", "-q", "firmware/src/config.h"], cwd=ROOT)
    assert check.returncode == 0  # config.h (credentials) is git-ignored


def test_the_ca_bundle_holds_each_roots_subject_and_public_key(tmp_path: Path) -> None:
    # ThingSpeak's TLS is checked against this bundle (issue 22 item 6): its entries must be the real
    # subject and key of each root, as openssl reads them, in the layout arduino-esp32's parser expects
    require_tools(("openssl",))
    tool = _load_tool("gen_ca_bundle")
    pem = Path("/etc/ssl/certs/ca-certificates.crt")
    if not pem.exists():
        pytest.skip("no system CA file")
    certs = tool.pem_certificates(pem.read_text())[:5]
    for der in certs:
        entry = tool.bundle_entry(der)
        spki = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-pubkey"], input=der,
                              capture_output=True, check=True).stdout
        spki_der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=spki,
                                  capture_output=True, check=True).stdout
        assert entry.public_key_der == spki_der
        subject = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-subject", "-nameopt", "RFC2253"],
                                 input=der, capture_output=True, check=True).stdout.decode()
        cn = re.search(r"CN=([^,\n]+)", subject)
        assert cn is None or cn.group(1).encode() in entry.subject_der
    bundle = tool.build_bundle(certs)
    count = int.from_bytes(bundle[:2], "big")
    pos, subjects = 2, []
    for _ in range(count):
        name_len, key_len = int.from_bytes(bundle[pos:pos + 2], "big"), int.from_bytes(bundle[pos + 2:pos + 4], "big")
        subjects.append(bundle[pos + 4:pos + 4 + name_len])
        pos += 4 + name_len + key_len
    assert pos == len(bundle) and count == len({tool.bundle_entry(d) for d in certs})
    assert subjects == sorted(subjects)  # the device binary-searches by subject
    with pytest.raises(tool.CertificateFormatError):
        tool.bundle_entry(b"\x30\x03\x02\x01")


def test_the_committed_ca_bundle_parses() -> None:
    bundle = (ROOT / "firmware" / "data" / "cert" / "x509_crt_bundle.bin").read_bytes()
    count, pos = int.from_bytes(bundle[:2], "big"), 2
    for _ in range(count):
        pos += 4 + int.from_bytes(bundle[pos:pos + 2], "big") + int.from_bytes(bundle[pos + 2:pos + 4], "big")
    assert pos == len(bundle) and count > 50


def test_the_offline_queue_table_in_the_docs_is_the_tools_output() -> None:
    # docs/hardware.md states how long the RAM queue holds; the figures come from fwbuild.py --queue
    from .conftest import fwbuild

    spans = {q.sensor: q.seconds for q in fwbuild.queue_spans()}
    assert 90 < spans["AD8232 ECG"] < 100  # 64 KiB / (136 B x 5 per second)
    assert fwbuild.queue_report() in (ROOT / "docs" / "hardware.md").read_text()


# ESP-IDF 5's Xtensa toolchain makes (u)int32_t (unsigned) long, where the host's are (unsigned) int: a
# `%u` for a uint32_t passes a host check and is wrong on the device (issue 22 item 6). This prefix gives
# the host compiler the device's types, so -Wformat sees what the ESP32 compiler sees.
XTENSA_INT32_ABI = """#include <stdint.h>
#include <inttypes.h>
typedef unsigned long cw_abi_u32;
typedef long cw_abi_i32;
#define uint32_t cw_abi_u32
#define int32_t cw_abi_i32
#undef PRIu32
#define PRIu32 "lu"
#undef PRIx32
#define PRIx32 "lx"
#undef PRId32
#define PRId32 "ld"
"""


@pytest.mark.parametrize("env", ENVS)
def test_the_glue_formats_32_bit_values_as_the_esp32_compiler_sees_them(env: str, tmp_path: Path) -> None:
    abi = tmp_path / "xtensa_int32_abi.h"
    abi.write_text(XTENSA_INT32_ABI)
    proc = _compile_glue([*env_defines(env), "-include", str(abi)], tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_the_32_bit_abi_check_catches_a_u_for_a_uint32(tmp_path: Path) -> None:
    require_tools(("g++",))
    abi = tmp_path / "xtensa_int32_abi.h"
    abi.write_text(XTENSA_INT32_ABI)
    src = tmp_path / "fmt.cpp"
    src.write_text('#include <Arduino.h>\nvoid f(uint32_t hz) { log_e("rate %u Hz", hz); }\n'
                   'void g(uint32_t hz) { log_e("rate %" PRIu32 " Hz", hz); }\n')
    proc = subprocess.run(["g++", "-std=gnu++17", "-fsyntax-only", "-Wall", "-Werror", "-include", str(abi),
                           f"-I{STUBS}", str(src)], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "fmt.cpp:2" in proc.stderr and "fmt.cpp:3" not in proc.stderr


def _firmware_status(vf_part: str) -> bytes:
    """main.cpp's send_status JSON, its printf conversions filled in order with plausible values."""
    text = (SRC / "main.cpp").read_text()
    body = text[text.index("void send_status("):]
    call = body[body.index("snprintf(json, sizeof json,"):]
    fmt_part = call[:call.index("cw_device_settings()")]  # the format: literals and PRIu32, then the arguments
    fmt = "".join(m.group(1) if m.group(1) is not None else "u"
                  for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|PRIu32', fmt_part)).replace('\\"', '"')
    # device_id, rssi_dbm, uptime_s, fs_measured_millihz, queue_depth, dropped_samples, alarm_level, in_vf
    values = iter(["7", "-61", "5230", "249870", "0", "0", "4", vf_part])
    out = re.sub(r"%(lu|d|u|s)", lambda m: next(values), fmt)
    assert next(values, None) is None, fmt
    return out.encode()


@pytest.mark.parametrize("in_vf", ["", ',"in_vf":true'])
def test_the_firmware_status_message_is_one_the_server_accepts(in_vf: str) -> None:
    from cardiowatch.protocol import status_decode

    status = status_decode(_firmware_status(in_vf))
    assert status.alarm_level is not None
    assert status.in_vf is (True if in_vf else None)
