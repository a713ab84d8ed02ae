"""End to end exactly as on the board: the real host tool drives the Verilator simulation
of the whole SoC (``<net>_soc``, gen/semifreddo/soc.py) through a pseudo-terminal.

DUT: the SoC of the test network (tb/network/nettest.py) at 50 MHz with the UART at
3 Mbaud: sf_hostlink -> sf_axil_split -> { <net>_top (registers, weights), sf_axil_stream
(pixels in, results out) }.

cocotb test ``load_and_infer``: ``semifreddo load <weights> --port <pty>`` (build ID check,
shadow-bank upload, CRC-32 read-back, commit) and then ``semifreddo infer --image <png>``
run as subprocesses against the pty; the test moves bytes between the pty and the UART
pins.  Checks: both commands exit 0; the values infer saved (``infer.npz``: class scores
and the dense head's image) equal the golden model for that weight set and image, bit for
bit (scores saturated to 32 bits as the SoC does); the banks swapped; no UART overrun.  ``load`` on idle hardware leaves the commit pending (it takes effect
with the next input frame, infer's).  A negative case first: ``load`` of a weight set made for other hardware is
refused before anything is written (exit 2, no WRITE frame on the wire).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles

from ptyuart import PtyUart
from semifreddo import BUILD_DIR, REPO_ROOT, golden, weights
from semifreddo.hostlink import protocol as p
from semifreddo.netdesc import load_description

CLK_HZ = 50_000_000
BAUD = 3_000_000
POLL_CYCLES = 250
WALL_LIMIT_S = 600
GEN_DIR = BUILD_DIR / "gen" / "soc_nettest"
TB_DIR = Path(__file__).resolve().parent


async def run_tool(dut, pty: PtyUart, args: list[str]) -> subprocess.CompletedProcess:
    """Run ``semifreddo <args> --port <pty>`` while pumping bytes; returns the process."""
    cmd = [str(Path(sys.executable).parent / "semifreddo"), *args, "--port", pty.port,
           "--timeout", "60", "--retries", "2"]
    dut._log.info("host tool: %s", " ".join(cmd))
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall0 = time.monotonic()
    try:
        while proc.poll() is None:
            await ClockCycles(dut.clk_i, POLL_CYCLES)
            await pty.pump()
            assert int(dut.u_hostlink.rx_overrun_o.value) == 0, "UART receiver overrun"
            assert time.monotonic() - wall0 < WALL_LIMIT_S, "host tool did not finish in wall-clock time"
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    dut._log.info("exit %s\nstdout: %s\nstderr: %s", proc.returncode, out.strip(), err.strip())
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def writes_on_wire(buf: bytes) -> int:
    """WRITE requests in a clean host->device byte stream."""
    n, i = 0, 0
    while i + 4 <= len(buf):
        code, arg = buf[i + 2], buf[i + 3]
        size = p.request_payload_len(code, arg)
        assert size is not None, f"unparseable request at byte {i}"
        n += int(code == p.Cmd.WRITE)
        i += 4 + size + 2
    return n


@cocotb.test(timeout_time=2000, timeout_unit="ms")
async def load_and_infer(dut):
    io = Path(os.environ["SF_SOC_IO"])
    net = load_description(os.environ["SF_NET"])
    Clock(dut.clk_i, 1e9 / CLK_HZ, unit="ns").start()
    dut.uart_rx_i.value = 1
    dut.rst_ni.value = 0
    pty = PtyUart(dut.uart_rx_i, dut.uart_tx_o, BAUD)
    await ClockCycles(dut.clk_i, 5)
    dut.rst_ni.value = 1
    await ClockCycles(dut.clk_i, 5)
    try:
        # Weights made for other hardware: refused before any write.
        r = await run_tool(dut, pty, ["load", str(io / "other.npz"), "--net", str(net.source), "-q"])
        assert r.returncode == 2 and "build" in (r.stderr + r.stdout).lower(), r
        assert writes_on_wire(bytes(pty.host_bytes)) == 0, "a WRITE reached the device"

        # No frames flow yet: the commit stays pending and takes effect with infer's frame.
        r = await run_tool(dut, pty, ["load", str(io / "config.npz"), "--net", str(net.source), "-q",
                                      "--commit-timeout", "0.5"])
        assert r.returncode == 0 and "commit pending" in r.stdout, r
        assert int(dut.u_net.u_regs.active_bank_o.value) == 0
        r = await run_tool(dut, pty, ["infer", "--image", str(io / "image.png"), "--net", str(net.source),
                                      "--out-dir", str(io / "infer"), "--result-timeout", "60"])
        assert r.returncode == 0, r.stderr
        assert int(dut.u_net.u_regs.active_bank_o.value) == 1, "commit did not swap the banks"
    finally:
        pty.close()

    from semifreddo.cli import load_image

    image = load_image(str(io / "image.png"), net, 0)
    cfg = weights.load_config(net, io / "config.npz")
    res = golden.run(net, weights.load_frozen(net), cfg, image)
    with np.load(io / "infer" / "infer.npz") as z:
        got = {k: z[k] for k in z.files}
    for core, want in res.heads.items():
        want = np.asarray(want, dtype=np.int64)
        if want.ndim == 1:       # class scores: 32-bit saturation in the SoC
            want = np.clip(want, -(1 << 31), (1 << 31) - 1)
        g = np.asarray(got[core], dtype=np.int64).reshape(want.shape)
        assert np.array_equal(g, want), f"head {core}: hardware {g.reshape(-1)[:8]}..., golden {want.reshape(-1)[:8]}..."
    dut._log.info("load + infer through the UART: every head equals the golden model (%s)",
                  {k: np.asarray(v).shape for k, v in res.heads.items()})


# -------------------------------------------------------------------------------------
def test_soc():
    sys.path.insert(0, str(REPO_ROOT / "tb" / "network"))
    from nettest import write_network
    from PIL import Image

    from semifreddo import soc
    from semifreddo.simulate import run_cocotb

    path, net = write_network(GEN_DIR)
    design = soc.generate(net, weights.load_frozen(net), GEN_DIR / "rtl", clk_hz=CLK_HZ, baud=BAUD)
    io = GEN_DIR / "io"
    io.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    cfg = weights.random_config(net, rng)
    weights.save_npz(io / "config.npz", weights.config_arrays(net, cfg))
    other = weights.config_arrays(net, cfg)
    other["build_id"] = np.array(f"{net.build_id ^ 1:016x}")
    weights.save_npz(io / "other.npz", other)
    img = rng.integers(0, 256, size=(net.input_height, net.input_width, net.input_channels), dtype=np.uint8)
    Image.fromarray(img).save(io / "image.png")
    run_cocotb(toplevel=design.top, sources=[TB_DIR / "soc_public.vlt", *design.sources],
               test_module="test_soc", build_name="soc_nettest",
               extra_env={"SF_NET": str(path.resolve()), "SF_SOC_IO": str(io.resolve())},
               python_paths=[Path(__file__).resolve().parent, REPO_ROOT / "tb"])
