"""Weight files: frozen weights (one per description) and configurable weight sets.

Both are NumPy ``.npz`` archives of integer arrays (names and shapes:
docs/description.md).  Loading checks every array against the description: its name,
shape, integrality (no NaN, no fractions) and the range of its bit width.  A failure
raises :class:`~semifreddo.netdesc.DescriptionError` naming the array.  Saving writes a
temporary file and renames it, so a failed save never leaves a half-written file.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .fileio import atomic_write
from .netdesc import ClassificationHead, ConvSpec, DenseHead, DescriptionError, Network


@dataclass
class ConvWeights:
    weight: np.ndarray  # int64 (Cout, Cin, K, K), or (classes, C) for a classification head
    bias: np.ndarray    # int64 (Cout,)


@dataclass
class Config:
    """One configurable weight set: everything a host writes into a weight bank."""

    cores: dict[str, list[ConvWeights]]
    alpha: dict[str, list[np.ndarray | None]]  # [block] -> (Cin,) or None for block 0
    heads: dict[str, ConvWeights]
    shuffle: bool = False
    repeats: int = 1


def signed_range(bits: int) -> tuple[int, int]:
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


# --------------------------------------------------------------------------------------
# Array checks
# --------------------------------------------------------------------------------------

def _as_int(arr: np.ndarray, key: str) -> np.ndarray:
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise DescriptionError(key, "contains NaN or infinity")
        if not np.all(arr == np.round(arr)):
            raise DescriptionError(key, "contains non-integer values")
        if np.any(np.abs(arr) > 2.0 ** 62):
            raise DescriptionError(key, "values too large")
        return arr.astype(np.int64)
    raise DescriptionError(key, f"must hold integers, has dtype {arr.dtype}")


def check_array(arr: np.ndarray, key: str, shape: tuple[int, ...], lo: int, hi: int,
                what: str) -> np.ndarray:
    """Return *arr* as int64 after checking shape, integrality and ``lo <= arr <= hi``."""
    arr = np.asarray(arr)
    if arr.shape != tuple(shape):
        raise DescriptionError(key, f"shape {arr.shape}, expected {tuple(shape)}")
    arr = _as_int(arr, key)
    outside = (arr < lo) | (arr > hi)
    if np.any(outside):
        idx = tuple(int(i) for i in np.argwhere(outside)[0]) if arr.ndim else ()
        at = f" at index {list(idx)}" if idx else ""
        raise DescriptionError(key, f"value {arr[idx]}{at} is out of range [{lo}, {hi}] for {what}")
    return arr


def _check_conv(arrays: dict[str, np.ndarray], prefix: str, spec: ConvSpec) -> ConvWeights:
    wl, wh = signed_range(spec.weight_bits)
    bl, bh = signed_range(spec.bias_bits)
    return ConvWeights(
        check_array(_take(arrays, f"{prefix}.weight"), f"{prefix}.weight", spec.weight_shape, wl, wh,
                    f"{spec.weight_bits}-bit weights"),
        check_array(_take(arrays, f"{prefix}.bias"), f"{prefix}.bias", (spec.out_channels,), bl, bh,
                    f"{spec.bias_bits}-bit biases"),
    )


def _take(arrays: dict[str, np.ndarray], key: str) -> np.ndarray:
    try:
        return arrays.pop(key)
    except KeyError:
        raise DescriptionError(key, "missing array") from None


def _read_npz(path: Path, field: str) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise DescriptionError("", "file not found") from None
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DescriptionError(field, f"not a readable .npz weight file ({exc})") from None


def _no_leftovers(arrays: dict[str, np.ndarray]) -> None:
    if arrays:
        raise DescriptionError(sorted(arrays)[0], "unknown array (not in the description)")


# --------------------------------------------------------------------------------------
# Frozen weights
# --------------------------------------------------------------------------------------

def frozen_from_arrays(net: Network, arrays: dict[str, np.ndarray]) -> list[ConvWeights]:
    arrays = dict(arrays)
    out = [_check_conv(arrays, f"block{n}", spec) for n, spec in enumerate(net.frozen)]
    _no_leftovers(arrays)
    return out


def load_frozen(net: Network) -> list[ConvWeights]:
    """Load and check the frozen weights named by the description (SHA-256 already checked)."""
    if net.frozen_weights is None:
        raise DescriptionError("frozen.weights", "description was not loaded from a file")
    return frozen_from_arrays(net, _read_npz(net.frozen_weights, "frozen.weights"))


def frozen_arrays(frozen: list[ConvWeights]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for n, cw in enumerate(frozen):
        out[f"block{n}.weight"] = cw.weight.astype(np.int16)
        out[f"block{n}.bias"] = cw.bias.astype(np.int32)
    return out


# --------------------------------------------------------------------------------------
# Configurable weight sets
# --------------------------------------------------------------------------------------

def config_from_arrays(net: Network, arrays: dict[str, np.ndarray]) -> Config:
    arrays = dict(arrays)
    build_id = str(_take(arrays, "build_id"))
    if build_id != f"{net.build_id:016x}":
        raise DescriptionError("build_id", f"weights were made for hardware {build_id}, "
                               f"this description is {net.build_id:016x}")
    amax = 1 << net.alpha_bits
    cores, alpha = {}, {}
    for core in net.cores:
        cores[core.name] = [_check_conv(arrays, f"{core.name}.block{n}", spec)
                            for n, spec in enumerate(core.blocks)]
        alpha[core.name] = [None] + [
            check_array(_take(arrays, f"{core.name}.block{n}.alpha"), f"{core.name}.block{n}.alpha",
                        (spec.in_channels,), 0, amax, f"alpha_bits {net.alpha_bits} (0..2^{net.alpha_bits})")
            for n, spec in enumerate(core.blocks) if n > 0]
    heads = {}
    for name, head in net.heads.items():
        key = f"head.{name}"
        if isinstance(head, DenseHead):
            heads[name] = _check_conv(arrays, key, head.conv)
        else:
            wl, wh = signed_range(head.weight_bits)
            bl, bh = signed_range(head.bias_bits)
            heads[name] = ConvWeights(
                check_array(_take(arrays, f"{key}.weight"), f"{key}.weight", head.weight_shape, wl, wh,
                            f"{head.weight_bits}-bit weights"),
                check_array(_take(arrays, f"{key}.bias"), f"{key}.bias", (head.classes,), bl, bh,
                            f"{head.bias_bits}-bit biases"))
    shuffle = int(check_array(_take(arrays, "shuffle"), "shuffle", (), 0, 1, "a switch (0 or 1)"))
    if shuffle and net.shuffle is None:
        raise DescriptionError("shuffle", "is 1 but the description has no shuffle")
    repeats = int(check_array(_take(arrays, "repeats"), "repeats", (), 1, net.max_repeats,
                              f"repeat.max_repeats {net.max_repeats}"))
    _no_leftovers(arrays)
    return Config(cores=cores, alpha=alpha, heads=heads, shuffle=bool(shuffle), repeats=repeats)


def load_config(net: Network, path: str | Path) -> Config:
    return config_from_arrays(net, _read_npz(Path(path), str(path)))


def config_arrays(net: Network, cfg: Config) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {"build_id": np.array(f"{net.build_id:016x}")}
    for core in net.cores:
        for n, cw in enumerate(cfg.cores[core.name]):
            out[f"{core.name}.block{n}.weight"] = cw.weight.astype(np.int16)
            out[f"{core.name}.block{n}.bias"] = cw.bias.astype(np.int64)
            if n > 0:
                out[f"{core.name}.block{n}.alpha"] = cfg.alpha[core.name][n].astype(np.int32)
    for name, hw in cfg.heads.items():
        out[f"head.{name}.weight"] = hw.weight.astype(np.int16)
        out[f"head.{name}.bias"] = hw.bias.astype(np.int64)
    out["shuffle"] = np.array(int(cfg.shuffle))
    out["repeats"] = np.array(int(cfg.repeats))
    return out


def save_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    """Write *arrays* to *path* atomically (nothing half-written on failure)."""
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)


# --------------------------------------------------------------------------------------
# Random weights (tests, examples)
# --------------------------------------------------------------------------------------

def _random_conv(rng: np.random.Generator, shape: tuple[int, ...], cout: int, weight_bits: int,
                 bias_bits: int, bias_scale: int) -> ConvWeights:
    wl, wh = signed_range(weight_bits)
    bl, bh = signed_range(bias_bits)
    b = np.clip(rng.integers(-bias_scale, bias_scale + 1, size=cout), bl, bh)
    return ConvWeights(rng.integers(wl, wh + 1, size=shape, dtype=np.int64), b.astype(np.int64))


def _bias_scale(spec: ConvSpec) -> int:
    return 1 << max(0, spec.in_bits + spec.weight_bits - 2)


def random_frozen(net: Network, rng: np.random.Generator) -> list[ConvWeights]:
    return [_random_conv(rng, s.weight_shape, s.out_channels, s.weight_bits, s.bias_bits, _bias_scale(s))
            for s in net.frozen]


def random_config(net: Network, rng: np.random.Generator) -> Config:
    cores, alpha, heads = {}, {}, {}
    for core in net.cores:
        cores[core.name] = [_random_conv(rng, s.weight_shape, s.out_channels, s.weight_bits, s.bias_bits,
                                         _bias_scale(s)) for s in core.blocks]
        alpha[core.name] = [None] + [rng.integers(0, (1 << net.alpha_bits) + 1, size=s.in_channels)
                                     for s in core.blocks[1:]]
    for name, head in net.heads.items():
        if isinstance(head, DenseHead):
            s = head.conv
            heads[name] = _random_conv(rng, s.weight_shape, s.out_channels, s.weight_bits, s.bias_bits,
                                       _bias_scale(s))
        else:
            assert isinstance(head, ClassificationHead)
            heads[name] = _random_conv(rng, head.weight_shape, head.classes, head.weight_bits,
                                       head.bias_bits, 1 << (head.bias_bits - 2))
    return Config(cores=cores, alpha=alpha, heads=heads,
                  shuffle=bool(net.shuffle) and bool(rng.integers(0, 2)),
                  repeats=int(rng.integers(1, net.max_repeats + 1)))
