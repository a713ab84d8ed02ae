"""``verilator --lint-only -Wall`` over the hand-written RTL library (``rtl/``).

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


def lint_library() -> int:
    failed = 0
    for path in library_modules():
        msg = lint_module(path)
        print(f"{'FAIL' if msg else 'ok  '} {path.name}")
        if msg:
            failed += 1
            print(msg, file=sys.stderr)
    return 1 if failed else 0
