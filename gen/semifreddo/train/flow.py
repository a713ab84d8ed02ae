"""``make train``: the quantisation-aware training flow (PyTorch; docs/training.md).

(a) trains the frozen core on a base task (low-level maps of photographs) and exports
its 4-bit integers; (b) with the frozen core fixed, trains cores a and b, α and both
heads for two tasks at once (face / non-face on core a's classification head, a dense
task on core b's head), once per shipped weight set.  Every exported integer set is
checked: the fake-quantised model's outputs equal golden.run's bit for bit on every
evaluation image, else the flow fails.  Writes weights/trained/: the description
(reference.yaml), frozen weights, one configurable weight set per task pairing, the
held-out faces and provenance.json (command, seeds, data, metrics).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import platform
import re
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .. import REPO_ROOT, golden, weights
from ..fileio import write_text
from ..netdesc import load_description, sha256_file
from . import data
from .quant import QClassify, QConv, QNet, to_numpy_hwc, to_tensor

#: Frozen requantisation shifts of the trained description: with 4-bit weights and mult 1
#: the largest real weight is 8 / 2^shift, and a He-initialised layer needs about
#: sqrt(2 / fan_in) (0.27, 0.17, 0.17 for fan-ins 27, 72, 72), so 5, 5, 5 let the
#: weights reach that scale; everything else is unchanged.
FROZEN_SHIFTS = [5, 5, 5]

#: One configurable weight set per task pairing (core a task, core b task, run-time settings).
SETS = [
    {"name": "faces_denoise", "a": "faces", "b": "denoise", "shuffle": True, "repeats": 1},
    {"name": "faces_edges", "a": "faces", "b": "edges", "shuffle": False, "repeats": 2},
]


def log(msg: str) -> None:
    print(f"[train {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------------------
# Training data (scikit-image, offline)
# --------------------------------------------------------------------------------------

def train_photos() -> list[np.ndarray]:
    from skimage import data as skd

    out = []
    for name in data.TRAIN_PHOTOS:
        img = np.asarray(getattr(skd, name)())
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        out.append(img[..., :3].astype(np.uint8))
    return out


def random_crops(photos: list[np.ndarray], rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """*n* random crops: each photo rescaled so its short side is 128..384 px, random
    position, random horizontal flip.  (n, size, size, 3) int64."""
    from PIL import Image

    out = np.empty((n, size, size, 3), dtype=np.int64)
    for i in range(n):
        img = photos[rng.integers(len(photos))]
        h, w = img.shape[:2]
        short = rng.uniform(128, 384)
        f = short / min(h, w)
        nh, nw = max(size, int(round(h * f))), max(size, int(round(w * f)))
        im = np.asarray(Image.fromarray(img).resize((nw, nh), Image.Resampling.BILINEAR), dtype=np.int64)
        y, x = rng.integers(0, nh - size + 1), rng.integers(0, nw - size + 1)
        c = im[y:y + size, x:x + size]
        out[i] = c[:, ::-1] if rng.integers(2) else c
    return out


def faces_split(rng: np.random.Generator, n_test: int = 40):
    """lfw_subset → (train faces, train labels, test faces, test labels); 25x25 u8."""
    from skimage import data as skd

    x = np.round(skd.lfw_subset() * 255).astype(np.uint8)
    y = np.r_[np.ones(100, np.int64), np.zeros(100, np.int64)]   # first 100 are faces
    test = np.r_[rng.permutation(100)[:n_test // 2], 100 + rng.permutation(100)[:n_test // 2]]
    mask = np.zeros(200, bool)
    mask[test] = True
    return x[~mask], y[~mask], x[mask], y[mask], np.flatnonzero(mask)


# --------------------------------------------------------------------------------------
# Optimisation
# --------------------------------------------------------------------------------------

def fit(groups: list[dict], step_fn, steps_float: int, steps_qat: int, clip, name: str,
        after_float=None) -> None:
    """Adam with cosine decay: *steps_float* steps in float, then *steps_qat* steps
    quantisation-aware (fake-quant forward, straight-through gradients)."""
    opt = torch.optim.Adam(groups)
    base = [g["lr"] for g in opt.param_groups]
    total = steps_float + steps_qat
    t0 = time.perf_counter()
    for it in range(total):
        quant = it >= steps_float
        if it == steps_float and after_float is not None:
            after_float()
        frac = it / total
        for g, lr in zip(opt.param_groups, base):
            g["lr"] = lr * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * frac)))
        opt.zero_grad()
        loss = step_fn(it, quant)
        loss.backward()
        opt.step()
        clip()
        if it % 50 == 0 or it == total - 1:
            log(f"{name}: step {it}/{total} {'qat' if quant else 'float'} loss {loss.item():.4f} "
                f"({time.perf_counter() - t0:.0f} s)")


# --------------------------------------------------------------------------------------
# (a) the frozen core
# --------------------------------------------------------------------------------------

def train_frozen(model: QNet, photos, rng, args) -> dict:
    nt = len(data.BASE_TARGET_NAMES)
    c_last = model.net.frozen[-1].out_channels
    head = torch.nn.Conv2d(c_last, nt, 1).double()
    # per-target normalisation from a sample of training crops
    sample = random_crops(photos, rng, 64, 64)
    tg = np.stack([data.base_targets(c) for c in sample])
    mu, sd = tg.mean(axis=(0, 1, 2)), tg.std(axis=(0, 1, 2)) + 1e-6
    norm = (torch.tensor(mu)[None, :, None, None], torch.tensor(sd)[None, :, None, None])

    def batch(n):
        crops = random_crops(photos, rng, n, 64)
        t = np.stack([data.base_targets(c) for c in crops]).transpose(0, 3, 1, 2)
        return to_tensor(crops, torch.float32), ((torch.tensor(t) - norm[0]) / norm[1]).float()

    def forward(x, quant):
        f = x
        for q in model.frozen:
            f = q(f, quant)
        return head.float()(f / 64.0)

    def step(it, quant):
        x, t = batch(args.batch)
        return F.mse_loss(forward(x, quant), t)

    for p in model.frozen.parameters():
        p.requires_grad_(True)
    model.frozen.float()
    head.float()
    for q in model.frozen:
        q.calibrate = (48.0, 48.0)
    with torch.no_grad():
        forward(batch(64)[0], False)
    fit([{"params": [q.weight for q in model.frozen], "lr": 2e-3},
         {"params": [q.bias for q in model.frozen], "lr": 0.3},
         {"params": list(head.parameters()), "lr": 1e-2}],
        step, args.steps_base, args.steps_base // 2, model.clip_, "frozen core (base task)")
    model.frozen.double()
    head.double()
    # base-task metric: explained variance (R²) of the 8 maps on the bundled photographs
    photos_eval = [img for _, img in data.test_photos()]
    x = to_tensor(np.stack(photos_eval))
    t = (torch.tensor(np.stack([data.base_targets(c) for c in photos_eval]).transpose(0, 3, 1, 2)) - norm[0]) / norm[1]
    res = {}
    with torch.no_grad():
        for mode, quant in (("float", False), ("quantised", True)):
            f = x
            for q in model.frozen:
                f = q(f, quant)
            pred = head(f / 64.0)
            r2 = 1 - ((pred - t) ** 2).mean(dim=(0, 2, 3)) / t.var(dim=(0, 2, 3))
            res[mode] = {"mean_r2": float(r2.mean()), "r2": dict(zip(data.BASE_TARGET_NAMES, map(float, r2)))}
    for p in model.frozen.parameters():
        p.requires_grad_(False)
    return res


# --------------------------------------------------------------------------------------
# (b) trainable cores, α and heads for two tasks
# --------------------------------------------------------------------------------------

def dense_batch(task, photos, rng, n, size=64):
    crops = random_crops(photos, rng, n, size)
    x = np.stack([data.dense_input(task, c, rng) for c in crops])
    t = np.stack([data.dense_target(task, c) for c in crops])[:, None]
    return to_tensor(x, torch.float32), torch.tensor(t, dtype=torch.float32)


def face_batch(faces_x, faces_y, rng, n):
    idx = rng.integers(0, len(faces_x), n)
    x = faces_x[idx].copy()
    flip = rng.integers(0, 2, n).astype(bool)
    x[flip] = x[flip][:, :, ::-1]
    return to_tensor(x, torch.float32), torch.tensor(faces_y[idx])


def train_set(net, frozen, spec, faces, photos, rng, args) -> tuple[QNet, dict]:
    model = QNet(net)
    model.load_frozen(frozen)
    model.float()
    fx, fy = faces
    sh, rep = spec["shuffle"], spec["repeats"]
    convs = [m for m in model.modules() if isinstance(m, QConv) and m not in list(model.frozen)]
    cls = [p for h in model.heads.values() if isinstance(h, QClassify) for p in h.parameters()]
    groups = [{"params": [m.weight for m in convs], "lr": 5e-3},
              {"params": [m.bias for m in convs], "lr": 0.3},          # biases live in 8-bit output units
              {"params": list(model.alpha.parameters()), "lr": 1e-2},
              {"params": cls, "lr": 1e-2}]
    snap = {}
    for m in convs:   # data-dependent init on faces and photographs together
        m.calibrate = (48.0, 48.0) if m is not model.heads["b"] else (100.0, 50.0)
    with torch.no_grad():
        xf, _ = face_batch(fx, fy, rng, 8)
        xd, _ = dense_batch(spec["b"], photos, rng, 8, size=128)
        model(torch.cat([xf, xd]), quant=False, shuffle=sh, repeats=rep)

    def step(it, quant):
        x, y = face_batch(fx, fy, rng, args.batch)
        out = model(x, quant=quant, shuffle=sh, repeats=rep)
        loss_a = F.cross_entropy(out["logits"]["a"].float(), y)
        x, t = dense_batch(spec["b"], photos, rng, args.batch)
        out = model(x, quant=quant, shuffle=sh, repeats=rep)
        loss_b = F.mse_loss(out["logits"]["b"], t) / 100.0
        return loss_a + loss_b

    def after_float():
        model.double()
        snap["float_phase"] = evaluate_model(model, spec, quant=False)
        model.float()
        log(f"{spec['name']}: float model after the float phase {snap['float_phase']}")

    fit(groups, step, args.steps, args.steps // 2, model.clip_, spec["name"], after_float)
    model.double()
    snap["float"] = evaluate_model(model, spec, quant=False)   # final weights, no rounding
    log(f"{spec['name']}: final weights without rounding {snap['float']}")
    return model, snap


def evaluate_model(model: QNet, spec, quant: bool) -> dict:
    """Metrics of the torch model (float or fake-quantised) on the evaluation data."""
    fx, fy = data.faces_test()
    res = {}
    with torch.no_grad():
        scores = torch.cat([model(to_tensor(fx[i:i + 10]), quant=quant, shuffle=spec["shuffle"],
                                  repeats=spec["repeats"])["heads"]["a"] for i in range(0, len(fx), 10)])
        res[spec["a"]] = data.accuracy(scores.numpy(), fy)
        ev = data.dense_eval(spec["b"])
        out = model(to_tensor(np.stack([x for _, x, _ in ev])), quant=quant, shuffle=spec["shuffle"],
                    repeats=spec["repeats"])["heads"]["b"]
        res[spec["b"]] = data.psnr([o[0] for o in out.numpy()], [t for _, _, t in ev])
    return res


def golden_check(net, frozen, cfg, model: QNet, spec) -> dict:
    """golden.run on every evaluation image == the fake-quantised model, bit for bit;
    returns the golden metrics."""
    fx, fy = data.faces_test()
    ev = data.dense_eval(spec["b"])
    images = list(fx) + [x for _, x, _ in ev]
    gold = [golden.run(net, frozen, cfg, img) for img in images]
    with torch.no_grad():
        for i in range(0, len(images), 8):
            out = model(to_tensor(np.stack(images[i:i + 8])), quant=True, shuffle=cfg.shuffle, repeats=cfg.repeats)
            for j, g in enumerate(gold[i:i + 8]):
                sa = out["heads"]["a"][j].numpy()
                if not np.array_equal(sa.astype(np.int64), g.heads["a"]) or not np.all(sa == np.round(sa)):
                    raise AssertionError(f"{spec['name']}: image {i + j}: fake-quant scores {sa} != golden {g.heads['a']}")
                db = to_numpy_hwc(out["heads"]["b"][j:j + 1])[0]
                if not np.array_equal(db, g.heads["b"]):
                    raise AssertionError(f"{spec['name']}: image {i + j}: dense output differs from golden "
                                         f"at {int((db != g.heads['b']).sum())} pixels")
    nf = len(fx)
    return {spec["a"]: data.accuracy(np.stack([g.heads["a"] for g in gold[:nf]]), fy),
            spec["b"]: data.psnr([g.heads["b"][..., 0] for g in gold[nf:]], [t for _, _, t in ev]),
            "bit_exact_images": len(images)}


# --------------------------------------------------------------------------------------
# Ablation: the frozen core alone plus only a retrained head
# --------------------------------------------------------------------------------------

def frozen_head_only(net, frozen, model: QNet, task: str, faces, photos, rng, args) -> dict:
    """A head of the same kind and widths on the frozen core's last output (16 channels;
    the hardware's heads see a trainable core's 4), trained float then QAT, evaluated
    float and quantised; the quantised one runs through golden.conv / golden.classify."""
    last = net.frozen[-1]
    if data.TASKS[task]["kind"] == "classification":
        head = QClassify(net.heads["a"], last.out_height * last.out_width, in_channels=last.out_channels)
    else:
        spec = dataclasses.replace(net.heads["b"].conv, in_channels=last.out_channels, name="frozen_only")
        head = QConv(spec)
    head.float()
    fx, fy = faces

    def feats(x):
        with torch.no_grad():
            return model.frozen_forward(x)[-1]

    def step(it, quant):
        if task == "faces":
            x, y = face_batch(fx, fy, rng, args.batch)
            return F.cross_entropy(head(feats(x), quant)[1].float(), y)
        x, t = dense_batch(task, photos, rng, args.batch)
        return F.mse_loss(head(feats(x), quant), t) / 100.0

    model.float()
    res = {}
    if task != "faces":   # the same data-dependent init as the trainable cores' dense head
        head.calibrate = (100.0, 50.0)
        with torch.no_grad():
            head(feats(dense_batch(task, photos, rng, 8, size=128)[0]), False)

    def after_float():
        head.double()
        model.double()
        res["float_phase"] = eval_head(head, model, task, False, net, frozen)
        head.float()
        model.float()

    groups = ([{"params": list(head.parameters()), "lr": 1e-2}] if task == "faces" else
              [{"params": [head.weight], "lr": 3e-3}, {"params": [head.bias], "lr": 0.3}])
    fit(groups, step,
        args.steps, args.steps // 2, head.clip_, f"frozen core + {task} head only", after_float)
    head.double()
    model.double()
    res["float"] = eval_head(head, model, task, False, net, frozen)
    res["quantised"] = eval_head(head, model, task, True, net, frozen)
    return res


def frozen_features(net, frozen, image: np.ndarray) -> np.ndarray:
    """F[N-1] of the golden model with R = 1."""
    f = image
    for cw, spec in zip(frozen, net.frozen):
        f = golden.conv(f, cw, spec)
    return f


def eval_head(head, model, task, quant, net, frozen) -> float:
    if task == "faces":
        fx, fy = data.faces_test()
        images, targets = list(fx), None
    else:
        ev = data.dense_eval(task)
        images, targets = [x for _, x, _ in ev], [t for _, _, t in ev]
    with torch.no_grad():
        feats = model.frozen_forward(to_tensor(np.stack(images)))[-1]
        out = head(feats, quant)
    if quant:   # the same integers through the golden model's primitives, bit for bit
        cw = head.export()
        gf = [frozen_features(net, frozen, img) for img in images]
        if task == "faces":
            g = np.stack([golden.classify(f, cw) for f in gf])
            assert np.array_equal(g, out[0].numpy().astype(np.int64)), "frozen-only head differs from golden"
            return data.accuracy(g, fy)
        g = [golden.conv(f, cw, head.spec) for f in gf]
        assert np.array_equal(np.stack(g), to_numpy_hwc(out)), "frozen-only head differs from golden"
        return data.psnr([x[..., 0] for x in g], targets)
    if task == "faces":
        return data.accuracy(out[0].numpy(), fy)
    return data.psnr([o[0] for o in out.numpy()], targets)


# --------------------------------------------------------------------------------------
# Description
# --------------------------------------------------------------------------------------

def trained_description(base_text: str, frozen_file: str, sha: str) -> str:
    """reference.yaml with the trained frozen file, its SHA-256 and FROZEN_SHIFTS."""
    text = base_text
    text = re.sub(r"(?m)^(\s*weights:\s*)\S+", lambda m: m.group(1) + frozen_file, text, count=1)
    text = re.sub(r'(?m)^(\s*sha256:\s*)"[0-9a-f]*"', lambda m: m.group(1) + f'"{sha}"', text, count=1)
    frozen_part, rest = text.split("\ntrainable:", 1)
    lines = frozen_part.split("\n")
    k = 0
    for i, line in enumerate(lines):
        if "requant: {shift:" in line and "kernel:" in line:
            lines[i] = re.sub(r"requant: \{shift: \d+\}", f"requant: {{shift: {FROZEN_SHIFTS[k]}}}", line)
            k += 1
    if k != len(FROZEN_SHIFTS):
        raise ValueError(f"expected {len(FROZEN_SHIFTS)} frozen blocks with a requant shift, found {k}")
    head = ("# Trained SemifreddoNet: the reference network with trained frozen weights\n"
            "# (make train; provenance.json beside this file; docs/training.md).\n")
    body = "\n".join(lines) + "\ntrainable:" + rest
    body = re.sub(r"(?m)^# Reference SemifreddoNet.*\n", "", body)
    return head + body


def file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m semifreddo.train", description=__doc__.splitlines()[0])
    p.add_argument("--base", default=str(REPO_ROOT / "weights" / "reference.yaml"), help="description to train")
    p.add_argument("--out", default=str(data.TRAINED_DIR), help="output folder")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--steps-base", type=int, default=400, help="frozen core: float steps (QAT: half as many)")
    p.add_argument("--steps", type=int, default=1000, help="each weight set: float steps (QAT: half as many)")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    final = Path(args.out)
    # work in <out>.partial and swap it in at the end: a failed or running flow never
    # leaves a half-written weights/trained/ behind (tests read that folder)
    out = final.parent / (final.name + ".partial")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    data.TRAINED_DIR = out          # faces_test() reads the split written below
    t_start = time.perf_counter()
    base_text = Path(args.base).read_text()
    yaml_path, frozen_path = out / "reference.yaml", out / "trained.frozen.npz"

    # (a) frozen core ------------------------------------------------------------------
    write_text(yaml_path, trained_description(base_text, frozen_path.name, "0" * 64))
    net0 = load_description(yaml_path, verify_weights=False)
    photos = train_photos()
    model = QNet(net0)
    log(f"base task: {len(data.TRAIN_PHOTOS)} photographs, {args.steps_base} + {args.steps_base // 2} steps")
    base_metrics = train_frozen(model, photos, rng, args)
    log(f"base task R²: {base_metrics['float']['mean_r2']:.3f} float, {base_metrics['quantised']['mean_r2']:.3f} quantised")
    weights.save_npz(frozen_path, weights.frozen_arrays(model.export_frozen()))
    write_text(yaml_path, trained_description(base_text, frozen_path.name, sha256_file(frozen_path)))
    net = load_description(yaml_path)
    frozen = weights.load_frozen(net)

    # data of (b) ------------------------------------------------------------------------
    tr_x, tr_y, te_x, te_y, te_idx = faces_split(rng)
    weights.save_npz(out / data.FACES_TEST, {"faces": te_x, "labels": te_y, "lfw_subset_index": te_idx})
    faces = (np.stack([data.upsample_face(f) for f in tr_x]), tr_y)

    # (b) one configurable weight set per task pairing -------------------------------------
    provenance_sets = []
    for k, spec in enumerate(SETS):
        torch.manual_seed(args.seed * 100 + k)
        model_b, snap = train_set(net, frozen, spec, faces, photos, rng, args)
        cfg = model_b.export_config(spec["shuffle"], spec["repeats"])
        cfg_path = out / f"{spec['name']}.npz"
        weights.save_npz(cfg_path, weights.config_arrays(net, cfg))
        cfg = weights.load_config(net, cfg_path)
        fq = evaluate_model(model_b, spec, quant=True)
        gm = golden_check(net, frozen, cfg, model_b, spec)
        log(f"{spec['name']}: fake-quant {fq}, golden {gm} (bit-exact on {gm['bit_exact_images']} images)")
        provenance_sets.append({
            **spec, "file": cfg_path.name, "sha256": file_sha(cfg_path), "bytes": cfg_path.stat().st_size,
            "metrics": {"float": snap["float"], "float_phase": snap["float_phase"],
                        "quantised_golden": {t: gm[t] for t in (spec["a"], spec["b"])}},
            "bit_exact_fake_quant_vs_golden_images": gm["bit_exact_images"],
        })

    # ablation: frozen core + head only ------------------------------------------------------
    model_f = QNet(net)
    model_f.load_frozen(frozen)
    ablation = {}
    for task in ("faces", "denoise", "edges"):
        torch.manual_seed(args.seed * 1000 + len(ablation))
        ablation[task] = frozen_head_only(net, frozen, model_f, task, faces, photos, rng, args)
        log(f"frozen core + {task} head only: {ablation[task]}")

    # reference numbers for the torch-free tests (recomputed there with golden.run)
    noisy = data.dense_eval("denoise")
    prov = {
        "command": " ".join(["make train  (= .venv/bin/python -m semifreddo.train", *(argv or sys.argv[1:])]) + ")",
        "seed": args.seed, "steps": {"base_float": args.steps_base, "base_qat": args.steps_base // 2,
                                     "float": args.steps, "qat": args.steps // 2, "batch": args.batch},
        "environment": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
                        "threads": args.threads},
        "train_seconds": round(time.perf_counter() - t_start, 1),
        "description": yaml_path.name, "build_id": f"{net.build_id:016x}",
        "frozen": {"file": frozen_path.name, "sha256": sha256_file(frozen_path), "shifts": FROZEN_SHIFTS,
                   "frozen_weight_fraction": net.frozen_weight_fraction()},
        "data": {
            "base": {"task": "eight low-level maps (" + ", ".join(data.BASE_TARGET_NAMES) + ") at 64x64 from "
                     "64x64 crops; linear 1x1 float head on the frozen core (not shipped)",
                     "train": "skimage.data: " + ", ".join(data.TRAIN_PHOTOS), "eval": "weights/images/*.png"},
            "faces": {"source": "skimage.data.lfw_subset() (first 100 faces, last 100 non-faces)",
                      "train": int(len(tr_y)), "test": int(len(te_y)), "test_file": data.FACES_TEST},
            "denoise": {"train": "random crops of the training photographs, 64x64, noise sigma "
                        f"{data.NOISE_SIGMA:g}", "eval": f"weights/images/*.png, noise seed {data.NOISE_SEED}+i"},
            "edges": {"train": "random crops of the training photographs, 64x64", "eval": "weights/images/*.png"},
        },
        "tasks": data.TASKS,
        "metrics": {"base": base_metrics, "frozen_head_only": ablation,
                    "reference": {"denoise_noisy_input_psnr": data.psnr(
                        [data.down2(data.luma(x)) for _, x, _ in noisy], [t for _, _, t in noisy]),
                        "edges_zero_output_psnr": data.psnr(
                        [np.zeros_like(t) for _, _, t in data.dense_eval("edges")],
                        [t for _, _, t in data.dense_eval("edges")])}},
        "sets": provenance_sets,
    }
    write_text(out / "provenance.json", json.dumps(prov, indent=2) + "\n")
    final.mkdir(parents=True, exist_ok=True)
    for f in sorted(out.iterdir()):          # only the flow's own files are replaced
        f.replace(final / f.name)
    out.rmdir()
    log(f"done in {prov['train_seconds']} s: {final}")
    return 0
