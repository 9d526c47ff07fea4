"""The firmware core's C unit tests: host (ASan + UBSan), rv32imc under QEMU, Xtensa compile, sizes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, fwbuild

C_TESTS = sorted(p.stem for p in (ROOT / "firmware" / "core" / "tests").glob("test_*.c"))


@pytest.mark.parametrize("name", C_TESTS)
def test_core_unit_tests_pass_on_the_host_under_sanitizers(host_build: Path, name: str) -> None:
    proc = subprocess.run([str(host_build / name)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[  PASSED  ]" in proc.stdout + proc.stderr


def test_host_build_is_instrumented_by_the_sanitizers(host_build: Path) -> None:
    symbols = subprocess.run(["nm", str(host_build / C_TESTS[0])], capture_output=True, text=True).stdout
    assert "__asan_init" in symbols and "__ubsan_handle" in symbols


@pytest.mark.parametrize("name", C_TESTS)
def test_core_unit_tests_pass_on_rv32imc_under_qemu(rv32_build: Path, name: str) -> None:
    proc = fwbuild.run_qemu(rv32_build / name)
    assert proc.returncode == 0, proc.stdout
    assert ": 0 failed" in proc.stdout


def test_rv32_harness_reports_a_failing_test_as_a_nonzero_exit(rv32_build: Path, tmp_path: Path) -> None:
    # the QEMU + semihosting exit path must carry failures back, or every rv32 check above is vacuous
    src = tmp_path / "test_fails.c"
    src.write_text('#include "test_common.h"\n'
                   "static void test_x_should_fail(void **s) { (void)s; assert_int_equal(1, 2); }\n"
                   "int main(void) { const struct CMUnitTest t[] = { cmocka_unit_test(test_x_should_fail) };\n"
                   "  return cmocka_run_group_tests(t, NULL, NULL); }\n")
    elf = tmp_path / "test_fails"
    tests_dir = ROOT / "firmware" / "core" / "tests"
    subprocess.run(["riscv64-unknown-elf-gcc", "-march=rv32imac", "-mabi=ilp32", "--specs=picolibc.specs",
                    "--oslib=semihost", "--crt0=semihost", f"-I{tests_dir}", f"-I{tests_dir / 'minicmocka'}",
                    "-Wl,--defsym=__flash=0x80000000", "-Wl,--defsym=__flash_size=0x400000",
                    "-Wl,--defsym=__ram=0x80400000", "-Wl,--defsym=__ram_size=0x400000",
                    str(src), "-o", str(elf)], check=True, capture_output=True)
    proc = fwbuild.run_qemu(elf)
    assert proc.returncode == 1
    assert "FAILED" in proc.stdout


def test_core_compiles_for_xtensa(xtensa_objects: list[Path]) -> None:
    assert {p.stem for p in xtensa_objects} == {p.stem for p in fwbuild.core_sources()}
    assert all(p.stat().st_size > 0 for p in xtensa_objects)


def test_core_fits_the_flash_and_ram_budget(rv32_build: Path) -> None:
    costs = fwbuild.image_costs(rv32_build)
    assert {c.kind for c in costs} == {"ecg", "ppg"}
    for cost in costs:
        assert cost.flash > 10000  # the images really link the detectors and the model
        assert cost.flash_without_rom_helpers <= fwbuild.FLASH_BUDGET_BYTES, cost
        assert cost.ram <= fwbuild.RAM_BUDGET_BYTES, cost
    # since the AF model is tables (issue 4) a PPG image fits even where the helpers are not in ROM; the ECG
    # image's VF spectrum and autocorrelation need the double-precision helpers, which the ESP32 ROM holds
    ppg = next(c for c in costs if c.kind == "ppg")
    assert ppg.flash <= fwbuild.FLASH_BUDGET_BYTES, ppg


def test_c_vectors_header_is_up_to_date_with_the_json_vectors() -> None:
    proc = subprocess.run(["python3", str(ROOT / "firmware" / "tools" / "gen_vectors_header.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
