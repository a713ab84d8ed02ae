"""cocotb side of ``semifreddo sim`` (``make sim``): stream the image, record the outputs.

Not a pytest module: ``semifreddo sim`` runs it and compares the recorded outputs with
the golden model itself, so that it can report every mismatch and draw the difference.
Inputs and outputs travel through the .npz files named by ``SF_SIM_IO``.
"""

from __future__ import annotations

import os

import numpy as np

import cocotb
from cocotb.triggers import RisingEdge, with_timeout

from convtb import StreamTB
from sfstream import CLK_PERIOD_NS, split_frames


@cocotb.test()
async def stream_image(dut):
    io = os.environ["SF_SIM_IO"]
    with np.load(f"{io}/stimulus.npz") as z:
        image, in_bits = z["image"], int(z["in_bits"])
        out_shape, out_bits = tuple(int(v) for v in z["out_shape"]), int(z["out_bits"])
    tb = StreamTB(dut)
    await tb.reset()
    tb.source.send_frame(image.astype(np.uint64), in_bits)
    want = out_shape[0] * out_shape[1]

    async def done() -> None:
        while len(tb.sink.beats) < want:
            await RisingEdge(dut.clk_i)

    await with_timeout(done(), (20 * image.shape[0] * image.shape[1] + 5000) * CLK_PERIOD_NS, "ns")
    frames, _ = split_frames(tb.sink.beats, *out_shape, out_bits)
    acc = tb.source.accept_cycles
    np.savez(f"{io}/hardware.npz", output=frames[0], first_in=acc[0], last_in=acc[-1],
             last_out=tb.sink.beat_cycles[-1], frame_err=int(dut.frame_err_o.value))
