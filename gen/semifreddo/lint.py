"""``verilator --lint-only -Wall`` over the hand-written RTL library (``rtl/``), and an
elaboration of the whole library with slang (pyslang), the frontend of ``make fpga``'s
yosys (``read_slang``): slang is stricter than Verilator in places (an identifier used
before its declaration is an error there, and was not a Verilator warning).

Each file holds one module named after the file; it is linted as the top with its
default parameters.  Generated RTL is linted by the tests that generate it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import RTL_DIR
from .toolchain import lint


def library_modules() -> list[Path]:
    return sorted(RTL_DIR.glob("*.sv"))


def lint_module(path: Path) -> str:
    """Lint one library file; returns Verilator's messages ('' when clean)."""
    proc = lint(library_modules(), top=path.stem)
    return (proc.stdout + proc.stderr).strip() if proc.returncode else ""


def slang_errors(paths: list[Path]) -> str:
    """Elaborate *paths* together with slang (every uninstantiated module is a top, with
    its default parameters); returns slang's errors ('' when there are none)."""
    from pyslang import DiagnosticEngine, ast, syntax

    comp = ast.Compilation()
    for path in paths:
        comp.addSyntaxTree(syntax.SyntaxTree.fromFile(str(path)))
    errors = [d for d in comp.getAllDiagnostics() if d.isError()]
    return DiagnosticEngine.reportAll(comp.sourceManager, errors).strip() if errors else ""


def lint_library() -> int:
    failed = 0
    msg = slang_errors(library_modules())
    print(f"{'FAIL' if msg else 'ok  '} slang elaboration of rtl/")
    if msg:
        failed += 1
        print(msg, file=sys.stderr)
    for path in library_modules():
        msg = lint_module(path)
        print(f"{'FAIL' if msg else 'ok  '} {path.name}")
        if msg:
            failed += 1
            print(msg, file=sys.stderr)
    return 1 if failed else 0
