"""The host tool (``semifreddo load/status/read/write/infer``) against a Python device
emulator served on a pseudo-terminal (``semifreddo.hostlink.emulator``): the real CLI
entry point and the real pyserial client, no hardware.

Covered: load / read-back / commit with the active bank checked word for word against
``encode_config``; refusal of weights for other hardware (nothing written, not even a
request sent for a file/description mismatch); NAK / corrupted / lost responses retried
(go-back-N) and the retry budget running out; side-effect requests (stream pushes) not
repeated after a lost response; inference compared bit for bit with the golden model;
argument errors, a missing port and a silent device (one line, non-zero exit).

Random fault positions come from SF_SEED (printed; re-run with SF_SEED=<seed>).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from semifreddo import REPO_ROOT, golden, regmap, weights
from semifreddo.cli import main
from semifreddo.hostlink.emulator import Emulator, default_stream, serve_pty
from semifreddo.hostlink.infer import encode_items, output_specs
from semifreddo.netdesc import load_description

NET = str(REPO_ROOT / "weights" / "reference.yaml")
WEIGHTS = str(REPO_ROOT / "weights" / "reference.random.npz")
FAST = ["--timeout", "0.1", "--retries", "3"]
#: for tests where no response is lost (a NAK comes at once): a timeout that a loaded CI
#: machine's scheduling cannot reach, so a late response is never mistaken for a lost one
PATIENT = ["--timeout", "2.0", "--retries", "3"]


@pytest.fixture(scope="module")
def net():
    return load_description(NET)


@pytest.fixture(scope="module")
def cfg(net):
    return weights.load_config(net, WEIGHTS)


@pytest.fixture
def rng():
    seed = int(os.environ.get("SF_SEED") or random.SystemRandom().randrange(1 << 31))
    print(f"seed {seed} (re-run with SF_SEED={seed})")
    return random.Random(seed)


@pytest.fixture
def device(net, cfg):
    """(emulator, pty path); the emulator's network is the golden model with *cfg*."""
    frozen = weights.load_frozen(net)
    specs = output_specs(net)

    def network(frame):
        res = golden.run(net, frozen, cfg, frame)
        return [encode_items(s, res.heads[s.name]) for s in specs]

    emu = Emulator(regmap.build_map(net), stream=default_stream(net), network=network)
    path, stop = serve_pty(emu)
    yield emu, path
    stop()


def run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def active_words(emu: Emulator, m: regmap.RegisterMap) -> dict[int, int]:
    """What the datapath sees: every configurable word of the ACTIVE bank (bus encoding)."""
    out = {}
    for a, (kind, reg, _) in emu.regs.words.items():
        if kind == "mem":
            v = emu.regs.store[emu.regs.bank][a]
            bits = reg.value_width
            out[a] = (v - (1 << bits) if v >> (bits - 1) else v) & 0xFFFF_FFFF
        elif kind == "set":
            out[a] = emu.regs.store[emu.regs.bank][a]
    return out


def expected_words(m, cfg) -> dict[int, int]:
    return dict(m.encode_config(cfg))


# --------------------------------------------------------------------------------------
def test_load_verify_commit(device, net, cfg, capsys):
    emu, path = device
    m = regmap.build_map(net)
    code, out, err = run(["load", WEIGHTS, "--net", NET, "--port", path, "-q"], capsys)
    assert code == 0, err
    assert "CRC-32" in out and "committed" in out
    assert emu.regs.bank == 1 and not emu.regs.f[("ctrl", "commit")]
    assert active_words(emu, m) == expected_words(m, cfg)
    # the tool asked for the ID before its first write
    first_write = next(i for i, r in enumerate(emu.requests) if r.cmd == 1)
    assert any(r.cmd == 2 and r.addr == m.address("build_id_lo") - 8 for r in emu.requests[:first_write])


def test_refuses_weights_for_other_hardware(net, cfg, capsys):
    m = regmap.build_map(net)
    emu = Emulator(m, build_id=net.build_id ^ 0x1234)
    path, stop = serve_pty(emu)
    try:
        code, out, err = run(["load", WEIGHTS, "--net", NET, "--port", path, "-q"], capsys)
    finally:
        stop()
    assert code == 2
    assert err.count("\n") == 1 and "refusing to load" in err and "nothing was written" in err
    assert f"{net.build_id ^ 0x1234:016x}" in err
    assert emu.regs.writes == 0 and not any(r.cmd == 1 for r in emu.requests)


def test_refuses_weights_for_other_description(device, net, cfg, tmp_path, capsys):
    emu, path = device
    other = weights.config_arrays(net, cfg)
    other["build_id"] = np.array("0123456789abcdef")
    bad = tmp_path / "other.npz"
    weights.save_npz(bad, other)
    code, out, err = run(["load", str(bad), "--net", NET, "--port", path, "-q"], capsys)
    assert code == 2 and "build_id" in err and "0123456789abcdef" in err and err.count("\n") == 1
    assert emu.requests == []          # refused before the port was even used


@pytest.mark.parametrize("fault", ["nak", "corrupt", "drop", "mixed"])
def test_load_retries(device, net, cfg, rng, fault, capsys):
    emu, path = device
    m = regmap.build_map(net)
    # faults land on random requests of the load (identity, writes, read-back, commit):
    # count the requests of a clean load first (the map decides how many bursts it takes)
    code, out, err = run(["load", WEIGHTS, "--net", NET, "--port", path, "-q", *FAST], capsys)
    assert code == 0, err
    n_requests, n_faults = len(emu.requests), 6
    assert n_requests >= n_faults
    emu.requests.clear()
    # every fault costs one more attempt; no two faults in a row, so each retry succeeds
    # (sorted picks from range(n + 1), the k-th shifted by k: gaps of at least one)
    plan = [None] * (n_requests + n_faults)
    for k, i in enumerate(sorted(rng.sample(range(n_requests + 1), n_faults))):
        plan[i + k] = rng.choice(["nak", "corrupt", "drop"]) if fault == "mixed" else fault
    emu.faults = plan
    code, out, err = run(["load", WEIGHTS, "--net", NET, "--port", path, "-q", "-v", *FAST], capsys)
    assert code == 0, err
    assert "recovering" in err
    assert active_words(emu, m) == expected_words(m, cfg)


def test_retry_budget_runs_out(device, capsys):
    emu, path = device
    emu.faults = ["nak"] * 1000
    code, out, err = run(["status", "--net", NET, "--port", path, *FAST], capsys)
    assert code == 1 and err.startswith("semifreddo: error: ") and err.count("\n") == 1
    assert "failed 4 times" in err and "CRC" in err


def test_device_not_answering(device, capsys):
    emu, path = device
    emu.silent = True
    code, out, err = run(["load", WEIGHTS, "--net", NET, "--port", path, "-q", "--timeout", "0.05",
                          "--retries", "1"], capsys)
    assert code == 1 and "device not answering" in err and err.count("\n") == 1


def test_missing_port(capsys):
    code, out, err = run(["status", "--net", NET, "--port", "/dev/does-not-exist-sf"], capsys)
    assert code == 1 and "cannot open port /dev/does-not-exist-sf" in err and err.count("\n") == 1


def test_missing_port_subprocess():
    """The installed entry point: exit status and a single line on stderr."""
    exe = Path(sys.executable).parent / "semifreddo"
    proc = subprocess.run([str(exe), "read", "ctrl", "--net", NET, "--port", "socket://127.0.0.1:1"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "cannot open port" in proc.stderr


@pytest.mark.parametrize("argv, field", [
    (["read", "no_such_reg"], "no_such_reg"),
    (["read", "a_blk0_weight"], "give an index"),
    (["read", "a_blk0_weight[108]"], "out of range"),
    (["read", "ctrl.nope"], "no field 'nope'"),
    (["write", "ctrl", "banana"], "VALUE"),
    (["write", "a_blk0_weight[0]", "128"], "VALUE: 128 is out of range"),
    (["write", "ctrl.enable", "2"], "VALUE: 2 is out of range"),
    (["load", "/nonexistent.npz"], "/nonexistent.npz: file not found"),
])
def test_argument_errors(argv, field, capsys):
    # bad input is reported before the port is opened (the port does not exist)
    code, out, err = run([*argv, "--net", NET, "--port", "/dev/does-not-exist-sf"], capsys)
    assert code == 2 and err.startswith("semifreddo: error: ") and field in err and err.count("\n") == 1


def test_argparse_errors(capsys):
    for argv in (["load", WEIGHTS], ["status", "--port", "x", "--baud", "fast"], ["infer", "--port", "x",
                                                                                   "--result-timeout", "-1"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        assert "error:" in capsys.readouterr().err


def test_read_write_by_name(device, net, rng, capsys):
    emu, path = device
    m = regmap.build_map(net)
    region = m.regions["b_blk2_weight"]
    i = rng.randrange(region.count)
    v = rng.randint(-(1 << (region.value_width - 1)), (1 << (region.value_width - 1)) - 1)
    assert run(["write", f"b_blk2_weight[{i}]", str(v), "--net", NET, "--port", path], capsys)[0] == 0
    code, out, _ = run(["read", f"b_blk2_weight[{i}]", "--net", NET, "--port", path], capsys)
    assert code == 0 and out.split("=")[1].split()[0] == str(v)
    assert emu.regs.store[1 - emu.regs.bank][region.address(i)] == v & ((1 << region.value_width) - 1)
    a = rng.randrange(1 << net.alpha_bits)
    assert run(["write", "a_blk1_alpha[1]", str(a), "--net", NET, "--port", path], capsys)[0] == 0
    assert run(["read", "a_blk1_alpha[1]", "--net", NET, "--port", path], capsys)[1].strip() == \
        f"a_blk1_alpha[1] = {a:#010x}"
    # a field write is a read-modify-write that keeps the other fields
    assert run(["write", "ctrl.enable", "1", "--net", NET, "--port", path], capsys)[0] == 0
    assert emu.regs.f[("ctrl", "enable")] == 1 and emu.regs.f[("ctrl", "commit")] == 0
    code, out, _ = run(["status", "--net", NET, "--port", path], capsys)
    assert code == 0 and f"build ID {net.build_id:016x} (matches)" in out and "enable=1" in out


def test_infer_matches_golden(device, net, cfg, tmp_path, capsys):
    from PIL import Image

    emu, path = device
    seed = 7
    code, out, err = run(["infer", "--net", NET, "--port", path, "--seed", str(seed), "--out-dir", str(tmp_path)],
                         capsys)
    assert code == 0, err
    from semifreddo.cli import load_image
    res = golden.run(net, weights.load_frozen(net), cfg, load_image(None, net, seed))
    for spec in output_specs(net):
        want = res.heads[spec.name]
        if spec.kind == "classification":
            assert f"head {spec.name}: scores {want.tolist()}" in out
        else:
            png = np.asarray(Image.open(tmp_path / f"infer_{spec.name}.png"))
            assert spec.bits == 8 and not spec.signed
            assert np.array_equal(png, want[..., 0].astype(np.uint8))


def test_infer_push_not_repeated_after_lost_response(device, capsys):
    emu, path = device
    # requests: ID burst, LEVEL burst, STATUS+LEVEL, then the first push: lose its ACK
    emu.faults = [None, None, None, "drop"]
    code, out, err = run(["infer", "--net", NET, "--port", path, *FAST], capsys)
    assert code == 1 and "not repeated" in err and err.count("\n") == 1
    pushes = [r for r in emu.requests if r.cmd == 1 and r.addr >= 0x4000_0000]
    assert len(pushes) == 1


def test_infer_push_retried_after_nak(device, capsys):
    emu, path = device
    emu.faults = [None, None, None, "nak"]
    code, out, err = run(["infer", "--net", NET, "--port", path, *PATIENT], capsys)
    assert code == 0, err


def test_c_example_compiles_and_runs(net, tmp_path):
    """tools/c/sf_regs_example.c with the generated header, on the system C compiler."""
    import shutil

    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no system C compiler (cc/gcc/clang) on PATH: tools/c example not compiled")
    m = regmap.build_map(net)
    regmap.generate(net, tmp_path, docs=True)
    src = REPO_ROOT / "tools" / "c" / "sf_regs_example.c"
    flags = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", f"-I{tmp_path}"]
    proc = subprocess.run([cc, *flags, "-c", str(src), "-o", str(tmp_path / "ex.o")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    exe = tmp_path / "ex"
    proc = subprocess.run([cc, *flags, "-DSF_EXAMPLE_MAIN", str(src), "-o", str(exe)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    run_ = subprocess.run([str(exe)], capture_output=True, text=True, timeout=30)
    assert run_.returncode == 0, f"example self-check failed with {run_.returncode}"
    assert run_.stdout.strip() == (f"a_blk0_weight at offset {m.address('a_blk0_weight'):#x}, "
                                   f"ctrl at {m.address('ctrl'):#x}: ok")
