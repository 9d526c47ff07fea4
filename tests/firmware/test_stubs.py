"""The stub headers of the glue's syntax check are the real API: every declaration names its upstream source.

Each declaration in ``firmware/stubs/`` is preceded by ``// src:``, ``// shape:`` or ``// unverified:``;
``firmware/stubs/MANIFEST`` records the upstream text of every ``src`` line (read from the named commit of
the upstream repository) and why each ``unverified`` group is not verified. The glue check
(``test_glue.py``) compiles ``firmware/src`` against these stubs only, so every declaration the firmware
uses is one of them.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import ROOT, require_tools

STUBS = ROOT / "firmware" / "stubs"
MANIFEST = STUBS / "MANIFEST"
TAG = re.compile(r"^\s*// (src|shape|unverified): (.+?)\s*$")
STRUCTURAL = re.compile(r"^\s*(#\s*(pragma once|include|if|ifdef|ifndef|else|elif|endif)\b|(public|private|protected):"
                        r"|};?\s*$|namespace \w+ \{$|\}  // namespace \w+$)")
#: the releases firmware/platformio.ini pins (the MANIFEST's "release of that copy" should be one of them)
PINNED_RELEASES = {"espressif/arduino-esp32": "3.x", "espressif/esp-idf": "5.x", "knolleary/pubsubclient": "2.8",
                   "tzapu/WiFiManager": "2.0.17"}


@dataclass(frozen=True)
class StubDecl:
    """One tagged declaration of a stub header."""

    file: str
    line: int
    kind: str
    key: str
    text: str


@dataclass(frozen=True)
class ManifestEntry:
    kind: str
    key: str
    release: str
    text: str


def normalize(code: str) -> str:
    """Code without comments, whitespace collapsed and dropped around punctuation."""
    code = re.sub(r"/\*.*?\*/", " ", code, flags=re.S)
    code = re.sub(r"//[^\n]*", " ", code)
    code = re.sub(r"\s+", " ", code).strip()
    return re.sub(r"\s*([(),*&=<>:;{}\[\]])\s*", r"\1", code)


def _declaration(lines: list[str], start: int) -> tuple[str, int]:
    """The declaration starting at ``lines[start]`` and the index of its last line."""
    first = lines[start].strip()
    if first.startswith("#"):
        end = start
        while lines[end].rstrip().endswith("\\"):
            end += 1
        return "\n".join(lines[start:end + 1]), end
    depth = 0
    for end in range(start, len(lines)):
        text = re.sub(r"//[^\n]*", "", lines[end]).strip()
        depth += text.count("{") - text.count("}")
        if depth == 1 and end == start and re.match(r"^(class|struct)\s+\w+", text) and text.endswith("{"):
            return lines[start], end  # a class head: its members carry their own tags
        if depth == 0 and (text.endswith(";") or text.endswith("}")):  # `;` or an inline body
            return "\n".join(lines[start:end + 1]), end
    raise AssertionError(f"unterminated declaration at line {start + 1}")


def stub_declarations() -> tuple[list[StubDecl], list[str]]:
    """Every tagged declaration of the stubs, and the code lines no tag covers."""
    decls, untagged = [], []
    for path in sorted(STUBS.rglob("*.h")):
        lines = path.read_text().splitlines()
        rel = str(path.relative_to(STUBS))
        i, in_comment = 0, False
        while i < len(lines):
            line = lines[i]
            stripped = line.strip()
            if in_comment or stripped.startswith("/*"):
                in_comment = "*/" not in stripped
                i += 1
                continue
            tag = TAG.match(line)
            if tag:
                text, end = _declaration(lines, i + 1)
                decls.append(StubDecl(rel, i + 2, tag.group(1), tag.group(2), text))
                i = end + 1
                continue
            if stripped and not stripped.startswith("//") and not STRUCTURAL.match(line):
                untagged.append(f"{rel}:{i + 1}: {stripped}")
            i += 1
    return decls, untagged


def manifest() -> dict[str, ManifestEntry]:
    entries = {}
    for raw in MANIFEST.read_text().splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = [f.strip() for f in raw.split(" | ")]
        if fields[0] == "unverified":
            kind, group, what, why = fields
            entries[group] = ManifestEntry(kind, group, "", f"{what}: {why}")
        else:
            kind, source, release, where, text = fields
            entries[f"{source} {where}"] = ManifestEntry(kind, f"{source} {where}", release, text)
    return entries


def _name(code: str) -> str:
    match = re.search(r"\b(?:class|struct)\s+(\w+)", code)
    assert match, code
    return match.group(1)


def test_every_stub_declaration_carries_its_upstream_source() -> None:
    decls, untagged = stub_declarations()
    assert not untagged, "declarations without a src/shape/unverified tag:\n" + "\n".join(untagged)
    assert len(decls) > 80


def test_each_src_declaration_is_the_recorded_upstream_text() -> None:
    entries = manifest()
    wrong = []
    for d in stub_declarations()[0]:
        entry = entries.get(d.key)
        assert entry is not None, f"{d.file}:{d.line}: {d.key} is not in the MANIFEST"
        assert entry.kind == d.kind, (d, entry)
        if d.kind == "src" and normalize(d.text) != normalize(entry.text):
            wrong.append(f"{d.file}:{d.line}\n  stub:     {normalize(d.text)}\n  upstream: {normalize(entry.text)}")
        if d.kind == "shape" and re.search(r"\b(class|struct)\s+\w+", d.text):
            assert _name(d.text) == _name(entry.text), (d, entry)
        elif d.kind == "shape":  # a member whose body or specifiers are left out: its signature must match
            assert normalize(entry.text).startswith(normalize(d.text).rstrip(";")), (d, entry)
    assert not wrong, "stub declarations that differ from upstream:\n" + "\n".join(wrong)


def test_every_manifest_entry_is_used_by_a_stub() -> None:
    used = {d.key for d in stub_declarations()[0]}
    stale = sorted(set(manifest()) - used)
    assert not stale, stale


def test_source_records_name_a_commit_a_path_and_a_line() -> None:
    for key, entry in manifest().items():
        if entry.kind == "unverified":
            assert entry.text.split(": ", 1)[1], key  # a reason
            continue
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{7,40} [\w./+-]+\.h:\d+", key), key
        assert entry.release, key


def test_normalize_tells_real_signature_changes_apart() -> None:
    # the comparison must catch a changed type or default, not only a renamed function
    assert normalize("void f(uint8_t pin,  adc_attenuation_t a); // x") == normalize("void f(uint8_t pin, adc_attenuation_t a);")
    assert normalize("void f(uint8_t pin, adc_attenuation_t a);") != normalize("void f(uint8_t pin, adc_atten_t a);")
    assert normalize("void g(int x = 0);") != normalize("void g(int x);")


@pytest.mark.xfail(strict=True, reason="target: every declaration read from the pinned releases; measured: TFT_eSPI, "
                   "SparkFun MAX3010x, FreeRTOS, esp_timer, String, log_x not readable here (14 unverified groups), "
                   "and core/Preferences/WiFiGeneric lines read from 2.0.x copies")
def test_every_stub_declaration_was_read_from_the_pinned_releases() -> None:
    entries = manifest()
    unverified = sorted(k for k, e in entries.items() if e.kind == "unverified")
    old = sorted(k for k, e in entries.items()
                 if e.kind != "unverified" and PINNED_RELEASES.get(k.split("@")[0]) != e.release)
    assert not unverified and not old, (unverified, old)


def test_the_stubs_refuse_an_esp_idf_attenuation_for_the_arduino_api(tmp_path: Path) -> None:
    # issue 22 item 1: analogSetPinAttenuation takes adc_attenuation_t; ESP-IDF's ADC_ATTEN_DB_12 is another enum
    require_tools(("g++",))
    src = tmp_path / "atten.cpp"
    src.write_text("#include <Arduino.h>\n\n"
                   "void f() { analogSetPinAttenuation(34, ADC_ATTEN_DB_12); }\n"
                   "void g() { analogSetPinAttenuation(34, ADC_11db); }\n")
    proc = subprocess.run(["g++", "-std=gnu++17", "-fsyntax-only", f"-I{STUBS}", str(src)],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "atten.cpp:3" in proc.stderr and "adc_attenuation_t" in proc.stderr
    assert "atten.cpp:4" not in proc.stderr
