"""cocotb side of ``semifreddo sim`` (``make sim``): configure, stream, record.

Not a pytest module: ``semifreddo sim`` runs it on the generated ``<net>_top`` and
compares the recorded outputs with the golden model itself, so that it can report every
mismatch and draw the difference.  The description is ``SF_NET``; the configurable
weight set, the images and the recordings travel through the files in ``SF_SIM_IO``.
The host side is the one of tb/network/nettb.py: the weight set is written into the
shadow bank over AXI4-Lite, committed, and the images follow back to back (no stalls:
the run measures the throughput).
"""

from __future__ import annotations

import os
import time

import numpy as np

import cocotb

from nettb import NetTB
from semifreddo import weights

FRAME_TIMEOUT_CYCLES = 200_000


@cocotb.test()
async def stream_images(dut):
    io = os.environ["SF_SIM_IO"]
    tb = NetTB(dut, name="make sim")
    with np.load(f"{io}/stimulus.npz") as z:
        images = z["images"]
    cfg = weights.load_config(tb.net, f"{io}/config.npz")
    await tb.reset()
    await tb.check_build_id()
    await tb.enable()
    await tb.load(cfg)
    await tb.commit()
    t0 = time.perf_counter()
    for img in images:
        tb.send(img)
    await tb.wait_frames(len(images), FRAME_TIMEOUT_CYCLES * len(images) * cfg.repeats)
    rec = {"accept_cycles": np.array(tb.source.accept_cycles), "frame_err": int(dut.frame_err_o.value),
           "stream_seconds": time.perf_counter() - t0}
    for o in tb.outputs:
        beats = tb.sinks[o.core].beats
        rec[f"{o.core}_data"] = np.array([b.data for b in beats], dtype=object)
        rec[f"{o.core}_user"] = np.array([b.user for b in beats])
        rec[f"{o.core}_last"] = np.array([b.last for b in beats])
        rec[f"{o.core}_cycles"] = np.array(tb.sinks[o.core].beat_cycles)
    np.savez(f"{io}/hardware.npz", **rec)
