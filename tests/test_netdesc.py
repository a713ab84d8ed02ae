"""Description and weight-file validation: good input loads, every bad input gets one
line naming the field, exit status 2, and nothing written."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given

from netgen import descriptions
from semifreddo import weights
from semifreddo.cli import main
from semifreddo.netdesc import DescriptionError, load_description, parse_description, sha256_file

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "weights" / "reference.yaml"


def test_reference_description_loads():
    net = load_description(REFERENCE)
    assert net.num_blocks >= 3
    assert any(b.stride == 2 for b in net.frozen)
    assert net.frozen_weight_fraction() >= 0.75
    weights.load_frozen(net)


@given(desc=descriptions())
def test_random_valid_descriptions_pass_the_schema(desc):
    net = parse_description(desc, verify_weights=False)
    assert net.build_id == parse_description(copy.deepcopy(desc), verify_weights=False).build_id


@given(desc=descriptions())
def test_engine_shape_keeps_up_with_the_input(desc):
    """Every configurable convolution's engine (Network.engine): G = ceil(Cout/T) channels
    per entry and the most tap phases F that still spend at most T clocks per window, so
    the block keeps up with one input pixel per clock; F = 1 when no phase fits."""
    net = parse_description(desc, verify_weights=False)
    convs = [(n, s) for c in net.cores for n, s in enumerate(c.blocks)]
    convs += [(net.num_blocks - 1, h.conv) for h in net.heads.values() if hasattr(h, "conv")]
    for n, spec in convs:
        t, eng = net.rate_divisor(n), net.engine(n, spec)
        taps = spec.kernel ** 2 * spec.in_channels
        assert eng.taps == taps and eng.groups * eng.cycles >= spec.out_channels
        assert 1 <= eng.fold <= taps
        assert eng.ops <= t or eng.fold == 1
        assert eng.fold == taps or (eng.fold + 1) * eng.cycles > t
        assert eng.multipliers == eng.groups * -(-taps // eng.fold)
        assert eng.taps_per_op * eng.fold >= taps > (eng.taps_per_op - 1) * eng.fold


@given(desc=descriptions())
def test_frozen_digits_fit_the_input_interval(desc):
    """Network.frozen_digits: a frozen block takes its window in S digits only when its
    input arrives at most one pixel every T >= S clocks; S is the fewest digits of width
    ceil(bits / min(T, bits)), and 1 with digit_serial off."""
    net = parse_description(copy.deepcopy(desc), verify_weights=False)
    off = copy.deepcopy(desc)
    off["frozen"]["digit_serial"] = False
    net_off = parse_description(off, verify_weights=False)
    for n, spec in enumerate(net.frozen):
        t = net.rate_divisor(n - 1) if n else 1
        s = net.frozen_digits(n)
        assert net_off.frozen_digits(n) == 1
        assert 1 <= s <= min(t, spec.in_bits)
        if t >= 2:
            digit = -(-spec.in_bits // min(t, spec.in_bits))
            assert s == -(-spec.in_bits // digit) and s * digit >= spec.in_bits > (s - 1) * digit
        else:
            assert s == 1


@given(desc=descriptions())
def test_build_id_ignores_only_implementation_fields(desc):
    """Frozen-core build choices leave the build ID alone; a new name or other frozen
    weights change it."""
    base = parse_description(copy.deepcopy(desc), verify_weights=False).build_id
    impl = copy.deepcopy(desc)
    impl["frozen"]["adder_levels_per_stage"] = impl["frozen"].get("adder_levels_per_stage", 1) % 3 + 1
    impl["frozen"]["register_fanout"] = impl["frozen"].get("register_fanout", 16) + 8
    impl["frozen"]["digit_serial"] = not impl["frozen"].get("digit_serial", True)
    for block in impl["frozen"]["blocks"]:
        block["strategy"] = "csd" if block.get("strategy", "cmvm") == "cmvm" else "cmvm"
    assert parse_description(impl, verify_weights=False).build_id == base
    renamed = copy.deepcopy(desc)
    renamed["name"] += "x"
    other_weights = copy.deepcopy(desc)
    other_weights["frozen"]["sha256"] = "f" * 64 if desc["frozen"]["sha256"] != "f" * 64 else "0" * 64
    for func in (renamed, other_weights):
        assert parse_description(func, verify_weights=False).build_id != base


# --------------------------------------------------------------------------------------
# A small valid project in a temporary folder, then one mistake at a time
# --------------------------------------------------------------------------------------

def _write_project(tmp: Path, desc: dict, frozen_arrays=None) -> Path:
    """Write *desc* with a matching frozen file (random unless given); returns the YAML path."""
    desc = copy.deepcopy(desc)
    net = parse_description(desc, verify_weights=False)
    if frozen_arrays is None:
        frozen_arrays = weights.frozen_arrays(weights.random_frozen(net, np.random.default_rng(0)))
    fpath = tmp / "net.frozen.npz"
    weights.save_npz(fpath, frozen_arrays)
    desc["frozen"]["weights"] = fpath.name
    desc["frozen"]["sha256"] = sha256_file(fpath)
    path = tmp / "net.yaml"
    path.write_text(yaml.safe_dump(desc))
    return path


@pytest.fixture
def base_desc() -> dict:
    return yaml.safe_load(REFERENCE.read_text())


def _run_cli(args, capsys) -> tuple[int, str]:
    rc = main(args)
    err = capsys.readouterr().err
    return rc, err


def _assert_rejected(rc: int, err: str, *needles: str) -> None:
    assert rc == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for n in needles:
        assert n in lines[0], lines[0]


DESCRIPTION_MISTAKES = [
    # (mutation, words the error line must contain)
    (lambda d: d["frozen"]["blocks"][1].update(stride=3), ["frozen.blocks[1].stride", "must be one of"]),
    (lambda d: d["frozen"]["blocks"][0].update(out_channels=0), ["frozen.blocks[0].out_channels", "at least 1"]),
    (lambda d: d["trainable"]["cores"][0]["blocks"][2].update(out_channels=-4),
     ["trainable.cores[0].blocks[2].out_channels", "at least 1"]),
    (lambda d: d["input"].update(colour="rgb"), ["input.colour", "unknown key"]),
    (lambda d: d["frozen"]["blocks"][0].pop("kernel"), ["frozen.blocks[0].kernel", "missing"]),
    (lambda d: d["frozen"]["blocks"][0].update(weight_bits=9), ["frozen.blocks[0].weight_bits", "at most 8"]),
    (lambda d: d["trainable"]["cores"][1]["blocks"][1].update(blend_map=[0, 99]),
     ["trainable.cores[1].blocks[1].blend_map", "out of range"]),
    (lambda d: d["frozen"]["blocks"][2].update(stride=2), ["repeat.first_block", "stride 1"]),
    # 8x8 input, stride 2: a 4x4 last map; 4 classes of 2 channels need 4*2 + 4 + 6 pixels
    (lambda d: (d["input"].update(width=8, height=8), d["heads"]["a"].update(classes=4)),
     ["heads.a.classes", "at least 18 pixels", "has 16"]),
    (lambda d: d["shuffle"].update(channels=9), ["shuffle.channels", "exceeds"]),
    (lambda d: d["heads"].update(c={"type": "dense", "out_channels": 1, "requant": {"shift": 1}}),
     ["heads.c", "no trainable core"]),
    (lambda d: d["heads"]["a"].update(type="regression"), ["heads.a.type", "must be one of"]),
    (lambda d: d["input"].update(width="wide"), ["input.width", "type integer"]),
    (lambda d: d["frozen"].update(digit_serial="yes"), ["frozen.digit_serial", "type boolean"]),
]


@pytest.mark.parametrize("mutate,needles", DESCRIPTION_MISTAKES)
def test_bad_description_rejected(tmp_path, base_desc, capsys, mutate, needles):
    path = _write_project(tmp_path, base_desc)
    bad = yaml.safe_load(path.read_text())
    mutate(bad)
    path.write_text(yaml.safe_dump(bad))
    out = tmp_path / "out.npz"
    rc, err = _run_cli(["golden", "--net", str(path), "--out", str(out)], capsys)
    _assert_rejected(rc, err, str(path), *needles)
    assert not out.exists()


def test_malformed_yaml(tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text("format: [unclosed\n")
    rc, err = _run_cli(["validate", "--net", str(path)], capsys)
    _assert_rejected(rc, err, "not valid YAML")


def test_missing_description_file(tmp_path, capsys):
    rc, err = _run_cli(["validate", "--net", str(tmp_path / "nope.yaml")], capsys)
    _assert_rejected(rc, err, "nope.yaml", "file not found")


def test_missing_frozen_file(tmp_path, base_desc, capsys):
    path = _write_project(tmp_path, base_desc)
    (tmp_path / "net.frozen.npz").unlink()
    rc, err = _run_cli(["validate", "--net", str(path)], capsys)
    _assert_rejected(rc, err, "frozen.weights", "file not found")


def test_sha256_mismatch(tmp_path, base_desc, capsys):
    path = _write_project(tmp_path, base_desc)
    with open(tmp_path / "net.frozen.npz", "ab") as f:
        f.write(b"\0")
    rc, err = _run_cli(["validate", "--net", str(path)], capsys)
    _assert_rejected(rc, err, "frozen.sha256", "does not match")


def _frozen_with(base_desc, tmp_path, edit):
    net = parse_description(base_desc, verify_weights=False)
    arrays = weights.frozen_arrays(weights.random_frozen(net, np.random.default_rng(1)))
    edit(arrays)
    return _write_project(tmp_path, base_desc, arrays)


FROZEN_MISTAKES = [
    (lambda a: a["block1.weight"].__setitem__((0, 0, 0, 0), 8), ["block1.weight", "out of range", "4-bit"]),
    (lambda a: a.__setitem__("block0.weight", a["block0.weight"][:, :2]), ["block0.weight", "shape"]),
    (lambda a: a.__setitem__("block2.bias", np.full(a["block2.bias"].shape, np.nan)), ["block2.bias", "NaN"]),
    (lambda a: a.__setitem__("block2.bias", np.full(a["block2.bias"].shape, 0.5)), ["block2.bias", "non-integer"]),
    (lambda a: a.pop("block1.bias"), ["block1.bias", "missing array"]),
    (lambda a: a.__setitem__("block9.weight", np.zeros(3)), ["block9.weight", "unknown array"]),
]


@pytest.mark.parametrize("edit,needles", FROZEN_MISTAKES)
def test_bad_frozen_weights_rejected(tmp_path, base_desc, capsys, edit, needles):
    path = _frozen_with(base_desc, tmp_path, edit)
    out = tmp_path / "out.npz"
    rc, err = _run_cli(["golden", "--net", str(path), "--out", str(out)], capsys)
    _assert_rejected(rc, err, *needles)
    assert not out.exists()


def _config_file(tmp_path, path, edit):
    net = load_description(path)
    arrays = weights.config_arrays(net, weights.random_config(net, np.random.default_rng(2)))
    edit(arrays)
    cpath = tmp_path / "cfg.npz"
    weights.save_npz(cpath, arrays)
    return cpath


CONFIG_MISTAKES = [
    (lambda a: a["a.block1.weight"].__setitem__((0, 0, 0, 0), -129), ["a.block1.weight", "out of range"]),
    (lambda a: a.__setitem__("b.block2.alpha", np.full(a["b.block2.alpha"].shape, 257)), ["b.block2.alpha", "out of range"]),
    (lambda a: a.__setitem__("repeats", np.array(5)), ["repeats", "out of range"]),
    (lambda a: a.__setitem__("head.a.weight", np.zeros((3, 4))), ["head.a.weight", "shape"]),
    (lambda a: a.__setitem__("build_id", np.array("0123456789abcdef")), ["build_id", "made for hardware"]),
    (lambda a: a.__setitem__("a.block0.weight", a["a.block0.weight"].astype(float) * np.nan),
     ["a.block0.weight", "NaN"]),
]


@pytest.mark.parametrize("edit,needles", CONFIG_MISTAKES)
def test_bad_config_rejected(tmp_path, base_desc, capsys, edit, needles):
    path = _write_project(tmp_path, base_desc)
    cpath = _config_file(tmp_path, path, edit)
    out = tmp_path / "out.npz"
    rc, err = _run_cli(["golden", "--net", str(path), "--config", str(cpath), "--out", str(out)], capsys)
    _assert_rejected(rc, err, "cfg.npz", *needles)
    assert not out.exists()


def test_good_config_roundtrip(tmp_path, base_desc, capsys):
    path = _write_project(tmp_path, base_desc)
    cpath = _config_file(tmp_path, path, lambda a: None)
    out = tmp_path / "out.npz"
    rc, _ = _run_cli(["golden", "--net", str(path), "--config", str(cpath), "--out", str(out)], capsys)
    assert rc == 0 and out.exists()


def test_cli_exit_status_is_2_in_a_real_process(tmp_path):
    """The console entry point itself (not just main()) exits with 2."""
    proc = subprocess.run([sys.executable, "-m", "semifreddo", "validate", "--net", str(tmp_path / "x.yaml")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "file not found" in proc.stderr


def test_description_error_names_field():
    with pytest.raises(DescriptionError) as info:
        parse_description({"format": "semifreddo-net/1"}, verify_weights=False)
    assert info.value.field == "name"
