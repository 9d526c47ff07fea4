"""Write the C host tests' protocol vectors header from the shared JSON golden vectors.

Usage (from the repository root)::

    python firmware/tools/gen_vectors_header.py           # rewrite firmware/core/tests/vectors.h
    python firmware/tools/gen_vectors_header.py --check   # exit 1 when the header is stale

The JSON files (``src/cardiowatch/protocol/vectors/``) are the one source of truth; the Python protocol
tests read them directly and the C tests read this header, so both implementations meet the same bytes.
Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "src" / "cardiowatch" / "protocol" / "vectors"
HEADER = ROOT / "firmware" / "core" / "tests" / "vectors.h"

#: Python exception name -> the C core's error code
ERROR_CODES = {
    "TruncatedFrame": "CW_ERR_TRUNCATED",
    "BadMagic": "CW_ERR_MAGIC",
    "UnknownVersion": "CW_ERR_VERSION",
    "CrcMismatch": "CW_ERR_CRC",
    "BadField": "CW_ERR_FORMAT",
    "OversizedFrame": "CW_ERR_OVERSIZED",
    "BadStatus": "CW_ERR_ENVELOPE",
}

log = logging.getLogger("gen_vectors_header")


def _c_ident(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)


def _c_bytes(ident: str, hex_text: str) -> str:
    data = bytes.fromhex(hex_text)
    if not data:  # C forbids empty arrays; the length field says 0
        return f"static const uint8_t {ident}[1] = {{0}};\n"
    rows = [", ".join(f"0x{b:02x}" for b in data[i: i + 16]) for i in range(0, len(data), 16)]
    body = ",\n    ".join(rows)
    return f"static const uint8_t {ident}[{len(data)}] = {{\n    {body}\n}};\n"


def _c_ints(ident: str, values: list[int]) -> str:
    rows = [", ".join(str(v) if v != -2**31 else "INT32_MIN" for v in values[i: i + 12])
            for i in range(0, len(values), 12)]
    body = ",\n    ".join(rows)
    return f"static const int32_t {ident}[{len(values)}] = {{\n    {body}\n}};\n"


def _error_code(name: str) -> str:
    try:
        return ERROR_CODES[name]
    except KeyError as exc:
        raise SystemExit(f"vector error {name!r} has no C error code; known: {', '.join(ERROR_CODES)}") from exc


def render() -> str:
    """Return the header text for the vectors now on disk."""
    frames = json.loads((VECTORS / "frames.json").read_text())
    envelope = json.loads((VECTORS / "envelope.json").read_text())
    out = [
        "/* vectors.h - protocol golden vectors for the C host tests. GENERATED, do not edit.\n",
        " * Made by: python firmware/tools/gen_vectors_header.py\n",
        " * From:    src/cardiowatch/protocol/vectors/frames.json, envelope.json\n",
        f" *          (themselves made by: {frames.get('generated_by', '?')})\n",
        " */\n#ifndef CW_TEST_VECTORS_H\n#define CW_TEST_VECTORS_H\n\n",
        "#include <stddef.h>\n#include <stdint.h>\n\n#include \"cw_err.h\"\n#include \"cw_frame.h\"\n\n",
        "typedef struct {\n    const char *name;\n    const uint8_t *bytes;\n    size_t len;\n"
        "    cw_frame_header_t header;\n    const int32_t *samples;\n    size_t n_values;\n} cw_vector_frame_t;\n\n",
        "typedef struct {\n    const char *name;\n    const uint8_t *bytes;\n    size_t len;\n"
        "    cw_err_t error;\n} cw_vector_bad_t;\n\n",
        "typedef struct {\n    const char *name;\n    const uint8_t *bytes;\n    size_t len;\n"
        "    const char *token;\n    const uint8_t *payload;\n    size_t payload_len;\n} cw_vector_envelope_t;\n\n",
    ]
    valid_rows, bad_rows, env_rows, env_bad_rows = [], [], [], []
    for vec in frames["valid"]:
        ident = _c_ident(vec["name"])
        f = vec["frame"]
        out.append(_c_bytes(f"frame_{ident}_bytes", vec["hex"]))
        out.append(_c_ints(f"frame_{ident}_samples", f["samples"]))
        header = (f"{{{f['device_id']}u, {f['seq']}u, {f['t_us']}ull, {f['fs_millihz']}u, {f['scale_nv']}u, "
                  f"{f['n_samples']}u, {f['sensor_code']}u, {f['flags']}u, {f['encoding_code']}u}}")
        valid_rows.append(f"    {{\"{vec['name']}\", frame_{ident}_bytes, {len(vec['hex']) // 2}, {header}, "
                          f"frame_{ident}_samples, {len(f['samples'])}}},\n")
    for vec in frames["invalid"]:
        ident = _c_ident(vec["name"])
        out.append(_c_bytes(f"bad_{ident}_bytes", vec["hex"]))
        bad_rows.append(f"    {{\"{vec['name']}\", bad_{ident}_bytes, {len(vec['hex']) // 2}, "
                        f"{_error_code(vec['error'])}}},\n")
    for vec in envelope["valid"]:
        ident = _c_ident(vec["name"])
        out.append(_c_bytes(f"env_{ident}_bytes", vec["hex"]))
        out.append(_c_bytes(f"env_{ident}_payload", vec["payload_hex"]))
        env_rows.append(f"    {{\"{vec['name']}\", env_{ident}_bytes, {len(vec['hex']) // 2}, "
                        f"{json.dumps(vec['token'])}, env_{ident}_payload, {len(vec['payload_hex']) // 2}}},\n")
    for vec in envelope["invalid"]:
        ident = _c_ident(vec["name"])
        out.append(_c_bytes(f"env_bad_{ident}_bytes", vec["hex"]))
        env_bad_rows.append(f"    {{\"{vec['name']}\", env_bad_{ident}_bytes, {len(vec['hex']) // 2}, "
                            f"{_error_code(vec['error'])}}},\n")
    out.append("\nstatic const cw_vector_frame_t cw_vectors_valid[] = {\n" + "".join(valid_rows) + "};\n")
    out.append("\nstatic const cw_vector_bad_t cw_vectors_invalid[] = {\n" + "".join(bad_rows) + "};\n")
    out.append("\nstatic const cw_vector_envelope_t cw_vectors_envelope[] = {\n" + "".join(env_rows) + "};\n")
    out.append("\nstatic const cw_vector_bad_t cw_vectors_envelope_invalid[] = {\n" + "".join(env_bad_rows)
               + "};\n")
    out.append("\n#endif /* CW_TEST_VECTORS_H */\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the header differs, write nothing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    text = render()
    if args.check:
        current = HEADER.read_text() if HEADER.exists() else ""
        if current != text:
            log.error("%s is stale: run python firmware/tools/gen_vectors_header.py", HEADER.relative_to(ROOT))
            return 1
        return 0
    HEADER.write_text(text)
    log.info("wrote %s", HEADER.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
