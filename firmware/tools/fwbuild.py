"""Build the firmware core for the host and for rv32 (ESP32-C3 ISA), compile it for Xtensa, report sizes.

Shared by the pytest drivers (``tests/firmware/``) and the size report; only the standard library.

Usage (from the repository root)::

    python firmware/tools/fwbuild.py            # build both, print the size report (markdown)
    python firmware/tools/fwbuild.py --write    # ... and write it into docs/benchmarks.md (Firmware)
    python firmware/tools/fwbuild.py --queue    # how long the RAM offline queue holds, per sensor
    python firmware/tools/fwbuild.py --vf-cost  # instructions of the VF detector per second of ECG (rv32)
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "firmware" / "core"
BUILD = ROOT / "build"
HOST_DIR = BUILD / "firmware-host"
RV32_DIR = BUILD / "firmware-rv32"
XTENSA_DIR = BUILD / "firmware-xtensa"
RV32_TOOLCHAIN = CORE / "cmake" / "riscv32-picolibc.cmake"
BENCHMARKS = ROOT / "docs" / "benchmarks.md"
QEMU = ["qemu-system-riscv32", "-M", "virt", "-nographic", "-bios", "none", "-serial", "none",
        "-monitor", "none", "-semihosting-config", "enable=on,target=native", "-kernel"]
XTENSA_CC = ["xtensa-lx106-elf-gcc", "-std=c99", "-ffreestanding", "-Os", "-mlongcalls", "-Wall", "-Wextra",
             "-Werror", "-ffunction-sections", "-fdata-sections"]
#: Flash and RAM budget of core + model on the device (issue 7).
FLASH_BUDGET_BYTES = 32 * 1024
RAM_BUDGET_BYTES = 8 * 1024
HOST_TOOLS = ("cmake", "gcc")
RV32_TOOLS = ("cmake", "riscv64-unknown-elf-gcc", "qemu-system-riscv32", "riscv64-unknown-elf-size")
XTENSA_TOOLS = ("xtensa-lx106-elf-gcc", "xtensa-lx106-elf-size")

log = logging.getLogger("fwbuild")


def missing_tools(tools: tuple[str, ...]) -> list[str]:
    """The commands of ``tools`` not on PATH."""
    return [t for t in tools if shutil.which(t) is None]


@contextmanager
def _build_lock() -> Iterator[None]:
    """Serialise builds between pytest-xdist workers and concurrent runs."""
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / "firmware.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def _cmake_build(build_dir: Path, *configure: str) -> Path:
    with _build_lock():
        _run(["cmake", "-S", str(CORE), "-B", str(build_dir), *configure])
        _run(["cmake", "--build", str(build_dir), "-j", "2"])
    return build_dir


def build_host() -> Path:
    """Configure and build the core, its tests and host tools with ASan + UBSan; return the build dir."""
    return _cmake_build(HOST_DIR, "-DCMAKE_BUILD_TYPE=Debug", "-DCW_SANITIZE=ON")


def build_rv32() -> Path:
    """Cross-build the core and its tests for rv32imc with picolibc; return the build dir."""
    return _cmake_build(RV32_DIR, f"-DCMAKE_TOOLCHAIN_FILE={RV32_TOOLCHAIN}")


def core_sources() -> list[Path]:
    """The core's C units."""
    return sorted(CORE.glob("cw_*.c"))


def build_xtensa() -> list[Path]:
    """Compile every core unit for Xtensa (lx106; Debian ships it without a C library, so the core is
    compiled freestanding: it needs only <stdint.h>, <stddef.h> and the compiler's own helpers)."""
    objects = []
    with _build_lock():
        XTENSA_DIR.mkdir(parents=True, exist_ok=True)
        for src in core_sources():
            obj = XTENSA_DIR / (src.stem + ".o")
            _run([*XTENSA_CC, f"-I{CORE}", "-c", str(src), "-o", str(obj)])
            objects.append(obj)
    return objects


def run_qemu(elf: Path, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run a semihosted rv32 executable under QEMU; its exit code is the program's.

    Semihosted console output reaches QEMU's stderr; it is merged into ``stdout`` here.
    """
    return subprocess.run([*QEMU, str(elf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout_s)


@dataclass(frozen=True)
class SectionSizes:
    """Bytes of code (+ read-only data), initialised data and zeroed data of some objects."""

    text: int
    data: int
    bss: int

    @property
    def flash(self) -> int:
        return self.text + self.data

    @property
    def ram(self) -> int:
        return self.data + self.bss


def object_sizes(size_tool: str, paths: list[Path]) -> dict[str, SectionSizes]:
    """Berkeley ``size`` of each object (archive members included), keyed by object name."""
    out = _run([size_tool, *map(str, paths)]).stdout
    sizes = {}
    for line in out.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 6 and parts[0].isdigit():
            name = re.sub(r"\.c\.obj$|\.o$|\.obj$", "", Path(parts[5]).name)
            sizes[name] = SectionSizes(int(parts[0]), int(parts[1]), int(parts[2]))
    return sizes


def struct_sizes(rv32_dir: Path) -> dict[str, int]:
    """sizeof of each core state struct on rv32 (printed by tools/cw_sizes.c under QEMU)."""
    proc = run_qemu(rv32_dir / "cw_sizes")
    if proc.returncode != 0:
        raise RuntimeError(f"cw_sizes failed ({proc.returncode}): {proc.stdout}")
    return {name: int(value) for name, value in (line.split() for line in proc.stdout.splitlines() if line)}


@dataclass(frozen=True)
class ImageCost:
    """Flash one device kind's core costs on rv32: the linked image minus the base image."""

    kind: str
    flash: int  #: text + data, everything the core pulls in
    helpers: int  #: of which libgcc soft-float / 64-bit division helpers (in the ESP32 and ESP32-C3 ROMs)
    ram: int  #: the state structs this kind needs (sizeof on rv32)

    @property
    def flash_without_rom_helpers(self) -> int:
        return self.flash - self.helpers


def _symbols(elf: Path) -> dict[str, int]:
    out = _run(["riscv64-unknown-elf-nm", "-S", str(elf)]).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "TtRr":
            sizes[parts[3]] = int(parts[1], 16)
    return sizes


#: libgcc helpers a soft-float / 32-bit target calls: in ROM on the ESP32 and ESP32-C3.
_HELPER = re.compile(r"^__(add|sub|mul|div|neg|cmp|eq|ne|lt|le|gt|ge|unord|fix|float|extend|trunc|u?div|u?mod)"
                     r"[a-z]*[sdt]?f?[0-9]$|^__(u?divdi3|u?moddi3|clzsi2|clzdi2|ashldi3|lshrdi3|ashrdi3)$")


def image_costs(rv32_dir: Path) -> list[ImageCost]:
    """Flash and RAM of the core per device kind (ECG: QRS + VF + rhythm; PPG: pulses + rhythm)."""
    base = object_sizes("riscv64-unknown-elf-size", [rv32_dir / "cw_image_base"])["cw_image_base"]
    base_syms = _symbols(rv32_dir / "cw_image_base")
    structs = struct_sizes(rv32_dir)
    common = structs["cw_ring_t"] + structs["cw_queue_t"] + structs["cw_rhythm_t"] + structs["cw_alarm_t"] + structs["cw_settings_t"] + structs["cw_spool_t"]
    costs = []
    # an ECG device also runs the VF detector (cw_vf_t); a PPG device the signal-quality stage
    for kind, detectors in (("ecg", ("cw_qrs_t", "cw_vf_t")), ("ppg", ("cw_ppg_t", "cw_ppg_quality_t"))):
        name = f"cw_image_{kind}"
        img = object_sizes("riscv64-unknown-elf-size", [rv32_dir / name])[name]
        helpers = sum(size for sym, size in _symbols(rv32_dir / name).items()
                      if _HELPER.match(sym) and sym not in base_syms)
        costs.append(ImageCost(kind, img.flash - base.flash, helpers, common + sum(structs[d] for d in detectors)))
    return costs


def size_report() -> str:
    """Markdown of the core's flash and RAM on rv32imc and Xtensa, against the budget."""
    rv32 = build_rv32()
    rv_sizes = object_sizes("riscv64-unknown-elf-size", [rv32 / "libcw_core.a"])
    xt_sizes = object_sizes("xtensa-lx106-elf-size", build_xtensa())
    structs = struct_sizes(rv32)
    rows = ["| unit | rv32imc text | xtensa-lx106 text |", "|---|---:|---:|"]
    for name in sorted(rv_sizes):
        xt = xt_sizes.get(name, SectionSizes(0, 0, 0))
        rows.append(f"| {name} | {rv_sizes[name].text} | {xt.text} |")
    rows.append(f"| **all units** | **{sum(s.text for s in rv_sizes.values())}** | "
                f"**{sum(s.text for s in xt_sizes.values())}** |")
    data_bss = sum(s.ram for s in rv_sizes.values()) + sum(s.ram for s in xt_sizes.values())
    lines = [
        "Made by `python firmware/tools/fwbuild.py --write` (`-Os`; rv32imc = the ESP32-C3 ISA, Debian's "
        "riscv64-unknown-elf-gcc + picolibc; Xtensa = Debian's xtensa-lx106-elf-gcc, the ESP8266 core: a "
        "portability proof, not the ESP32 ABI). Units of the core library (code + constant data):",
        "",
        *rows,
        "",
        f"The core has no mutable globals (data + bss of all units: {data_bss} B); its state is in caller-owned "
        "structs (sizeof on rv32: " + ", ".join(f"`{k}` {v} B" for k, v in structs.items()) + ").",
        "",
        "Per device kind, a firmware-shaped program linked with `--gc-sections` (`firmware/core/tools/cw_image.c`) "
        "minus the same program without the core: what an ECG device (frames, ring, queue, acks, QRS, rhythm "
        "features + AF model, VF detector + model with the 250 Hz constants, local alarm) and a PPG device (the same "
        "without VF, with the pulse detector and the signal-quality stage) "
        "really carry. The ESP32 and "
        "ESP32-C3 have libgcc's soft-float and 64-bit division helpers in ROM, so the budget counts the core "
        "without them:",
        "",
        "| device kind | flash, all linked | of which libgcc helpers | flash, core + model | budget | RAM (state structs) | budget |",
        "|---|---:|---:|---:|---|---:|---|",
    ]
    costs = image_costs(rv32)
    for c in costs:
        ok_f = "within" if c.flash_without_rom_helpers <= FLASH_BUDGET_BYTES else "**OVER**"
        ok_r = "within" if c.ram <= RAM_BUDGET_BYTES else "**OVER**"
        lines.append(f"| {c.kind} | {c.flash} B | {c.helpers} B | **{c.flash_without_rom_helpers} B** | "
                     f"{ok_f} {FLASH_BUDGET_BYTES} B | **{c.ram} B** | {ok_r} {RAM_BUDGET_BYTES} B |")
    fits_all = [c.kind for c in costs if c.flash <= FLASH_BUDGET_BYTES]
    lines += ["", "Counting the libgcc helpers too (a build that links its own copies instead of the ROM's), "
              + ("every device kind is within the flash budget." if len(fits_all) == len(costs) else
                 f"within the flash budget: {', '.join(fits_all) or 'none'}; over it: "
                 f"{', '.join(c.kind for c in costs if c.kind not in fits_all)}.")]
    lines += ["", "Sample buffers (the ring, the offline queue) are sized in `firmware/src/config.h` and not counted; "
              "nor are the VF detector's three caller-owned windows (raw, filtered, scratch: "
              f"{structs['cw_vf_buffers_250']} B at 250 Hz, a 4 s window each: raw and filtered of float, scratch of "
              "int32). `cw_rhythm_features` uses about 2.2 KB of stack and `cw_vf_push` about 0.6 KB (rv32imc -Os, "
              "`-fstack-usage`; the framer task has 8 KB)."]
    return "\n".join(lines) + "\n"


#: QEMU with an exact instruction counter: minstret counts retired instructions
QEMU_ICOUNT = [*QEMU[:-1], "-icount", "shift=0", "-kernel"]
#: Clocks of the ESP32-C3 (rv32imc, no FPU) and of the ESP32 (Xtensa LX6, single-precision FPU)
C3_HZ = 160_000_000
ESP32_HZ = 240_000_000
#: cw_vf_cost builds: the ESP32-C3's ISA (soft float), and rv32 with the F extension standing in for
#: the ESP32's single-precision FPU (double stays soft-float on both)
VF_COST_ARCHES = {"rv32imc": ["-march=rv32imc", "-mabi=ilp32"], "rv32imafc": ["-march=rv32imafc", "-mabi=ilp32f"]}


def vf_cost(arch: str) -> dict[str, int]:
    """Instructions the VF detector executes on `arch` (tools/cw_vf_cost.c under QEMU -icount), built like
    the rv32 toolchain file builds the core (-Os, picolibc, semihosting)."""
    out = BUILD / "firmware-vf-cost" / f"cw_vf_cost_{arch}"
    out.parent.mkdir(parents=True, exist_ok=True)
    _run(["riscv64-unknown-elf-gcc", *VF_COST_ARCHES[arch], "--specs=picolibc.specs", "-Os", "-ffunction-sections",
          "-fdata-sections", "-std=c99", "-Wall", "-Wextra", "-Werror", "-DCW_VF_PROFILE", f"-I{CORE}",
          *(str(CORE / f) for f in ("cw_vf.c", "cw_iir.c", "cw_err.c", "tools/cw_vf_cost.c")),
          "--oslib=semihost", "--crt0=semihost", "-Wl,--gc-sections", "-Wl,--defsym=__flash=0x80000000",
          "-Wl,--defsym=__flash_size=0x400000", "-Wl,--defsym=__ram=0x80400000", "-Wl,--defsym=__ram_size=0x400000",
          "-Wl,--defsym=__stack_size=0x10000", "-lm", "-o", str(out)])
    proc = subprocess.run([*QEMU_ICOUNT, str(out)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"cw_vf_cost failed ({proc.returncode}): {proc.stdout}")
    return {name: int(value) for name, value in (line.split() for line in proc.stdout.splitlines() if line)}


def vf_multiply_adds(fs: int = 250) -> tuple[int, int, int]:
    """Spectrum bins, autocorrelation lags and the multiply-adds of both loops per window, at rate `fs`
    (from cw_vf_model.h: window, hop, acf_lo, acf_hi, ..., bin_lo, bin_hi)."""
    match = re.search(rf"cw_vf_rate_{fs} = {{[^,]+, (\d+)u, \d+u, (\d+)u, (\d+)u, \d+u, \d+u, (\d+)u, (\d+)u",
                      (CORE / "cw_vf_model.h").read_text())
    if match is None:
        raise RuntimeError(f"cw_vf_rate_{fs} not found in cw_vf_model.h")
    n, acf_lo, acf_hi, bin_lo, bin_hi = map(int, match.groups())
    bins, lags = bin_hi - bin_lo + 1, acf_hi - acf_lo + 1
    return bins, lags, bins * n + sum(n - lag for lag in range(acf_lo, acf_hi + 1))


#: cw_vf_stage_t, in the order cw_vf_cost.c prints them, with what each covers
VF_STAGES = (("filter", "band-pass and ring (every sample)"), ("quality", "raw window: missing, flat, clipped"),
             ("moments", "mean, scale, TCSC, mean magnitude, steep samples, kurtosis"),
             ("leakage", "VF-filter leakage"), ("acf", "autocorrelation peak and rate"), ("psr", "phase-space boxes"),
             ("spectrum", "Hann window, Goertzel bins, spectral features"), ("model", "bins, trees, hysteresis"))


def vf_cost_report() -> str:
    """Markdown of vf_cost() on both builds, in all and per stage of cw_vf_push."""
    soft, hard = vf_cost("rv32imc"), vf_cost("rv32imafc")
    bins, lags, macs = vf_multiply_adds()
    stages = [f"| {name} | {what} | {soft['stage_' + name] / 1e6:.2f} M | "
              f"{100 * soft['stage_' + name] / soft['per_second']:.0f} % | {hard['stage_' + name] / 1e6:.2f} M |"
              for name, what in VF_STAGES]
    return "\n".join([
        f"VF detector (`cw_vf`, 250 Hz, one 4 s window a second), instructions per second of ECG counted by QEMU "
        f"(`-icount shift=0`, minstret; mean over {soft['seconds']} s of a generated sinus-like then VF-like "
        f"signal, {soft['windows']} windows). The spectrum (Goertzel, {bins} bins) and the autocorrelation ({lags} "
        f"lags) are {macs / 1e6:.2f} M multiply-adds a window, on integers (int32 products; the autocorrelation sums "
        "in int64), so the FPU-less ESP32-C3 runs them in hardware too.",
        "",
        "| build (-Os) | stands for | instructions per second of ECG | dearest window | share of the CPU at one "
        "instruction a cycle (target for the C3: <= 10 %) |",
        "|---|---|---:|---:|---:|",
        f"| rv32imc, soft-float | ESP32-C3 ({C3_HZ // 1_000_000} MHz, no FPU) | **{soft['per_second'] / 1e6:.1f} M** | "
        f"{soft['dearest_window'] / 1e6:.1f} M | >= {100 * soft['per_second'] / C3_HZ:.1f} % |",
        f"| rv32imafc, float in hardware | ESP32 ({ESP32_HZ // 1_000_000} MHz, single-precision FPU; another ISA) | "
        f"**{hard['per_second'] / 1e6:.1f} M** | {hard['dearest_window'] / 1e6:.1f} M | "
        f">= {100 * hard['per_second'] / ESP32_HZ:.1f} % |",
        "",
        "The FPU build is a stand-in for the firmware's ESP32 board (Xtensa LX6, not emulated here). The feature loops "
        "are integer in both builds; what is left in floating point is the band-pass (double: soft-float in both) "
        "and a few dozen ratios a window, so the two cost about the same.",
        "",
        "Per stage of `cw_vf_push` (instructions per second of ECG; `cw_vf.c` built with `CW_VF_PROFILE`, which marks "
        "where each stage ends):",
        "",
        "| stage | what | rv32imc | share of the detector | rv32imafc |",
        "|---|---|---:|---:|---:|",
        *stages,
        "",
        "Made by `python firmware/tools/fwbuild.py --vf-cost --write` (`firmware/core/tools/cw_vf_cost.c`).",
    ]) + "\n"


def _header_constant(header: str, name: str) -> int:
    match = re.search(rf"#define {name} (\d+)u?", (CORE / header).read_text())
    if match is None:
        raise RuntimeError(f"{name} not found in {header}")
    return int(match.group(1))


def _config_constant(name: str) -> int:
    text = (ROOT / "firmware" / "src" / "config.h.example").read_text()
    match = re.search(rf"#define {name} \(?(\d+)(?: \* (\d+))?\)?", text)
    if match is None:
        raise RuntimeError(f"{name} not found in config.h.example")
    return int(match.group(1)) * int(match.group(2) or 1)


@dataclass(frozen=True)
class QueueSpan:
    """How long the offline queue holds one sensor's frames: in RAM, and in the flash spool."""

    sensor: str
    fs_hz: int
    channels: int
    bytes_per_value: int
    frame_bytes: int
    seconds: float
    flash_seconds: float


#: the esp32dev default partition table's data partition (default.csv: spiffs, 0x160000), LittleFS's home
FLASH_PARTITION_BYTES = 0x160000
#: firmware/src/spool.cpp: 16 KiB segments, three quarters of the partition
SPOOL_SEGMENT_BYTES = 16384
SPOOL_SEGMENTS = FLASH_PARTITION_BYTES * 3 // 4 // SPOOL_SEGMENT_BYTES


#: sensor, sample rate (Hz, config.h.example defaults), channels, bytes per value (int16 / int32)
QUEUE_SENSORS = (("AD8232 ECG", 250, 1, 2), ("analog pulse sensor", 100, 1, 2), ("MAX30102 (red + IR)", 100, 2, 4))
FRAMES_PER_SECOND = 5  # firmware/src/main.cpp kFramesPerSecond


def queue_spans() -> list[QueueSpan]:
    """Seconds of signal the offline queue (CW_OFFLINE_QUEUE_BYTES) holds, per sensor kind."""
    header = _header_constant("cw_frame.h", "CW_FRAME_HEADER_BYTES")
    crc = _header_constant("cw_frame.h", "CW_FRAME_CRC_BYTES")
    slot = _header_constant("cw_queue.h", "CW_QUEUE_OVERHEAD")
    arena = _config_constant("CW_OFFLINE_QUEUE_BYTES")
    record = _header_constant("cw_spool.h", "CW_SPOOL_RECORD_OVERHEAD")
    spans = []
    for sensor, fs_hz, channels, width in QUEUE_SENSORS:
        frame = header + (fs_hz // FRAMES_PER_SECOND) * channels * width + crc
        per_second = (frame + slot) * FRAMES_PER_SECOND
        flash_frames = SPOOL_SEGMENTS * (SPOOL_SEGMENT_BYTES // (frame + record))
        spans.append(QueueSpan(sensor, fs_hz, channels, width, frame, arena / per_second,
                               flash_frames / FRAMES_PER_SECOND))
    return spans


def queue_report() -> str:
    """Markdown table of queue_spans()."""
    arena = _config_constant("CW_OFFLINE_QUEUE_BYTES")
    rows = [f"Made by `python firmware/tools/fwbuild.py --queue` (`CW_OFFLINE_QUEUE_BYTES` = {arena} B of RAM, "
            f"{_header_constant('cw_queue.h', 'CW_QUEUE_OVERHEAD')} B per frame; flash spool: {SPOOL_SEGMENTS} "
            f"segments of {SPOOL_SEGMENT_BYTES} B in the {FLASH_PARTITION_BYTES} B data partition, "
            f"{_header_constant('cw_spool.h', 'CW_SPOOL_RECORD_OVERHEAD')} B per frame; "
            f"{FRAMES_PER_SECOND} frames a second):", "",
            "| sensor | rate | frame | RAM queue holds | flash spool holds |", "|---|---:|---:|---:|---:|"]
    for q in queue_spans():
        rows.append(f"| {q.sensor} | {q.fs_hz} Hz | {q.frame_bytes} B | {q.seconds:.0f} s ({q.seconds / 60:.1f} min) | "
                    f"{q.flash_seconds / 60:.0f} min |")
    return "\n".join(rows) + "\n"


def write_benchmarks_part(key: str, text: str) -> None:
    """Put ``text`` into part ``key`` of the Firmware section of docs/benchmarks.md.

    The section lies between ``<!-- firmware:begin -->`` and ``<!-- firmware:end -->`` (appended under a
    "Firmware" heading when absent); each part between ``<!-- fw-KEY:begin -->`` / ``<!-- fw-KEY:end -->``,
    so the size report and each agreement figure are rewritten independently.
    """
    begin, end = "<!-- firmware:begin -->", "<!-- firmware:end -->"
    part_begin, part_end = f"<!-- fw-{key}:begin -->", f"<!-- fw-{key}:end -->"
    doc = BENCHMARKS.read_text() if BENCHMARKS.exists() else "# Benchmarks\n"
    if begin not in doc or end not in doc:
        doc = doc.rstrip("\n") + f"\n\n## Firmware\n\n{begin}\n{end}\n"
    head, rest = doc.split(begin, 1)
    section, tail = rest.split(end, 1)
    block = f"{part_begin}\n{text.rstrip()}\n{part_end}\n"
    if part_begin in section and part_end in section:
        section = section[: section.index(part_begin)] + block + section[section.index(part_end) + len(part_end) + 1:]
    else:
        section = section.lstrip("\n") + block
    BENCHMARKS.write_text(f"{head}{begin}\n{section.lstrip(chr(10))}{end}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="firmware core size report")
    parser.add_argument("--write", action="store_true", help="write the report into docs/benchmarks.md")
    parser.add_argument("--queue", action="store_true", help="print how long the offline queue holds, per sensor")
    parser.add_argument("--vf-cost", action="store_true", help="instructions of the VF detector per second (rv32)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.queue:
        sys.stdout.write(queue_report())
        return 0
    if args.vf_cost:
        report = vf_cost_report()
        sys.stdout.write(report)
        if args.write:
            write_benchmarks_part("vf-cost", report)
        return 0
    report = size_report()
    sys.stdout.write(report)
    if args.write:
        write_benchmarks_part("size", report)
        log.info("wrote the Firmware section of %s", BENCHMARKS.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
