"""``semifreddo sim`` / ``make sim``: generate, simulate on Verilator, compare, report.

Writes ``build/sim/report.json``, PNG images (input, hardware output, golden output,
difference) and prints a one-screen summary.  Exit status 1 on any mismatch.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from . import BUILD_DIR, REPO_ROOT, golden, rtlgen
from .fileio import write_text
from .netdesc import Network
from .simulate import run_cocotb
from .toolchain import lint
from .weights import Config, ConvWeights

SIM_DIR = BUILD_DIR / "sim"


def tile_channels(fmap: np.ndarray, bits: int, signed: bool) -> np.ndarray:
    """(H, W, C) feature map → one grayscale mosaic (uint8), channels left to right."""
    h, w, c = fmap.shape
    cols = int(np.ceil(np.sqrt(c)))
    rows = -(-c // cols)
    lo = -(1 << (bits - 1)) if signed else 0
    scaled = ((fmap.astype(np.float64) - lo) * 255.0 / ((1 << bits) - 1)).clip(0, 255).astype(np.uint8)
    mosaic = np.zeros((rows * (h + 1), cols * (w + 1)), dtype=np.uint8)
    for k in range(c):
        r, q = divmod(k, cols)
        mosaic[r * (h + 1):r * (h + 1) + h, q * (w + 1):q * (w + 1) + w] = scaled[..., k]
    return mosaic


def save_png(path: Path, pixels: np.ndarray, scale: int = 2) -> None:
    from PIL import Image

    img = Image.fromarray(pixels)
    img = img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)
    img.save(path)


def simulate_network(net: Network, frozen: list[ConvWeights], cfg: Config, image: np.ndarray,
                     *, waves: bool = False, seed: int = 1, image_name: str = "random") -> int:
    """Simulate the frozen core of *net* on *image*; compare with the golden model.

    The trainable cores and heads are not in hardware yet, so the compared output is the
    frozen core's last feature map (first pass of the tail).
    """
    SIM_DIR.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    design = rtlgen.frozen_core(net, frozen, SIM_DIR / "rtl")
    gen_seconds = time.perf_counter() - t0
    proc = lint(design.sources, top=design.top)
    if proc.returncode:
        print(proc.stdout + proc.stderr)
        return 1

    x = np.asarray(image, dtype=np.int64)
    for n, spec in enumerate(net.frozen):
        x = golden.conv(x, frozen[n], spec)
    expected, last = x, net.frozen[-1]
    np.savez(SIM_DIR / "stimulus.npz", image=image, in_bits=net.input_bits,
             out_shape=np.array(expected.shape), out_bits=last.out_bits)

    t0 = time.perf_counter()
    run_cocotb(toplevel=design.top, sources=design.sources, test_module="sim_network",
               build_name=f"sim_{net.name}", seed=seed, waves=waves,
               extra_env={"SF_SIM_IO": str(SIM_DIR)},
               python_paths=[REPO_ROOT / "tb", REPO_ROOT / "tb" / "sim"])
    sim_seconds = time.perf_counter() - t0
    with np.load(SIM_DIR / "hardware.npz") as z:
        hw = z["output"].astype(np.int64)
        first_in, last_in, last_out = int(z["first_in"]), int(z["last_in"]), int(z["last_out"])
    if last.out_signed:
        hw = np.where(hw >= 1 << (last.out_bits - 1), hw - (1 << last.out_bits), hw)
    mismatches = int(np.count_nonzero(hw != expected))
    input_pixels = net.input_width * net.input_height

    save_png(SIM_DIR / "input.png", image.astype(np.uint8) if net.input_bits == 8
             else tile_channels(image, net.input_bits, False))
    save_png(SIM_DIR / "hardware.png", tile_channels(hw, last.out_bits, last.out_signed))
    save_png(SIM_DIR / "golden.png", tile_channels(expected, last.out_bits, last.out_signed))
    diff = np.abs(hw - expected)
    save_png(SIM_DIR / "difference.png", ((diff > 0) * 255).astype(np.uint8).max(axis=2))

    report = {
        "network": net.name, "build_id": f"{net.build_id:016x}", "images": [image_name],
        "compared": "frozen core output (last frozen block, first pass)",
        "bit_exact": mismatches == 0, "mismatches": mismatches,
        "cycles": last_out, "input_pixels": input_pixels,
        "pixels_per_clock": input_pixels / (last_in - first_in + 1),
        "sim_seconds": sim_seconds, "generate_seconds": gen_seconds,
        "blocks": [b.report for b in design.blocks],
    }
    write_text(SIM_DIR / "report.json", json.dumps(report, indent=2) + "\n")
    _summary(report)
    return 0 if mismatches == 0 else 1


def _summary(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"make sim: {report['network']} (build ID {report['build_id']})")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key in ("images", "compared", "bit_exact", "mismatches", "cycles", "input_pixels",
                "pixels_per_clock", "sim_seconds", "generate_seconds"):
        v = report[key]
        table.add_row(key, f"{v:.4g}" if isinstance(v, float) else str(v))
    console = Console()
    console.print(table)
    console.print(f"report: {SIM_DIR / 'report.json'}; images: input.png hardware.png golden.png "
                  f"difference.png in {SIM_DIR}")
