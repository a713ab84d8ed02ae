"""Network descriptions: load, validate, and give every block its full, resolved shape.

A description (YAML or JSON) is checked in two steps.  The JSON Schema
(``schema/network.schema.json``) checks structure, types, ranges and unknown keys; then
:func:`_check_semantics` checks what a schema cannot say (channel maps in range, tail
shapes, head names).  Every failure raises :class:`DescriptionError` naming the field.

Semantics of every field: docs/description.md; arithmetic: docs/arithmetic.md.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import yaml

FORMAT = "semifreddo-net/1"

FROZEN_BLOCK_DEFAULTS = {"bias_bits": 16, "activation": "relu", "out_bits": 8, "strategy": "cmvm"}
TRAINABLE_BLOCK_DEFAULTS = {"weight_bits": 8, "bias_bits": 16, "requant": {"mult": 1, "shift": 8},
                            "activation": "relu", "out_bits": 8}
#: Fields that choose how the frozen core is built, not what it computes: every choice is
#: bit-exact with the golden model, so they stay out of the build ID and a weight set made
#: for one build runs on another (docs/description.md).
IMPLEMENTATION_FIELDS = {"frozen": ("adder_levels_per_stage", "register_fanout", "digit_serial"),
                         "frozen.blocks[]": ("strategy",)}
HEAD_DEFAULTS = {
    "classification": {"weight_bits": 8, "bias_bits": 32},
    "dense": {"weight_bits": 8, "bias_bits": 16, "activation": "none", "out_bits": 8},
}
DEFAULT_ALPHA_BITS = 8
DEFAULT_ADDER_LEVELS = 1
#: Readers per register in a frozen datapath before the register is copied (0: no limit,
#: inputs not registered); docs/architecture.md, "Frozen datapath timing".
DEFAULT_REGISTER_FANOUT = 16


class DescriptionError(ValueError):
    """A mistake in a description or weight file: ``field`` names where, ``problem`` what."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}" if field else problem)
        self.field = field
        self.problem = problem


# --------------------------------------------------------------------------------------
# Resolved model
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Requant:
    mult: tuple[int, ...]  # one per output channel
    shift: int


@dataclass(frozen=True)
class Engine:
    """Shape of a configurable convolution's engine (rtl/sf_tconv.sv parameters Groups, Fold)."""
    groups: int     # G: output channels per memory entry
    fold: int       # F: tap phases per entry (ops per entry)
    taps: int       # Kernel * Kernel * Cin
    cycles: int     # memory entries per window, ceil(Cout / G)

    @property
    def taps_per_op(self) -> int:
        return -(-self.taps // self.fold)

    @property
    def ops(self) -> int:
        """Engine clocks per output pixel."""
        return self.cycles * self.fold

    @property
    def multipliers(self) -> int:
        return self.groups * self.taps_per_op


@dataclass(frozen=True)
class ConvSpec:
    """One convolution block with every default resolved (docs/arithmetic.md section 2)."""

    name: str
    kernel: int
    stride: int
    in_channels: int
    out_channels: int
    in_bits: int
    in_signed: bool
    in_height: int
    in_width: int
    weight_bits: int
    bias_bits: int
    requant: Requant
    activation: str
    out_bits: int
    strategy: str | None = None  # frozen blocks only

    @property
    def out_signed(self) -> bool:
        return self.activation == "none"

    @property
    def out_height(self) -> int:
        return -(-self.in_height // self.stride)

    @property
    def out_width(self) -> int:
        return -(-self.in_width // self.stride)

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        return (self.out_channels, self.in_channels, self.kernel, self.kernel)

    @property
    def weight_count(self) -> int:
        return self.out_channels * self.in_channels * self.kernel * self.kernel


@dataclass(frozen=True)
class Core:
    name: str
    blocks: tuple[ConvSpec, ...]
    #: blend_maps[n][c] = frozen channel of F[n-1] blended into input channel c of block n;
    #: None for block 0 (it reads the image).
    blend_maps: tuple[tuple[int, ...] | None, ...]


@dataclass(frozen=True)
class ClassificationHead:
    core: str
    in_channels: int
    in_bits: int
    in_signed: bool
    pixels: int
    classes: int
    weight_bits: int
    bias_bits: int

    @property
    def weight_shape(self) -> tuple[int, int]:
        return (self.classes, self.in_channels)


@dataclass(frozen=True)
class DenseHead:
    core: str
    conv: ConvSpec


Head = ClassificationHead | DenseHead


@dataclass(frozen=True)
class Shuffle:
    after_blocks: frozenset[int]
    channels: int


@dataclass(frozen=True)
class Repeat:
    first_block: int
    max_repeats: int


@dataclass
class Network:
    name: str
    input_width: int
    input_height: int
    input_channels: int
    input_bits: int
    max_line_width: int
    frozen: tuple[ConvSpec, ...]
    frozen_weights: Path | None
    frozen_sha256: str
    adder_levels_per_stage: int
    register_fanout: int
    digit_serial: bool
    alpha_bits: int
    cores: tuple[Core, Core]
    shuffle: Shuffle | None
    repeat: Repeat | None
    heads: dict[str, Head]
    #: The validated description with every default filled in (the build ID hashes its
    #: function, :func:`function_of`).
    canonical: dict[str, Any] = field(repr=False)
    source: Path | None = None

    @property
    def num_blocks(self) -> int:
        return len(self.frozen)

    def core(self, name: str) -> Core:
        for c in self.cores:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def max_repeats(self) -> int:
        return self.repeat.max_repeats if self.repeat else 1

    @cached_property
    def build_id(self) -> int:
        """64-bit hardware identity: hash of the canonical description, without the
        :data:`IMPLEMENTATION_FIELDS`, and of the frozen weights."""
        h = hashlib.sha256(json.dumps(function_of(self.canonical), sort_keys=True).encode())
        h.update(bytes.fromhex(self.frozen_sha256))
        return int.from_bytes(h.digest()[:8], "big")

    def rate_divisor(self, n: int) -> int:
        """T: the input pixels per output pixel of block *n* (product of squared strides of
        blocks 0..n).  The dense head runs at the rate of the last block."""
        t = 1
        for spec in self.frozen[:n + 1]:
            t *= spec.stride ** 2
        return t

    def frozen_digits(self, n: int) -> int:
        """S: the digits in which frozen block *n* takes each input value, one digit per
        clock through one shift-add graph of ``ceil(in_bits / S)``-bit inputs (1: the
        whole value at once).  A block whose input arrives at most one pixel every
        T = rate_divisor(n - 1) clocks needs no more than one window every T clocks, so it
        can spend S = min(T, in_bits) clocks on each (``frozen.digit_serial``; S is then
        lowered to the fewest digits of that width)."""
        t = self.rate_divisor(n - 1) if n > 0 else 1
        bits = self.frozen[n].in_bits
        if not self.digit_serial or t < 2:
            return 1
        digit = -(-bits // min(t, bits))
        return -(-bits // digit)

    def groups(self, n: int, out_channels: int) -> int:
        """G: output channels a trainable block *n* (or a head after block n) computes per
        memory entry so that it keeps up with one input pixel per clock: ceil(Cout / T)."""
        return -(-out_channels // self.rate_divisor(n))

    def engine(self, n: int, conv: ConvSpec) -> Engine:
        """The time-shared engine of a configurable convolution *conv* at block position *n*
        (rtl/sf_tconv.sv): G = ceil(Cout/T) channels per memory entry, and the entry's taps
        in F phases, F the largest with Cycles * F <= T clocks per window (at most Taps)."""
        t = self.rate_divisor(n)
        g = self.groups(n, conv.out_channels)
        taps = conv.kernel ** 2 * conv.in_channels
        cycles = -(-conv.out_channels // g)
        return Engine(groups=g, fold=max(1, min(taps, t // cycles)), taps=taps, cycles=cycles)

    def lanes(self) -> dict[str, int]:
        """Values per datapath read of each configurable memory (register-map region name
        -> lanes): a trainable block reads G output channels' weights/biases at once; a
        classification head reads one value at a time."""
        out: dict[str, int] = {}
        last = self.num_blocks - 1
        for core in self.cores:
            for n, spec in enumerate(core.blocks):
                g = self.groups(n, spec.out_channels)
                out[f"{core.name}_blk{n}_weight"] = g * spec.in_channels * spec.kernel ** 2
                out[f"{core.name}_blk{n}_bias"] = g
            head = self.heads.get(core.name)
            if isinstance(head, DenseHead):
                g = self.groups(last, head.conv.out_channels)
                out[f"{core.name}_head_weight"] = g * head.conv.in_channels * head.conv.kernel ** 2
                out[f"{core.name}_head_bias"] = g
            elif head is not None:
                out[f"{core.name}_head_weight"] = 1
                out[f"{core.name}_head_bias"] = 1
        return out

    def frozen_weight_fraction(self) -> float:
        """Share of all convolution weights (frozen + trainable + dense heads) that is frozen."""
        frozen = sum(b.weight_count for b in self.frozen)
        trainable = sum(b.weight_count for c in self.cores for b in c.blocks)
        trainable += sum(h.conv.weight_count for h in self.heads.values() if isinstance(h, DenseHead))
        return frozen / (frozen + trainable)


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------

def function_of(canonical: dict[str, Any]) -> dict[str, Any]:
    """*canonical* without the :data:`IMPLEMENTATION_FIELDS` (what the build ID hashes)."""
    d = copy.deepcopy(canonical)
    frozen = d.get("frozen", {})
    for key in IMPLEMENTATION_FIELDS["frozen"]:
        frozen.pop(key, None)
    for block in frozen.get("blocks", []):
        for key in IMPLEMENTATION_FIELDS["frozen.blocks[]"]:
            block.pop(key, None)
    return d


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    text = resources.files("semifreddo").joinpath("schema/network.schema.json").read_text()
    return json.loads(text)


def load_description(path: str | Path, *, verify_weights: bool = True) -> Network:
    """Read, validate and resolve a description file (YAML or JSON)."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise DescriptionError("", "file not found") from None
    except OSError as exc:
        raise DescriptionError("", f"cannot read: {exc.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "syntax"
        raise DescriptionError(where, f"not valid YAML/JSON ({getattr(exc, 'problem', exc)})") from None
    return parse_description(raw, base_dir=path.parent, source=path, verify_weights=verify_weights)


def parse_description(raw: Any, *, base_dir: Path | None = None, source: Path | None = None,
                      verify_weights: bool = True) -> Network:
    """Validate an already-parsed description and build the resolved :class:`Network`."""
    _check_schema(raw)
    canonical = _fill_defaults(raw)
    net = _resolve(canonical, base_dir, source)
    _check_semantics(net, canonical)
    if verify_weights:
        _check_frozen_file(net)
    return net


def _path_str(parts: Iterator[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _check_schema(raw: Any) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(raw))
    if error is None:
        return
    where = list(error.absolute_path)
    v, inst, val = error.validator, error.instance, error.validator_value
    if v == "additionalProperties":
        extra = sorted(set(inst) - set(error.schema.get("properties", {})))
        where.append(extra[0])
        problem = "unknown key"
    elif v == "required":
        missing = [k for k in val if k not in inst]
        where.append(missing[0])
        problem = "missing required key"
    elif v == "enum":
        problem = f"must be one of {', '.join(map(str, val))}, got {inst!r}"
    elif v == "const":
        problem = f"must be {val!r}, got {inst!r}"
    elif v == "minimum":
        problem = f"must be at least {val}, got {inst!r}"
    elif v == "maximum":
        problem = f"must be at most {val}, got {inst!r}"
    elif v == "type":
        problem = f"must be of type {val}, got {type(inst).__name__} {inst!r}"
    elif v == "pattern":
        problem = f"must match {val}, got {inst!r}"
    elif v in ("minItems", "maxItems", "minProperties"):
        problem = f"{v} {val} not met: has {len(inst)}"
    else:
        problem = error.message
    raise DescriptionError(_path_str(iter(where)), problem)


def _fill_defaults(raw: dict[str, Any]) -> dict[str, Any]:
    d = copy.deepcopy(raw)
    d.setdefault("max_line_width", d["input"]["width"])
    fz = d["frozen"]
    fz.setdefault("adder_levels_per_stage", DEFAULT_ADDER_LEVELS)
    fz.setdefault("register_fanout", DEFAULT_REGISTER_FANOUT)
    fz.setdefault("digit_serial", True)
    for b in fz["blocks"]:
        for k, v in FROZEN_BLOCK_DEFAULTS.items():
            b.setdefault(k, v)
        b["requant"].setdefault("mult", 1)
    tr = d["trainable"]
    tr.setdefault("alpha_bits", DEFAULT_ALPHA_BITS)
    defaults = {**TRAINABLE_BLOCK_DEFAULTS, **tr.pop("block_defaults", {})}
    for core in tr["cores"]:
        for b in core["blocks"]:
            for k, v in defaults.items():
                b.setdefault(k, copy.deepcopy(v))
            b["requant"].setdefault("mult", 1)
    for head in d["heads"].values():
        for k, v in HEAD_DEFAULTS[head["type"]].items():
            head.setdefault(k, v)
        if "requant" in head:
            head["requant"].setdefault("mult", 1)
    return d


def _requant(r: dict[str, Any], cout: int, where: str) -> Requant:
    mult = r["mult"]
    if isinstance(mult, list):
        if len(mult) != cout:
            raise DescriptionError(f"{where}.requant.mult", f"has {len(mult)} entries, block has {cout} output channels")
        return Requant(tuple(mult), r["shift"])
    return Requant((mult,) * cout, r["shift"])


def _conv(b: dict[str, Any], where: str, *, kernel: int, stride: int, cin: int, in_bits: int,
          in_signed: bool, h: int, w: int, strategy: str | None = None) -> ConvSpec:
    return ConvSpec(
        name=where, kernel=kernel, stride=stride, in_channels=cin, out_channels=b["out_channels"],
        in_bits=in_bits, in_signed=in_signed, in_height=h, in_width=w,
        weight_bits=b["weight_bits"], bias_bits=b["bias_bits"],
        requant=_requant(b["requant"], b["out_channels"], where),
        activation=b["activation"], out_bits=b["out_bits"], strategy=strategy,
    )


def _resolve(d: dict[str, Any], base_dir: Path | None, source: Path | None) -> Network:
    inp = d["input"]
    frozen: list[ConvSpec] = []
    h, w, c, bits, signed = inp["height"], inp["width"], inp["channels"], inp["bits"], False
    for n, b in enumerate(d["frozen"]["blocks"]):
        spec = _conv(b, f"frozen.blocks[{n}]", kernel=b["kernel"], stride=b["stride"], cin=c,
                     in_bits=bits, in_signed=signed, h=h, w=w, strategy=b["strategy"])
        frozen.append(spec)
        h, w, c, bits, signed = spec.out_height, spec.out_width, spec.out_channels, spec.out_bits, spec.out_signed

    cores = []
    for k, core in enumerate(d["trainable"]["cores"]):
        where_core = f"trainable.cores[{k}]"
        if len(core["blocks"]) != len(frozen):
            raise DescriptionError(f"{where_core}.blocks",
                                   f"has {len(core['blocks'])} blocks, the frozen core has {len(frozen)}")
        blocks, maps = [], []
        c, bits, signed = inp["channels"], inp["bits"], False
        for n, b in enumerate(core["blocks"]):
            fz = frozen[n]
            spec = _conv(b, f"{where_core}.blocks[{n}]", kernel=fz.kernel, stride=fz.stride, cin=c,
                         in_bits=bits, in_signed=signed, h=fz.in_height, w=fz.in_width)
            blocks.append(spec)
            maps.append(None if n == 0 else tuple(b.get("blend_map", range(c))))
            c, bits, signed = spec.out_channels, spec.out_bits, spec.out_signed
        cores.append(Core(core["name"], tuple(blocks), tuple(maps)))

    heads: dict[str, Head] = {}
    core_by_name = {c.name: c for c in cores}
    for name, hd in d["heads"].items():
        if name not in core_by_name:
            raise DescriptionError(f"heads.{name}", f"no trainable core named {name!r} "
                                   f"(cores: {', '.join(core_by_name)})")
        last = core_by_name[name].blocks[-1]
        if hd["type"] == "classification":
            heads[name] = ClassificationHead(
                core=name, in_channels=last.out_channels, in_bits=last.out_bits, in_signed=last.out_signed,
                pixels=last.out_height * last.out_width, classes=hd["classes"],
                weight_bits=hd["weight_bits"], bias_bits=hd["bias_bits"])
        else:
            heads[name] = DenseHead(core=name, conv=_conv(
                hd, f"heads.{name}", kernel=1, stride=1, cin=last.out_channels, in_bits=last.out_bits,
                in_signed=last.out_signed, h=last.out_height, w=last.out_width))

    sh, rp = d.get("shuffle"), d.get("repeat")
    weights = d["frozen"]["weights"]
    return Network(
        name=d["name"], input_width=inp["width"], input_height=inp["height"],
        input_channels=inp["channels"], input_bits=inp["bits"], max_line_width=d["max_line_width"],
        frozen=tuple(frozen),
        frozen_weights=(base_dir / weights) if base_dir is not None else None,
        frozen_sha256=d["frozen"]["sha256"],
        adder_levels_per_stage=d["frozen"]["adder_levels_per_stage"],
        register_fanout=d["frozen"]["register_fanout"],
        digit_serial=d["frozen"]["digit_serial"],
        alpha_bits=d["trainable"]["alpha_bits"], cores=(cores[0], cores[1]),
        shuffle=Shuffle(frozenset(sh["after_blocks"]), sh["channels"]) if sh else None,
        repeat=Repeat(rp["first_block"], rp["max_repeats"]) if rp else None,
        heads=heads, canonical=d, source=source,
    )


#: A classification head computes a frame's scores while the next frame streams in: it
#: needs Classes*Channels + Classes + this many pixels per frame (rtl/sf_class_head.sv,
#: MinPixels).
CLASS_HEAD_EXTRA_PIXELS = 6


def _check_semantics(net: Network, d: dict[str, Any]) -> None:
    if net.max_line_width < net.input_width:
        raise DescriptionError("max_line_width", f"{net.max_line_width} is less than input.width {net.input_width}")
    if net.cores[0].name == net.cores[1].name:
        raise DescriptionError("trainable.cores[1].name", f"duplicate core name {net.cores[1].name!r}")
    nblk = net.num_blocks
    for k, core in enumerate(net.cores):
        for n in range(1, nblk):
            where = f"trainable.cores[{k}].blocks[{n}]"
            prev_f, prev_t = net.frozen[n - 1], core.blocks[n - 1]
            bmap = core.blend_maps[n]
            if len(bmap) != prev_t.out_channels:
                raise DescriptionError(f"{where}.blend_map",
                                       f"has {len(bmap)} entries, the block has {prev_t.out_channels} input channels")
            bad = [m for m in bmap if m >= prev_f.out_channels]
            if bad:
                raise DescriptionError(f"{where}.blend_map",
                                       f"frozen channel {bad[0]} out of range (frozen block {n - 1} has "
                                       f"{prev_f.out_channels} channels)")
            if (prev_f.out_bits, prev_f.activation) != (prev_t.out_bits, prev_t.activation):
                raise DescriptionError(f"trainable.cores[{k}].blocks[{n - 1}]",
                                       "out_bits and activation must equal the frozen block's to blend "
                                       f"(frozen: {prev_f.out_bits}, {prev_f.activation})")
    if net.shuffle:
        for n in sorted(net.shuffle.after_blocks):
            if n >= nblk - 1:
                raise DescriptionError("shuffle.after_blocks",
                                       f"block {n} has no following block boundary (blocks 0..{nblk - 1})")
            ta, tb = net.cores[0].blocks[n], net.cores[1].blocks[n]
            if net.shuffle.channels > min(ta.out_channels, tb.out_channels):
                raise DescriptionError("shuffle.channels",
                                       f"{net.shuffle.channels} exceeds the channels of block {n} "
                                       f"({ta.out_channels} and {tb.out_channels})")
            if (ta.out_bits, ta.activation) != (tb.out_bits, tb.activation):
                raise DescriptionError("shuffle.after_blocks", f"cores differ in type after block {n}")
    if net.repeat:
        r0 = net.repeat.first_block
        if r0 >= nblk:
            raise DescriptionError("repeat.first_block", f"{r0} is not a block (blocks 0..{nblk - 1})")
        chains = [("frozen", net.frozen)] + [(f"trainable core {c.name}", c.blocks) for c in net.cores]
        for label, blocks in chains:
            tail = blocks[r0:]
            if any(b.stride != 1 for b in tail):
                raise DescriptionError("repeat.first_block", f"{label}: the tail must have stride 1 throughout")
            first, last = tail[0], tail[-1]
            if (first.in_channels, first.in_bits, first.in_signed) != (last.out_channels, last.out_bits, last.out_signed):
                raise DescriptionError("repeat.first_block",
                                       f"{label}: tail output ({last.out_channels} ch) must match its input "
                                       f"({first.in_channels} ch) in channels and type")
    for name, head in net.heads.items():
        if isinstance(head, ClassificationHead):
            need = head.classes * head.in_channels + head.classes + CLASS_HEAD_EXTRA_PIXELS
            if head.pixels < need:
                raise DescriptionError(f"heads.{name}.classes",
                                       f"{head.classes} classes of {head.in_channels} channels need a last "
                                       f"feature map of at least {need} pixels, core {name}'s has {head.pixels}")
    frac = net.frozen_weight_fraction()
    if not 0 < frac <= 1:  # pragma: no cover - guarded by the schema's minimums
        raise DescriptionError("frozen.blocks", "no frozen weights")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_frozen_file(net: Network) -> None:
    path = net.frozen_weights
    if path is None or not path.is_file():
        raise DescriptionError("frozen.weights", f"file not found: {path}")
    actual = sha256_file(path)
    if actual != net.frozen_sha256:
        raise DescriptionError("frozen.sha256", f"does not match {path.name} (file has {actual})")
