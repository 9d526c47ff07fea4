"""Code size of the exported AF model (firmware/core/cw_rhythm_model.h) as the firmware would build it.

    python benchmarks/rhythm_model_size.py

Compiles one function calling ``cw_rhythm_model_predict_proba`` with ``-Os`` for the host (gcc) and,
when installed, for the ESP32-C3 instruction set (riscv64-unknown-elf-gcc, rv32imc, no FPU: float
compares are library calls), and prints the ``size`` of each object file.
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
int cw_rhythm_af_proba(const float *f, float *out) {
    return cw_rhythm_model_predict_proba(f, CW_RHYTHM_N_FEATURES, out, 2);
}
"""
TARGETS = {
    "host gcc -Os": (["gcc", "-std=c99", "-Os"], "size"),
    "rv32imc gcc -Os": (["riscv64-unknown-elf-gcc", "-std=c99", "-Os", "-march=rv32imc", "-mabi=ilp32",
                         "--specs=picolibc.specs"], "riscv64-unknown-elf-size"),
}

logger = logging.getLogger("rhythm_model_size")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "model.c"
        src.write_text(SOURCE)
        for name, (cc, size_tool) in TARGETS.items():
            if shutil.which(cc[0]) is None or shutil.which(size_tool) is None:
                out[name] = "compiler not installed"
                continue
            obj = Path(tmp) / f"{cc[0]}.o"
            subprocess.run([*cc, f"-I{HEADER_DIR}", "-c", str(src), "-o", str(obj)], check=True)
            fields = subprocess.run([size_tool, str(obj)], check=True, capture_output=True,
                                    text=True).stdout.splitlines()[1].split()
            out[name] = {"text_bytes": int(fields[0]), "data_bytes": int(fields[1]), "bss_bytes": int(fields[2])}
    logger.info("%s", json.dumps(out))


if __name__ == "__main__":
    main()
