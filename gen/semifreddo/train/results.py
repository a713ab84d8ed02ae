"""``semifreddo results`` / ``make results``: regenerate docs/results.md (NumPy only).

For every shipped weight set (weights/trained/provenance.json) and each of its two tasks:

* the float model's metric (recorded by ``make train``: it needs PyTorch);
* the quantised model's metric, recomputed here with ``golden.run`` on the full
  evaluation data and checked against the recorded value;
* the simulated hardware's metric on a few images: ``sim.simulate_network`` streams them
  through the Verilator model of the trained network and compares every output beat with
  the golden model; the metric is computed from the hardware's own outputs (class scores
  from its report, dense images decoded from its hardware PNGs, which hold the 8-bit
  values exactly);
* the ablation recorded by ``make train``: the frozen core alone plus only a retrained
  head of the same kind.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np

from .. import BUILD_DIR, REPO_ROOT, golden, weights
from ..fileio import write_text
from ..netdesc import load_description
from . import data

RESULTS_MD = REPO_ROOT / "docs" / "results.md"
SIM_OUT = BUILD_DIR / "results"


def fmt(task: str, v: float | None) -> str:
    if v is None:
        return "—"
    return f"{100 * v:.1f} %" if data.TASKS[task]["kind"] == "classification" else f"{v:.2f} dB"


def load_trained(folder: Path):
    prov = json.loads((folder / "provenance.json").read_text())
    net = load_description(folder / prov["description"])
    frozen = weights.load_frozen(net)
    cfgs = {s["name"]: weights.load_config(net, folder / s["file"]) for s in prov["sets"]}
    return prov, net, frozen, cfgs


def golden_metrics(net, frozen, cfg, spec: dict, folder: Path) -> dict:
    """Both tasks of a weight set with golden.run on the full evaluation data."""
    fx, fy = data.faces_test(folder)
    scores = np.stack([golden.run(net, frozen, cfg, x).heads["a"] for x in fx])
    ev = data.dense_eval(spec["b"])
    dense = [golden.run(net, frozen, cfg, x).heads["b"][..., 0] for _, x, _ in ev]
    return {spec["a"]: data.accuracy(scores, fy), spec["b"]: data.psnr(dense, [t for _, _, t in ev])}


def sim_images(spec: dict, folder: Path, k: int):
    """k face-test images (alternating face / non-face) and k photographs for the dense task."""
    fx, fy = data.faces_test(folder)
    faces = [i for i in range(len(fy)) if fy[i] == 1][: (k + 1) // 2] + \
            [i for i in range(len(fy)) if fy[i] == 0][: k // 2]
    imgs = [(f"{'face' if fy[i] else 'nonface'}{i}", fx[i], int(fy[i])) for i in faces]
    ev = data.dense_eval(spec["b"])[:k]
    return imgs, ev


def simulate_set(net, frozen, cfg, spec: dict, folder: Path, k: int) -> dict:
    """One simulation of the trained network with this weight set on 2k images."""
    from .. import sim

    faces, ev = sim_images(spec, folder, k)
    images = [(n, x) for n, x, _ in faces] + [(f"{n}_{spec['b']}", x) for n, x, _ in ev]
    out_dir = SIM_OUT / spec["name"]
    saved = sim.SIM_DIR
    sim.SIM_DIR = SIM_OUT / "sim"        # not build/sim: `make sim` may run beside this
    try:
        rc = sim.simulate_network(net, frozen, cfg, images)
        report = json.loads((sim.SIM_DIR / "report.json").read_text())
        if out_dir.exists():
            shutil.rmtree(out_dir)
        shutil.copytree(sim.SIM_DIR, out_dir, ignore=shutil.ignore_patterns("rtl"))
    finally:
        sim.SIM_DIR = saved
    per = {e["image"]: e["outputs"] for e in report["per_image"]}
    hw_scores = np.array([per[n]["a"]["hardware"] for n, _, _ in faces])
    labels = np.array([y for _, _, y in faces])
    from PIL import Image

    hw_dense, gold_dense = [], []
    h, w = net.frozen[-1].out_height, net.frozen[-1].out_width
    for i, (n, x, t) in enumerate(ev):
        idx = len(faces) + i
        png = np.asarray(Image.open(out_dir / f"{idx}_{n}_{spec['b']}_b_hardware.png"), dtype=np.int64)
        hw_dense.append(png[::2, ::2][:h, :w])
        gold_dense.append(golden.run(net, frozen, cfg, x).heads["b"][..., 0])
    gold_scores = np.stack([golden.run(net, frozen, cfg, x).heads["a"] for _, x, _ in faces])
    targets = [t for _, _, t in ev]
    return {
        "rc": rc, "bit_exact": bool(report["bit_exact"]), "mismatches": int(report["mismatches"]),
        "images": [n for n, _ in images], "sim_seconds": report["sim_seconds"], "cycles": report["cycles"],
        "hardware": {spec["a"]: data.accuracy(hw_scores, labels), spec["b"]: data.psnr(hw_dense, targets)},
        "golden_same_images": {spec["a"]: data.accuracy(gold_scores, labels),
                               spec["b"]: data.psnr(gold_dense, targets)},
        "decoded_equals_golden": bool(np.array_equal(hw_scores, gold_scores)
                                      and all(np.array_equal(a, b) for a, b in zip(hw_dense, gold_dense))),
        "report": str((out_dir / "report.json").relative_to(REPO_ROOT)),
    }


def run(folder: Path = data.TRAINED_DIR, *, simulate: bool = True, k: int = 2, out: Path = RESULTS_MD) -> int:
    folder = Path(folder)
    prov, net, frozen, cfgs = load_trained(folder)
    t0 = time.perf_counter()
    rows, sims, problems = [], {}, []
    for spec in prov["sets"]:
        cfg = cfgs[spec["name"]]
        gm = golden_metrics(net, frozen, cfg, spec, folder)
        for task in (spec["a"], spec["b"]):
            rec = spec["metrics"]["quantised_golden"][task]
            if not np.isclose(gm[task], rec, rtol=0, atol=1e-9):
                problems.append(f"{spec['name']}/{task}: golden {gm[task]} != recorded {rec}")
        if simulate:
            print(f"results: simulating {spec['name']} on {2 * k} images ...", flush=True)
            sims[spec["name"]] = s = simulate_set(net, frozen, cfg, spec, folder, k)
            if not (s["bit_exact"] and s["decoded_equals_golden"]) or s["rc"]:
                problems.append(f"{spec['name']}: hardware differs from the golden model ({s['mismatches']} beats)")
        rows.append((spec, gm))

    L = ["# Results: trained weight sets, golden model and simulated hardware", "",
         "Regenerated by `make results` (`semifreddo results`) from the shipped files in "
         "`weights/trained/` (made by `make train`, provenance in `weights/trained/provenance.json`; "
         "flow and tasks: [training.md](training.md)).", "",
         f"Network: `weights/trained/{prov['description']}` (build ID `{net.build_id:016x}`), "
         f"{net.num_blocks} blocks, {100 * net.frozen_weight_fraction():.1f} % of the convolution weights frozen.",
         ""]
    L += ["## Tasks", "", "| task | head | data / metric |", "| --- | --- | --- |"]
    for t, d in data.TASKS.items():
        L.append(f"| {t} | {d['kind']} | {d['what']}; {d['metric']} |")
    nf = len(data.faces_test(folder)[1])
    L += ["", f"Evaluation data: faces — the {nf} held-out `lfw_subset` images "
          "(`weights/trained/faces_test.npz`, never trained on); dense tasks — the four bundled photographs "
          "`weights/images/*.png` (training used other scikit-image photographs). "
          f"Reference: the noisy input itself (luma, 2x2 mean) scores "
          f"{prov['metrics']['reference']['denoise_noisy_input_psnr']:.2f} dB on the denoise task; "
          f"an all-zero output scores {prov['metrics']['reference']['edges_zero_output_psnr']:.2f} dB "
          "on the edges task.", ""]

    L += ["## Float model, quantised golden model, simulated hardware", "",
          "| weight set (shuffle, R) | task | float, after float phase | float, final weights | "
          "quantised, golden model | hardware (simulated images) | golden, same images | hardware = golden |",
          "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for spec, gm in rows:
        s = sims.get(spec["name"])
        for task in (spec["a"], spec["b"]):
            hw = fmt(task, s["hardware"][task]) if s else "not simulated"
            gs = fmt(task, s["golden_same_images"][task]) if s else "—"
            ex = (f"yes, {s['mismatches']} mismatched beats" if s and s["bit_exact"] and s["decoded_equals_golden"]
                  else ("**NO**" if s else "—"))
            L.append(f"| `{spec['file']}` ({'on' if spec['shuffle'] else 'off'}, {spec['repeats']}) | {task} | "
                     f"{fmt(task, spec['metrics']['float_phase'][task])} | "
                     f"{fmt(task, spec['metrics']['float'][task])} | {fmt(task, gm[task])} | {hw} | {gs} | {ex} |")
    L += ["", "*float*: trainable cores, α and heads without any rounding, on the integer frozen core "
          "(recorded by `make train`): at the end of the float phase, and with the final (quantisation-aware "
          "trained) weights unrounded; the difference between the latter and the next column is the cost of "
          "quantisation; *quantised, golden*: the shipped integers through `golden.run` on all "
          "evaluation images (recomputed now); *hardware*: Verilator simulation of the generated RTL "
          "(`sim.simulate_network`, every output beat compared with the golden model), metric computed from "
          "the hardware's outputs."]
    if sims:
        L += ["", "Simulated images per weight set (one simulation each, images streamed back to back):", ""]
        for name, s in sims.items():
            L.append(f"- `{name}`: {', '.join(s['images'])} — {s['cycles']} cycles, "
                     f"{s['sim_seconds']:.0f} s wall; report `{s['report']}`")
    L += ["", "## Value of the trainable cores: frozen core alone plus only a retrained head", "",
          f"The same tasks with the frozen core's last output ({net.frozen[-1].out_channels} channels) feeding only a retrained head of the "
          "same kind and widths (classification: sum pool + 8-bit FC; dense: 1x1 conv, 8-bit weights, shift 8, "
          "ReLU, 8 bits); trained by `make train` (float, then quantisation-aware), the quantised head run "
          "through the golden model's `conv` / `classify`. The hardware has no such path (its heads read the "
          "trainable cores), so there is no hardware column.", "",
          "| task | frozen + head only: float (final weights) | frozen + head only: quantised | "
          "with trainable cores: quantised (set) |",
          "| --- | --- | --- | --- |"]
    abl = prov["metrics"]["frozen_head_only"]
    for task in data.TASKS:
        withc = ", ".join(f"{fmt(task, gm[task])} (`{spec['name']}`)" for spec, gm in rows if task in gm)
        a = abl.get(task, {})
        L.append(f"| {task} | {fmt(task, a.get('float'))} | {fmt(task, a.get('quantised'))} | {withc} |")
    base = prov["metrics"]["base"]
    L += ["", "## Frozen core: base task", "",
          f"Explained variance (R², mean of eight maps) on the bundled photographs with the base task's linear "
          f"head: float {base['float']['mean_r2']:.3f}, 4-bit quantised {base['quantised']['mean_r2']:.3f}.", "",
          f"Training: `{prov['command']}`, seed {prov['seed']}, {prov['train_seconds']:.0f} s on "
          f"{prov['environment']['threads']} thread(s) (PyTorch {prov['environment']['torch']}). "
          f"This table: {time.perf_counter() - t0:.0f} s.", ""]
    if problems:
        L += ["## Problems", ""] + [f"- {p}" for p in problems] + [""]
    write_text(out, "\n".join(L))
    print(f"results: {out}" + ("" if not problems else "\n" + "\n".join(problems)))
    return 1 if problems else 0
