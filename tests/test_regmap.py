"""Register map (gen/semifreddo/regmap.py): layout invariants, SystemRDL compiles, every
configurable value is written exactly once by encode_config, the generated RTL lints
clean (with the scoped regblock waivers) and the generated C header agrees with the model."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

from netgen import ZERO_SHA, descriptions
from semifreddo import regmap, weights
from semifreddo.netdesc import load_description, parse_description
from semifreddo.toolchain import lint

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "weights" / "reference.yaml"


def _conv(cout, **kw):
    return {"out_channels": cout, **kw}


#: Small hand-written descriptions covering the layout's corner cases.
SMALL = {
    # odd widths, alpha_bits 3, shuffle + repeat, a 1-entry memory, a 32-bit bias
    "tiny": {
        "format": "semifreddo-net/1", "name": "tiny",
        "input": {"width": 4, "height": 4, "channels": 2, "bits": 8},
        "frozen": {"weights": "unused.npz", "sha256": ZERO_SHA, "blocks": [
            {"kernel": 3, "stride": 1, "out_channels": 4, "weight_bits": 4, "requant": {"shift": 6}},
            {"kernel": 1, "stride": 1, "out_channels": 4, "weight_bits": 4, "requant": {"shift": 6}}]},
        "trainable": {"alpha_bits": 3, "cores": [
            {"name": "a", "blocks": [_conv(2, weight_bits=3, bias_bits=11), _conv(2)]},
            {"name": "b", "blocks": [_conv(3), _conv(3)]}]},
        "shuffle": {"after_blocks": [0], "channels": 1},
        "repeat": {"first_block": 1, "max_repeats": 3},
        "heads": {"a": {"type": "classification", "classes": 3},
                  "b": {"type": "dense", "out_channels": 1, "requant": {"shift": 4}}},
    },
    # one block: no alpha, no shuffle, no repeat -> no settings regfile at all; one head
    "single": {
        "format": "semifreddo-net/1", "name": "single",
        "input": {"width": 6, "height": 6, "channels": 1, "bits": 4},  # head: >= 9 pixels after stride 2
        "frozen": {"weights": "unused.npz", "sha256": ZERO_SHA, "blocks": [
            {"kernel": 1, "stride": 2, "out_channels": 2, "weight_bits": 2, "requant": {"shift": 1}}]},
        "trainable": {"alpha_bits": 1, "cores": [
            {"name": "left", "blocks": [_conv(1, weight_bits=2, bias_bits=2)]},
            {"name": "right", "blocks": [_conv(2, weight_bits=8, bias_bits=20)]}]},
        "heads": {"right": {"type": "classification", "classes": 1}},
    },
    # three blocks, alpha only (no shuffle, no repeat), wide alpha
    "alpha_only": {
        "format": "semifreddo-net/1", "name": "alpha_only",
        "input": {"width": 5, "height": 5, "channels": 3, "bits": 8},
        "frozen": {"weights": "unused.npz", "sha256": ZERO_SHA, "blocks": [
            {"kernel": 3, "stride": 2, "out_channels": 6, "weight_bits": 4, "requant": {"shift": 6}},
            {"kernel": 3, "stride": 1, "out_channels": 6, "weight_bits": 4, "requant": {"shift": 6}},
            {"kernel": 1, "stride": 1, "out_channels": 6, "weight_bits": 4, "requant": {"shift": 6}}]},
        "trainable": {"alpha_bits": 10, "cores": [
            {"name": "x", "blocks": [_conv(5), _conv(3, blend_map=[5, 4, 3, 2, 1]), _conv(2)]},
            {"name": "y", "blocks": [_conv(1), _conv(1), _conv(1)]}]},
        "heads": {"x": {"type": "dense", "out_channels": 2, "requant": {"shift": 3}},
                  "y": {"type": "dense", "out_channels": 1, "requant": {"shift": 3}}},
    },
}


def small_net(name: str):
    return parse_description(copy.deepcopy(SMALL[name]), verify_weights=False)


@pytest.fixture(scope="module")
def reference():
    return load_description(REFERENCE)


def all_nets(reference):
    return [("reference", reference)] + [(n, small_net(n)) for n in SMALL]


# --------------------------------------------------------------------------------------
# Layout invariants
# --------------------------------------------------------------------------------------

def check_layout(m: regmap.RegisterMap) -> None:
    words = m.mapped_words()
    # every word address aligned, inside the slave's address space
    assert all(a % 4 == 0 for a in words)
    assert max(words) + 4 <= m.size <= 1 << m.addr_width
    # registers and regions do not overlap: count all words, compare with the union
    total = sum(r.count for r in m.registers.values()) + sum(r.count for r in m.memories.values())
    assert len(words) == total, "overlapping registers or regions"
    # external blocks: naturally aligned (regblock rule), disjoint, clear of the fixed registers
    spans = sorted((b.base, b.base + b.span) for b in m.blocks)
    assert spans == [] or spans[0][0] >= regmap.FIXED_SPAN
    for (_, hi), (lo, _) in zip(spans, spans[1:]):
        assert hi <= lo
    for b in m.blocks:
        assert b.base % b.span == 0, b
    # the memories fill the weights window back to back, in its order: no gaps
    mems = sorted(m.memories.values(), key=lambda r: r.base)
    wb = m.weights_block
    ends = [wb.base] + [r.base + r.size for r in mems] if mems else []
    assert [r.base for r in mems] == ends[:-1] and ends[-1:] == ([wb.base + wb.size] if mems else [])
    # the fixed registers are below FIXED_SPAN, the settings words inside the settings block
    for r in m.registers.values():
        if r.external:
            sb = m.settings_block
            assert sb.base <= r.address and r.address + 4 * r.count <= sb.base + sb.size
        else:
            assert r.address < regmap.FIXED_SPAN
    # names unique across registers and regions (the alpha arrays are both, same address)
    for name in set(m.registers) & set(m.regions):
        assert m.regions[name].kind == "alpha" and m.address(name) == m.regions[name].base


def test_reference_layout(reference):
    m = regmap.build_map(reference)
    check_layout(m)
    assert m.address("magic") == 0 and m.address("build_id_lo") == 8 and m.address("build_id_hi") == 12
    assert m.registers["build_id_lo"].fields[0].reset | (m.registers["build_id_hi"].fields[0].reset << 32) \
        == reference.build_id
    # every configurable value has a home
    for core in reference.cores:
        for n, spec in enumerate(core.blocks):
            assert m.regions[f"{core.name}_blk{n}_weight"].count == spec.weight_count
            assert m.regions[f"{core.name}_blk{n}_bias"].count == spec.out_channels
            if n:
                assert m.regions[f"{core.name}_blk{n}_alpha"].value_width == reference.alpha_bits + 1
    assert set(m.registers) >= {"shuffle", "repeats"}
    assert m.address("a_blk0_weight[3]") == m.address("a_blk0_weight", 3) == m.regions["a_blk0_weight"].base + 12
    with pytest.raises(IndexError):
        m.address("a_blk0_bias", 4)
    with pytest.raises(KeyError):
        m.address("nothing")


@pytest.mark.parametrize("name", list(SMALL))
def test_small_layouts(name):
    m = regmap.build_map(small_net(name))
    check_layout(m)
    if name == "single":
        assert m.settings_block is None and "shuffle" not in m.registers and "repeats" not in m.registers
    if name == "tiny":
        assert m.regions["b_head_bias"].count == 1 and m.regions["a_head_bias"].value_width == 32


@settings(max_examples=40, deadline=None)
@given(desc=descriptions())
def test_random_descriptions_layout_and_encoding(desc):
    net = parse_description(desc, verify_weights=False)
    m = regmap.build_map(net)
    check_layout(m)
    cfg = weights.random_config(net, np.random.default_rng(0))
    check_encoding(net, m, cfg)


# --------------------------------------------------------------------------------------
# encode_config: every configurable value exactly once, and nothing else
# --------------------------------------------------------------------------------------

def config_values(net, cfg) -> dict[tuple, int]:
    """Every configurable value of *cfg*, keyed by where it lives in the Config."""
    out: dict[tuple, int] = {}
    for core in net.cores:
        for n, cw in enumerate(cfg.cores[core.name]):
            for idx, v in np.ndenumerate(cw.weight):
                out[(core.name, n, "weight", idx)] = int(v)
            for idx, v in np.ndenumerate(cw.bias):
                out[(core.name, n, "bias", idx)] = int(v)
            if n:
                for idx, v in np.ndenumerate(cfg.alpha[core.name][n]):
                    out[(core.name, n, "alpha", idx)] = int(v)
    for name, hw in cfg.heads.items():
        for idx, v in np.ndenumerate(hw.weight):
            out[(name, "head", "weight", idx)] = int(v)
        for idx, v in np.ndenumerate(hw.bias):
            out[(name, "head", "bias", idx)] = int(v)
    if net.shuffle:
        out[("shuffle",)] = int(cfg.shuffle)
    if net.repeat:
        out[("repeats",)] = int(cfg.repeats)
    return out


def decode_writes(net, m, writes) -> dict[tuple, int]:
    """Inverse of encode_config from the map alone: address -> the value it holds."""
    by_addr = {}
    for r in m.regions.values():
        core, n, what = r.source
        for i in range(r.count):
            idx = np.unravel_index(i, r.shape)
            idx = tuple(int(k) for k in idx)
            key = (core, "head", what.removeprefix("head_"), idx) if n is None else (core, n, what, idx)
            by_addr[r.address(i)] = (key, r)
    for name in ("shuffle", "repeats"):
        if name in m.registers:
            by_addr[m.address(name)] = ((name,), None)
    out = {}
    for addr, word in writes:
        key, r = by_addr[addr]
        assert 0 <= word < 1 << 32
        if r is not None and r.signed:
            v = word - (1 << 32) if word >= 1 << 31 else word
            assert -(1 << (r.value_width - 1)) <= v < 1 << (r.value_width - 1), (r.name, v)
        else:
            v = word
        assert key not in out, f"{key} written twice"
        out[key] = v
    return out


def check_encoding(net, m, cfg) -> None:
    writes = m.encode_config(cfg)
    addrs = [a for a, _ in writes]
    assert len(addrs) == len(set(addrs)), "an address is written twice"
    assert decode_writes(net, m, writes) == config_values(net, cfg)
    # every value-holding word is written (memories, alpha, shuffle, repeats) ...
    config_words = {a for r in m.regions.values() for a in (r.address(i) for i in range(r.count))}
    config_words |= {m.address(n) for n in ("shuffle", "repeats") if n in m.registers}
    assert set(addrs) == config_words
    # ... and nothing else (no control register: the commit is separate)
    assert m.commit_write() == (m.address("ctrl"), 4)


def test_encode_config_reference(reference):
    cfg = weights.random_config(reference, np.random.default_rng(1))
    m = regmap.build_map(reference)
    check_encoding(reference, m, cfg)
    assert regmap.encode_config(reference, cfg) == m.encode_config(cfg)


@pytest.mark.parametrize("name", list(SMALL))
def test_encode_config_small(name):
    net = small_net(name)
    for seed in range(3):
        check_encoding(net, regmap.build_map(net), weights.random_config(net, np.random.default_rng(seed)))


def test_encode_config_rejects_settings_the_net_lacks():
    net = small_net("single")
    cfg = weights.random_config(net, np.random.default_rng(0))
    cfg.shuffle = True
    with pytest.raises(ValueError, match="shuffle"):
        regmap.encode_config(net, cfg)


# --------------------------------------------------------------------------------------
# Generation: RDL compiles (and matches the model: checked inside generate), RTL lints,
# C header agrees, every file carries the header
# --------------------------------------------------------------------------------------

def _lint_generated(files, top):
    srcs = [files["vlt"], *regmap.library_sources(), *regmap.rtl_sources(files)]
    return lint(srcs, top)


@pytest.mark.parametrize("name", ["reference"] + list(SMALL))
def test_generate_and_lint(name, reference, tmp_path):
    net = reference if name == "reference" else small_net(name)
    files = regmap.generate(net, tmp_path)
    assert set(files) == {"rdl", "regblock", "regblock_pkg", "top", "vlt", "cheader", "markdown"}
    for kind, path in files.items():
        text = path.read_text()
        head = text.split("-->")[0] if kind == "markdown" else text
        assert "Generated by semifreddo" in head.splitlines()[1 if kind == "markdown" else 0], path
    m = regmap.build_map(net)
    res = _lint_generated(files, m.top_module)
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr
    # AXI port width follows the map size
    assert f"[{m.addr_width - 1}:0]       s_axil_awaddr" in files["top"].read_text()


def test_waivers_are_needed(tmp_path):
    """Each waiver in the .vlt file suppresses a warning that appears without it."""
    net = small_net("tiny")
    files = regmap.generate(net, tmp_path, docs=False)
    m = regmap.build_map(net)
    res = lint([*regmap.library_sources(), *regmap.rtl_sources(files)], m.top_module)
    warned = {line.split(":")[0] for line in res.stderr.splitlines() if line.startswith("%Warning")}
    rules = {line.split()[2] for line in files["vlt"].read_text().splitlines() if line.startswith("lint_off")}
    assert {f"%Warning-{r}" for r in rules} == warned
    # and none of the warnings is in a file we write by hand or template ourselves
    assert f"{m.top_module}.sv" not in res.stderr and "sf_weight_mem.sv" not in res.stderr


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler")
@pytest.mark.parametrize("name", ["reference", "tiny"])
def test_c_header_matches_model(name, reference, tmp_path):
    net = reference if name == "reference" else small_net(name)
    files = regmap.generate(net, tmp_path)
    m = regmap.build_map(net)
    top_t = f"{m.regblock_module}_t"
    checks = []
    for r in m.registers.values():
        path = f"settings.{r.name}" if r.external else r.name
        checks.append((f"offsetof({top_t}, {path})", r.address))
    for r in m.memories.values():   # inside the weights window
        checks.append((f"offsetof({top_t}, weights.{r.name})", r.base))
        checks.append((f"sizeof((({top_t} *)0)->weights.{r.name}.mem) / 4", r.count))
    body = "\n".join(f'    if ((unsigned long)({e}) != {v}ul) {{ printf("%s\\n", "{e}"); bad++; }}'
                     for e, v in checks)
    src = tmp_path / "check.c"
    src.write_text(f'#include "{files["cheader"].name}"\n#include <stddef.h>\n#include <stdio.h>\n'
                   f"int main(void) {{\n    int bad = 0;\n{body}\n    return bad;\n}}\n")
    exe = tmp_path / "check"
    cc = subprocess.run(["cc", "-std=gnu11", "-Wall", "-Werror", f"-I{tmp_path}", str(src), "-o", str(exe)],
                        capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


def test_generation_is_deterministic(tmp_path):
    net = small_net("tiny")
    a = regmap.generate(net, tmp_path / "a")
    b = regmap.generate(net, tmp_path / "b")
    for kind in a:
        assert a[kind].read_text() == b[kind].read_text(), kind
