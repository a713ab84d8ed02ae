"""The whole generated SemifreddoNet (``<net>_top``, gen/semifreddo/network.py) against the
golden model, bit for bit, configured over AXI4-Lite exactly as a host does.

The network is nettest.NET_DESC: a small description with every feature (3x3 and 1x1 blocks, a
stride-2 block so later trainable blocks time-share their multipliers, blends, a core
shuffle, a repeatable tail, a classification and a dense head), seeded random frozen
weights, 16x12 input frames so the simulation stays short.

cocotb tests:
  * net_settings      -- every repeat count R = 1..R_max with the shuffle off and on: a
                         random configuration is loaded into the shadow bank, committed,
                         and random frames are streamed with random tvalid gaps and tready
                         stalls; every beat of every output (class scores, dense pixels,
                         markers) equals the golden model.  The build ID reads back.
  * net_commit_load   -- frames stream continuously while the host loads new random
                         configurations and commits them at random moments: every output
                         frame equals the golden output of exactly one configuration on
                         BOTH outputs (never a mix), configurations appear in commit order,
                         and every committed configuration is seen.
  * net_full_rate     -- R = 1, no stalls: after the first frame the input is accepted in
                         every clock of a run of back-to-back frames (one pixel per clock,
                         no stall), outputs bit-exact.

Seeds: SF_SEED (logged).  Every wait has a cycle timeout.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

import cocotb
from cocotb.triggers import ClockCycles

from nettb import NetTB
from nettest import write_network
from semifreddo import weights

FRAME_TIMEOUT_CYCLES = 40_000


def with_settings(cfg, repeats: int, shuffle: bool):
    return dataclasses.replace(cfg, repeats=repeats, shuffle=shuffle)


async def start(tb: NetTB) -> None:
    await tb.reset()
    await tb.check_build_id()
    await tb.enable()


@cocotb.test(timeout_time=400, timeout_unit="ms")
async def net_settings(dut):
    tb = NetTB(dut, p_in_pause=0.3, p_out_pause=0.3, name="net_settings")
    await start(tb)
    frame = 0
    combos = [(r, s) for r in range(1, tb.net.max_repeats + 1) for s in (False, True)]
    tb.rng.shuffle(combos)
    for repeats, shuffle in combos:
        cfg = with_settings(weights.random_config(tb.net, tb.nprng), repeats, shuffle)
        await tb.wait_commit_clear(FRAME_TIMEOUT_CYCLES)
        await tb.load(cfg)
        await tb.commit()
        images = [tb.random_image() for _ in range(2)]
        for img in images:
            tb.send(img)
            if tb.rng.random() < 0.5:
                tb.source.idle(tb.rng.randrange(0, 40))
        await tb.wait_frames(frame + len(images), FRAME_TIMEOUT_CYCLES * len(images) * repeats)
        for img in images:
            tb.check_frame(frame, tb.expected(cfg, img), f"(R={repeats}, shuffle={int(shuffle)})")
            frame += 1
        tb.log.info("R=%d shuffle=%d: %d frames bit-exact", repeats, shuffle, len(images))
    await ClockCycles(dut.clk_i, 50)
    assert tb.frames_out() == frame, "extra output frames"
    assert int(dut.frame_err_o.value) == 0
    count = await tb.read(tb.m.address("frame_count"))
    assert count == frame, f"FRAME_COUNT {count}, {frame} frames done"


@cocotb.test(timeout_time=800, timeout_unit="ms")
async def net_commit_load(dut):
    tb = NetTB(dut, p_in_pause=0.2, p_out_pause=0.2, name="net_commit_load")
    await start(tb)
    cfgs = [weights.random_config(tb.net, tb.nprng) for _ in range(4)]
    await tb.load(cfgs[0])
    await tb.commit()
    images: list[np.ndarray] = []
    host_done = False

    async def host() -> None:
        nonlocal host_done
        for cfg in cfgs[1:]:
            await tb.wait_commit_clear(FRAME_TIMEOUT_CYCLES * 4)
            await ClockCycles(dut.clk_i, tb.rng.randrange(0, 1500))
            await tb.load(cfg)
            await ClockCycles(dut.clk_i, tb.rng.randrange(0, 300))
            await tb.commit()
        await tb.wait_commit_clear(FRAME_TIMEOUT_CYCLES * 4)
        host_done = True

    async def producer() -> None:
        # Frames back to back (at most two queued ahead) until the last commit has landed.
        tail = 3
        while tail:
            if not host_done and len(images) > 400:
                raise AssertionError("the host could not commit while frames streamed")
            if host_done:
                tail -= 1
            images.append(tb.random_image())
            tb.send(images[-1])
            while len(tb.source.accept_cycles) < (len(images) - 1) * tb.net.input_width * tb.net.input_height:
                await ClockCycles(dut.clk_i, 8)

    task = cocotb.start_soon(host())
    await producer()
    await task
    n_frames = len(images)
    await tb.wait_frames(n_frames, FRAME_TIMEOUT_CYCLES * n_frames * tb.net.max_repeats)
    seen = []
    for f, img in enumerate(images):
        expected = [tb.expected(c, img) for c in cfgs]
        match = tb.matching(f, expected)
        if not match:
            # name the nearest configuration in the failure message
            tb.check_frame(f, expected[seen[-1] if seen else 0], "(no configuration matches)")
        # candidates may coincide only if two configurations give the same output
        which = min(i for i in match if not seen or i >= seen[-1])
        seen.append(which)
    tb.log.info("configuration of each output frame: %s", seen)
    assert seen == sorted(seen), f"configurations out of commit order: {seen}"
    assert set(seen) == set(range(len(cfgs))), f"configurations {sorted(set(seen))} seen, {len(cfgs)} committed"
    assert int(dut.frame_err_o.value) == 0


@cocotb.test(timeout_time=400, timeout_unit="ms")
async def net_full_rate(dut):
    tb = NetTB(dut, name="net_full_rate")
    await start(tb)
    cfg = with_settings(weights.random_config(tb.net, tb.nprng), 1, True)
    await tb.load(cfg)
    await tb.commit()
    images = [tb.random_image() for _ in range(4)]
    for img in images:
        tb.send(img)
    await tb.wait_frames(len(images), FRAME_TIMEOUT_CYCLES * len(images))
    for f, img in enumerate(images):
        tb.check_frame(f, tb.expected(cfg, img))
    px = tb.net.input_width * tb.net.input_height
    acc = tb.source.accept_cycles
    gaps = [b - a for a, b in zip(acc[px:], acc[px + 1:]) if b - a != 1]
    tb.log.info("input pixels per clock over frames 2..%d: %.4f", len(images),
                tb.pixels_per_clock(px, len(acc) - 1))
    assert not gaps, f"input stalled after the first frame: gaps {gaps[:10]}"


# -------------------------------------------------------------------------------------
# pytest entry point
# -------------------------------------------------------------------------------------
def build_network(out_dir: Path):
    """Write the test network (nettest.py) and generate its RTL."""
    from semifreddo import network, weights

    path, net = write_network(out_dir)
    return path, network.generate(net, weights.load_frozen(net), out_dir / "rtl")


def test_network_lint():
    from semifreddo import BUILD_DIR, toolchain

    _, design = build_network(BUILD_DIR / "gen" / "nettest")
    r = toolchain.lint(design.vlt + design.sources, design.top)
    assert r.returncode == 0, r.stderr


def test_network():
    from semifreddo import BUILD_DIR
    from semifreddo.simulate import run_cocotb

    path, design = build_network(BUILD_DIR / "gen" / "nettest")
    run_cocotb(toplevel=design.top, sources=design.sources, test_module="test_network",
               extra_env={"SF_NET": str(path)}, build_name="network_nettest")
