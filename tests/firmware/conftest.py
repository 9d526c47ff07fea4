"""Fixtures of the firmware checks: the core built once per session for the host and for rv32.

All firmware tests share the xdist group ``firmware`` so that one worker builds and runs them. Missing
toolchains skip locally and fail in CI (``firmware/tools/install-toolchains.sh`` installs them).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_tool(name: str) -> ModuleType:
    path = ROOT / "firmware" / "tools" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"cw_firmware_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fwbuild = _load_tool("fwbuild")
agreement = _load_tool("agreement")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.xdist_group("firmware"))


def require_tools(tools: tuple[str, ...]) -> None:
    """Skip (locally) or fail (in CI) when a command is missing."""
    missing = fwbuild.missing_tools(tools)
    if missing:
        message = f"missing {', '.join(missing)}: run firmware/tools/install-toolchains.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def host_build() -> Path:
    require_tools(fwbuild.HOST_TOOLS)
    if not Path("/usr/include/cmocka.h").exists():
        require_tools(("cmocka-is-missing",))
    return fwbuild.build_host()


@pytest.fixture(scope="session")
def rv32_build() -> Path:
    require_tools(fwbuild.RV32_TOOLS)
    return fwbuild.build_rv32()


@pytest.fixture(scope="session")
def xtensa_objects() -> list[Path]:
    require_tools(fwbuild.XTENSA_TOOLS)
    return fwbuild.build_xtensa()
