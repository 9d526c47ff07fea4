"""Size of the exported AF model (firmware/core/cw_rhythm_model.h) as the firmware would build it.

    python benchmarks/rhythm_model_size.py

Compiles one function calling ``cw_rhythm_model_af_score`` with ``-Os`` for the host (gcc) and,
when installed, for the ESP32-C3 instruction set (riscv64-unknown-elf-gcc, rv32imc, no FPU: float
compares and the float sum are library calls), and prints, per target, the ``size`` of the object file
(text includes the read-only tables) and, from ``nm -S``, the bytes of the model's tables
(``cw_rhythm_model_*`` objects; equal to ``AfModel.n_bytes``) and of the rest (the walker's code).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

HEADER_DIR = Path(__file__).resolve().parents[1] / "firmware" / "core"
SOURCE = """#include "cw_rhythm_model.h"
float cw_rhythm_af_score_of(const float *f) {
    return cw_rhythm_model_af_score(f);
}
"""
#: target: (compile command, size tool, nm tool)
TARGETS = {
    "host gcc -Os": (["gcc", "-std=c99", "-Os"], "size", "nm"),
    "rv32imc gcc -Os": (["riscv64-unknown-elf-gcc", "-std=c99", "-Os", "-march=rv32imc", "-mabi=ilp32",
                         "--specs=picolibc.specs"], "riscv64-unknown-elf-size", "riscv64-unknown-elf-nm"),
}
TABLE_PREFIX = "cw_rhythm_model_"

logger = logging.getLogger("rhythm_model_size")


def _table_bytes(nm_tool: str, obj: Path) -> int:
    """Bytes of the model's read-only tables in ``obj`` (``nm -S``: address, size, type, name)."""
    out = subprocess.run([nm_tool, "-S", str(obj)], check=True, capture_output=True, text=True).stdout
    return sum(int(parts[1], 16) for parts in (line.split() for line in out.splitlines())
               if len(parts) == 4 and parts[2] in "rR" and parts[3].startswith(TABLE_PREFIX))


def measure(header_dir: Path = HEADER_DIR) -> dict[str, dict[str, int] | str]:
    """Per target: text, data and bss bytes of the object, and of its text the tables' and the code's."""
    out: dict[str, dict[str, int] | str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "model.c"
        src.write_text(SOURCE)
        for name, (cc, size_tool, nm_tool) in TARGETS.items():
            if any(shutil.which(tool) is None for tool in (cc[0], size_tool, nm_tool)):
                out[name] = "compiler not installed"
                continue
            obj = Path(tmp) / f"{cc[0]}.o"
            subprocess.run([*cc, f"-I{header_dir}", "-c", str(src), "-o", str(obj)], check=True)
            fields = subprocess.run([size_tool, str(obj)], check=True, capture_output=True,
                                    text=True).stdout.splitlines()[1].split()
            text, tables = int(fields[0]), _table_bytes(nm_tool, obj)
            out[name] = {"text_bytes": text, "data_bytes": int(fields[1]), "bss_bytes": int(fields[2]),
                         "table_bytes": tables, "code_bytes": text - tables}
    return out


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logger.info("%s", json.dumps(measure()))


if __name__ == "__main__":
    main()
