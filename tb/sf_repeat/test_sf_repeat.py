"""sf_repeat: the repeat controller around a real look-ahead tail (see the harness).

After R passes, every pixel of a frame is (input + R) mod 2^Bits in every channel, where R
is the repeat count of the frame's bank.  Frames alternate banks with different R, the
source has random gaps and the sink random stalls; R = 1 must cost no throughput.
"""

from __future__ import annotations


import cocotb
from cocotb.triggers import FallingEdge

from semifreddo import RTL_DIR
from semifreddo.simulate import run_cocotb
from semifreddo.toolchain import lint

HERE = __import__("pathlib").Path(__file__).parent
PARAMS = {"Width": 7, "Height": 5, "Channels": 2, "Bits": 8, "MaxRepeats": 4, "BufDepth": 64}


class TB:
    """StreamTB plus the bank tag and the expected (input + R) frames."""

    def __init__(self, dut, p_in: float = 0.0, p_out: float = 0.0) -> None:
        from convtb import StreamTB

        self.dut = dut
        self.st = StreamTB(dut, p_in_pause=p_in, p_out_pause=p_out)
        self.w, self.h = PARAMS["Width"], PARAMS["Height"]
        self.c, self.bits = PARAMS["Channels"], PARAMS["Bits"]
        dut.s_axis_tbank.value = 0

    async def _drive_bank(self, bank_of_beat: list[int]) -> None:
        """tbank follows the frame of the beat being presented (index = beats accepted)."""
        while True:
            await FallingEdge(self.dut.clk_i)
            i = min(len(self.st.source.accept_cycles), len(bank_of_beat) - 1)
            self.dut.s_axis_tbank.value = bank_of_beat[i]

    async def run(self, reps: tuple[int, int], banks: list[int], back_to_back: bool = False) -> None:
        dut, st = self.dut, self.st
        dut.repeats0_i.value, dut.repeats1_i.value = reps
        await st.reset()
        frames = [st.np_rng.integers(0, 1 << self.bits, size=(self.h, self.w, self.c)) for _ in banks]
        dut.s_axis_tbank.value = banks[0]  # the source may present beat 0 at this very edge
        cocotb.start_soon(self._drive_bank([b for b in banks for _ in range(self.h * self.w)]))
        r = [min(max(x, 1), PARAMS["MaxRepeats"]) for x in reps]
        expected = [(f + r[b]) % (1 << self.bits) for f, b in zip(frames, banks)]
        pixels = len(frames) * self.h * self.w
        await st.run_frames(frames, self.bits, expected, self.bits,
                            timeout_cycles=60 * pixels * PARAMS["MaxRepeats"] + 2000)
        if back_to_back:
            acc = st.source.accept_cycles
            span = acc[-1] - acc[0] + 1
            assert span == len(acc), f"input stalled: {len(acc)} pixels took {span} cycles"


@cocotb.test()
async def repeats_one_no_stall(dut):
    """R = 1 in both banks: frames stream back to back, the input never stalls."""
    await TB(dut).run((1, 1), [0, 1, 0, 1], back_to_back=True)


@cocotb.test()
async def mixed_repeats_random_stalls(dut):
    """R = 3 in bank 0, R = 2 in bank 1, frames alternating, random gaps and stalls."""
    await TB(dut, 0.3, 0.3).run((3, 2), [0, 1, 1, 0, 1])


@cocotb.test()
async def repeats_clamped(dut):
    """R = 0 acts as 1, R above MaxRepeats acts as MaxRepeats."""
    await TB(dut, 0.1, 0.5).run((0, 7), [1, 0, 1])


def test_sf_repeat_lint():
    srcs = [HERE / "sf_repeat_harness.sv", RTL_DIR / "sf_repeat.sv", RTL_DIR / "sf_fifo.sv",
            RTL_DIR / "sf_window.sv"]
    proc = lint(srcs, top="sf_repeat_harness", parameters=PARAMS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sf_repeat():
    srcs = [HERE / "sf_repeat_harness.sv", RTL_DIR / "sf_repeat.sv", RTL_DIR / "sf_fifo.sv",
            RTL_DIR / "sf_window.sv"]
    run_cocotb(toplevel="sf_repeat_harness", sources=srcs, test_module="test_sf_repeat",
               parameters=PARAMS, build_name="sf_repeat")
