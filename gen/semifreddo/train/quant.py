"""Fake-quantised SemifreddoNet in PyTorch: docs/arithmetic.md in the forward pass.

In ``quant`` mode every tensor that the hardware holds is an integer-valued float tensor
and every operation reproduces the contract exactly:

* weights and biases are ``clamp(round(v * 2^s / m))`` of real-valued parameters
  (straight-through estimator for the rounding);
* a convolution on integer tensors is exact in float64 (every partial sum is an integer
  far below 2^53; the trainer uses float32 only where the bounds stay below 2^24 and
  checks the exported integers in float64);
* requantisation ``floor((acc·m + 2^(s−1)) / 2^s)`` (floor with a straight-through
  gradient), ReLU saturation to ``[0, 2^B − 1]`` (or the signed range);
* the alpha blend ``floor((α·f + (2^Ba − α)·t + 2^(Ba−1)) / 2^Ba)``, the core shuffle
  and the repeated tail in golden.run's order; the classification head's exact integer
  scores ``fb + fw·Σpool``.

so that :func:`export` gives integers for which ``golden.run`` reproduces the model's
outputs bit for bit.  In float mode (``quant=False``) the same network runs without any
rounding (weights, biases and activations keep their ranges): that is the float model.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..netdesc import ClassificationHead, ConvSpec, DenseHead, Network
from ..weights import Config, ConvWeights, signed_range


def round_ste(x: torch.Tensor) -> torch.Tensor:
    """torch.round (ties to even) with a straight-through gradient.

    Only parameters are rounded with it (the exported integers are these very values),
    so its tie rule does not have to match anything in the contract."""
    return x + (torch.round(x) - x).detach()


def floor_ste(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.floor(x) - x).detach()


def clamp_ste(x: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    """Clamp with the gradient passed through (used on parameters only)."""
    return x + (x.clamp(lo, hi) - x).detach()


def saturate(r: torch.Tensor, activation: str, out_bits: int) -> torch.Tensor:
    if activation == "relu":
        return r.clamp(0, (1 << out_bits) - 1)
    return r.clamp(-(1 << (out_bits - 1)), (1 << (out_bits - 1)) - 1)


class QConv(nn.Module):
    """One convolution block (section 2) with real-valued parameters.

    The real weight is ``w_int · m / 2^s``; parameters live in real units so that one
    learning rate suits every block whatever its shift."""

    def __init__(self, spec: ConvSpec, init_gain: float = 1.0):
        super().__init__()
        self.spec = spec
        mult = torch.tensor(spec.requant.mult, dtype=torch.float64)
        self.register_buffer("mult", mult)
        self.register_buffer("scale", (1 << spec.requant.shift) / mult.clamp(min=1))  # int per real
        fan_in = spec.in_channels * spec.kernel * spec.kernel
        std = init_gain * (2.0 / fan_in) ** 0.5
        wmax = (1 << (spec.weight_bits - 1)) / float(self.scale.min())
        self.weight = nn.Parameter(torch.randn(spec.weight_shape, dtype=torch.float64).mul(std).clamp(-wmax, wmax))
        self.bias = nn.Parameter(torch.zeros(spec.out_channels, dtype=torch.float64))

    # integers -------------------------------------------------------------------------
    def int_weight(self) -> torch.Tensor:
        lo, hi = signed_range(self.spec.weight_bits)
        return clamp_ste(round_ste(self.weight * self.scale[:, None, None, None]), lo, hi)

    def int_bias(self) -> torch.Tensor:
        lo, hi = signed_range(self.spec.bias_bits)
        return clamp_ste(round_ste(self.bias * self.scale), lo, hi)

    def clip_(self) -> None:
        """Keep the real parameters inside the representable ranges (after a step)."""
        with torch.no_grad():
            for p, bits in ((self.weight, self.spec.weight_bits), (self.bias, self.spec.bias_bits)):
                lo, hi = signed_range(bits)
                s = self.scale.view(-1, *([1] * (p.dim() - 1)))
                p.copy_(torch.maximum(torch.minimum(p, (hi + 0.49) / s), (lo - 0.49) / s))

    def export(self) -> ConvWeights:
        with torch.no_grad():
            return ConvWeights(self.int_weight().double().numpy().astype(np.int64),
                               self.int_bias().double().numpy().astype(np.int64))

    # forward --------------------------------------------------------------------------
    #: (mean, std) to calibrate to on the next float forward pass (data-dependent init)
    calibrate: tuple[float, float] | None = None

    def _calibrate(self, x: torch.Tensor) -> None:
        """Scale weights and set biases so that every output channel's pre-activation has
        the wanted mean and spread on this batch (no channel starts dead or saturated)."""
        mean, std = self.calibrate
        self.calibrate = None
        s = self.spec
        with torch.no_grad():
            y = F.conv2d(x.double(), self.weight.double(), stride=s.stride, padding=(s.kernel - 1) // 2)
            m, sd = y.mean(dim=(0, 2, 3)), y.std(dim=(0, 2, 3)).clamp(min=1e-3)
            self.weight.mul_((std / sd).to(self.weight.dtype)[:, None, None, None])
            self.bias.copy_((mean - m * std / sd).to(self.bias.dtype))
            self.clip_()

    def forward(self, x: torch.Tensor, quant: bool) -> torch.Tensor:
        """x: (B, C, H, W) → (B, Cout, Ho, Wo)."""
        s = self.spec
        pad = (s.kernel - 1) // 2
        if self.calibrate is not None and not quant:
            self._calibrate(x)
        if quant:
            w = self.int_weight().to(x.dtype)
            acc = F.conv2d(x, w, stride=s.stride, padding=pad) + self.int_bias().to(x.dtype)[None, :, None, None]
            t = acc * self.mult.to(x.dtype)[None, :, None, None]
            r = floor_ste((t + (1 << (s.requant.shift - 1))) / (1 << s.requant.shift)) if s.requant.shift else t
            return saturate(r, s.activation, s.out_bits)
        lo, hi = signed_range(s.weight_bits)
        sc = self.scale.to(x.dtype)
        w = torch.maximum(torch.minimum(self.weight.to(x.dtype), hi / sc[:, None, None, None]),
                          lo / sc[:, None, None, None])
        y = F.conv2d(x, w, stride=s.stride, padding=pad) + self.bias.to(x.dtype)[None, :, None, None]
        return saturate(y, s.activation, s.out_bits)


class QAlpha(nn.Module):
    """α of one trainable block (section 3.1), parameter a ∈ [0, 1] (α = a·2^Ba)."""

    def __init__(self, channels: int, alpha_bits: int, init: float = 0.5):
        super().__init__()
        self.bits = alpha_bits
        self.a = nn.Parameter(torch.full((channels,), init, dtype=torch.float64))

    def int_alpha(self) -> torch.Tensor:
        return clamp_ste(round_ste(self.a * (1 << self.bits)), 0, 1 << self.bits)

    def clip_(self) -> None:
        with torch.no_grad():
            self.a.clamp_(0.0, 1.0)

    def export(self) -> np.ndarray:
        with torch.no_grad():
            return self.int_alpha().numpy().astype(np.int64)

    def forward(self, f: torch.Tensor, t: torch.Tensor, quant: bool) -> torch.Tensor:
        if quant:
            one = 1 << self.bits
            a = self.int_alpha().to(f.dtype)[None, :, None, None]
            return floor_ste((a * f + (one - a) * t + (one >> 1)) / one)
        a = self.a.clamp(0, 1).to(f.dtype)[None, :, None, None]
        return a * f + (1 - a) * t


class QClassify(nn.Module):
    """Classification head (section 4) as ``logit = Σ v_c·mean_c/128 + β``.

    Integers: ``fw = round(v·σ)`` with ``σ = 127 / max|v|`` (the largest weight uses the
    full 8-bit range), ``fb = round(β·σ·128·H·W)``; then ``score = fb + fw·pool`` is the
    logit times ``σ·128·H·W`` (up to rounding), and the loss sees ``score / (σ·128·H·W)``."""

    def __init__(self, head: ClassificationHead, pixels: int, in_channels: int | None = None):
        super().__init__()
        self.head = head
        self.pixels = pixels
        cin = in_channels or head.in_channels
        self.v = nn.Parameter(torch.randn(head.classes, cin, dtype=torch.float64) * 0.1)
        self.beta = nn.Parameter(torch.zeros(head.classes, dtype=torch.float64))
        #: σ fixed by :meth:`load` (NaN: follow the weights, as in training)
        self.register_buffer("fixed_sigma", torch.tensor(float("nan"), dtype=torch.float64))

    def sigma(self) -> torch.Tensor:
        if not torch.isnan(self.fixed_sigma):
            return self.fixed_sigma
        wmax = (1 << (self.head.weight_bits - 1)) - 1
        return (wmax / self.v.detach().abs().max().clamp(min=1e-6))

    def load(self, cw: ConvWeights) -> None:
        """Take given integers exactly (σ = 1: v = fw, β = fb / (128·H·W), a power of 2)."""
        with torch.no_grad():
            self.fixed_sigma.fill_(1.0)
            self.v.copy_(torch.tensor(cw.weight, dtype=torch.float64))
            self.beta.copy_(torch.tensor(cw.bias, dtype=torch.float64) / (128 * self.pixels))

    def int_weight(self) -> torch.Tensor:
        lo, hi = signed_range(self.head.weight_bits)
        return clamp_ste(round_ste(self.v * self.sigma()), lo, hi)

    def int_bias(self) -> torch.Tensor:
        lo, hi = signed_range(self.head.bias_bits)
        return clamp_ste(round_ste(self.beta * self.sigma() * 128 * self.pixels), lo, hi)

    def clip_(self) -> None:
        pass

    def export(self) -> ConvWeights:
        with torch.no_grad():
            return ConvWeights(self.int_weight().numpy().astype(np.int64), self.int_bias().numpy().astype(np.int64))

    def forward(self, t: torch.Tensor, quant: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """t: (B, C, H, W) → (scores, logits).  In quant mode scores are the exact
        integers of golden.classify (float64 needed: they exceed 2^24)."""
        if quant:
            pool = t.to(torch.float64).sum(dim=(2, 3))
            scores = self.int_bias().double()[None, :] + pool @ self.int_weight().double().T
            return scores, (scores / (self.sigma() * 128 * self.pixels)).to(t.dtype)
        mean = t.mean(dim=(2, 3))
        logits = mean @ self.v.to(t.dtype).T / 128 + self.beta.to(t.dtype)[None, :]
        return logits, logits


class QNet(nn.Module):
    """The whole network of a description: frozen core, trainable cores, α, heads."""

    def __init__(self, net: Network):
        super().__init__()
        self.net = net
        self.frozen = nn.ModuleList(QConv(s) for s in net.frozen)
        self.cores = nn.ModuleDict({c.name: nn.ModuleList(QConv(s) for s in c.blocks) for c in net.cores})
        self.alpha = nn.ModuleDict({c.name: nn.ModuleList(QAlpha(s.in_channels, net.alpha_bits)
                                                          for s in c.blocks[1:]) for c in net.cores})
        last = net.frozen[-1]
        heads = {}
        for name, head in net.heads.items():
            if isinstance(head, DenseHead):
                heads[name] = QConv(head.conv)
            else:
                heads[name] = QClassify(head, last.out_height * last.out_width)
        self.heads = nn.ModuleDict(heads)

    # parameters -----------------------------------------------------------------------
    def trainable_parameters(self):
        return [p for m in (self.cores, self.alpha, self.heads) for p in m.parameters()]

    def clip_(self) -> None:
        for m in self.modules():
            if m is not self and hasattr(m, "clip_"):
                m.clip_()

    def load_frozen(self, frozen: list[ConvWeights]) -> None:
        """Set the frozen core to given integers (exactly: real = int / scale)."""
        with torch.no_grad():
            for q, cw in zip(self.frozen, frozen):
                sc = q.scale
                q.weight.copy_(torch.tensor(cw.weight, dtype=torch.float64) / sc[:, None, None, None])
                q.bias.copy_(torch.tensor(cw.bias, dtype=torch.float64) / sc)
        for p in self.frozen.parameters():
            p.requires_grad_(False)

    def load_config(self, cfg: Config) -> None:
        with torch.no_grad():
            for core in self.net.cores:
                for q, cw in zip(self.cores[core.name], cfg.cores[core.name]):
                    q.weight.copy_(torch.tensor(cw.weight, dtype=torch.float64) / q.scale[:, None, None, None])
                    q.bias.copy_(torch.tensor(cw.bias, dtype=torch.float64) / q.scale)
                for qa, a in zip(self.alpha[core.name], cfg.alpha[core.name][1:]):
                    qa.a.copy_(torch.tensor(a, dtype=torch.float64) / (1 << self.net.alpha_bits))
            for name, head in self.heads.items():
                hw = cfg.heads[name]
                if isinstance(head, QConv):
                    head.weight.copy_(torch.tensor(hw.weight, dtype=torch.float64) / head.scale[:, None, None, None])
                    head.bias.copy_(torch.tensor(hw.bias, dtype=torch.float64) / head.scale)
                else:
                    head.load(hw)

    def export_frozen(self) -> list[ConvWeights]:
        return [q.export() for q in self.frozen]

    def export_config(self, shuffle: bool, repeats: int) -> Config:
        cores = {c.name: [q.export() for q in self.cores[c.name]] for c in self.net.cores}
        alpha = {c.name: [None] + [qa.export() for qa in self.alpha[c.name]] for c in self.net.cores}
        heads = {name: h.export() for name, h in self.heads.items()}
        return Config(cores=cores, alpha=alpha, heads=heads, shuffle=shuffle, repeats=repeats)

    # forward --------------------------------------------------------------------------
    def frozen_forward(self, image: torch.Tensor, repeats: int = 1) -> list[torch.Tensor]:
        """Frozen core outputs in golden.schedule order (always integer)."""
        from ..golden import schedule

        outs, f = [], image
        for n in schedule(self.net, repeats):
            f = self.frozen[n](image if n == 0 else f, True)
            outs.append(f)
        return outs

    def forward(self, image: torch.Tensor, *, quant: bool, shuffle: bool, repeats: int,
                frozen_outs: list[torch.Tensor] | None = None) -> dict:
        """image: (B, C, H, W) integer-valued.  Returns {"features": {core: T},
        "heads": {core: scores (B, classes) or dense (B, C, H, W)}, "logits": {core: ...}}.
        *frozen_outs* (from :meth:`frozen_forward`) skips recomputing the frozen core."""
        from ..golden import schedule

        net = self.net
        order = schedule(net, repeats)
        if frozen_outs is None:
            with torch.no_grad():
                frozen_outs = self.frozen_forward(image, repeats)
        names = [c.name for c in net.cores]
        t_prev: dict[str, torch.Tensor] = {}
        f_prev = image
        for step, n in enumerate(order):
            if n == 0:
                t_in = {k: image for k in names}
            else:
                z = {}
                for core in net.cores:
                    f = f_prev[:, list(core.blend_maps[n])]
                    z[core.name] = self.alpha[core.name][n - 1](f, t_prev[core.name], quant)
                if shuffle and net.shuffle and n - 1 in net.shuffle.after_blocks:
                    a, b = names
                    s = net.shuffle.channels
                    z = {a: torch.cat([z[b][:, :s], z[a][:, s:]], 1), b: torch.cat([z[a][:, :s], z[b][:, s:]], 1)}
                t_in = z
            t_prev = {k: self.cores[k][n](t_in[k], quant) for k in names}
            f_prev = frozen_outs[step]
        heads, logits = {}, {}
        for name, head in self.heads.items():
            if isinstance(head, QConv):
                heads[name] = logits[name] = head(t_prev[name], quant)
            else:
                heads[name], logits[name] = head(t_prev[name], quant)
        return {"features": t_prev, "heads": heads, "logits": logits}


def to_tensor(images: np.ndarray, dtype=torch.float64) -> torch.Tensor:
    """(B, H, W, C) or (H, W, C) integer images → (B, C, H, W)."""
    a = np.asarray(images)
    if a.ndim == 3:
        a = a[None]
    return torch.from_numpy(np.ascontiguousarray(a.transpose(0, 3, 1, 2))).to(dtype)


def to_numpy_hwc(t: torch.Tensor) -> np.ndarray:
    """(B, C, H, W) integer-valued → int64 (B, H, W, C)."""
    return t.detach().to(torch.float64).round().numpy().astype(np.int64).transpose(0, 2, 3, 1)
