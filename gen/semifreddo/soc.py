"""The UART-controlled SoC around a generated network: what `make fpga` puts on a board
and what the host tool (`semifreddo load/infer/...`) talks to.

``<net>_soc`` = ``rtl/sf_hostlink.sv`` (UART -> AXI4-Lite master) -> ``rtl/sf_axil_split.sv``
-> { ``<net>_top`` register slave at :data:`~semifreddo.hostlink.addrmap.REGS_BASE`,
``rtl/sf_axil_stream.sv`` stream bridge at :data:`~semifreddo.hostlink.addrmap.STREAM_BASE` }.
The bridge feeds image pixels into the network and queues its result streams (one per
trainable core, ``trainable.cores`` order) for the host; class scores wider than 32 bits
saturate to 32-bit two's complement on the way (docs/host-protocol.md).
Ports: ``clk_i, rst_ni, uart_rx_i, uart_tx_o, led_o[7:0]`` (the board top's contract).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import RTL_DIR, network
from .fileio import write_text
from .hostlink.addrmap import STREAM_BASE
from .netdesc import DescriptionError, Network
from .render import header, render
from .weights import ConvWeights

GENERATOR = "semifreddo.soc"
#: Library modules of the SoC shell (the network's own come from network.LIBRARY).
LIBRARY = ["sf_uart_rx.sv", "sf_uart_tx.sv", "sf_uart_axil.sv", "sf_hostlink.sv", "sf_axil_split.sv",
           "sf_axil_stream.sv"]
#: Address bits the stream bridge decodes.
STREAM_ADDR_WIDTH = 14
ITEM_BITS = 32


@dataclass
class SocDesign(network.NetworkDesign):
    network_top: str = ""
    soc_files: list[Path] = field(default_factory=list)

    @property
    def sources(self) -> list[Path]:
        return ([RTL_DIR / n for n in network.LIBRARY + LIBRARY] + self.files)


def generate(net: Network, frozen: list[ConvWeights], out_dir: str | Path, *, clk_hz: int = 50_000_000,
             baud: int = 3_000_000, in_depth: int = 512, out_depth: int = 512) -> SocDesign:
    """Generate ``<net>_soc`` (and the network under it) into *out_dir*."""
    out_dir = Path(out_dir)
    for o in network.outputs_of(net):
        if o.kind != "scores" and o.data_width > ITEM_BITS:
            raise DescriptionError(f"heads.{o.core}", f"{o.kind} output is {o.data_width} bits per pixel; the "
                                   f"host stream bridge carries at most {ITEM_BITS}")
    if net.input_channels * net.input_bits > ITEM_BITS:
        raise DescriptionError("input", f"{net.input_channels * net.input_bits}-bit pixels; the host stream "
                               f"bridge carries at most {ITEM_BITS}")
    net_design = network.generate(net, frozen, out_dir)
    top = f"{net.name}_soc"
    src = str(net.source) if net.source else "(in-memory description)"
    text = render("soc.sv.mako", top=top, net=net, nd=net_design, outs=net_design.outputs,
                  regs_aw=net_design.regs.addr_width, stream_aw=STREAM_ADDR_WIDTH,
                  sel_bit=STREAM_BASE.bit_length() - 1, clk_hz=clk_hz, baud=baud, item_bits=ITEM_BITS,
                  in_depth=in_depth, out_depth=out_depth, reset_pipe=network.RESET_PIPE_STAGES,
                  header=header(GENERATOR, "soc.sv.mako", [f"{src} (build ID {net.build_id:016x})"]))
    path = out_dir / f"{top}.sv"
    write_text(path, text)
    return SocDesign(top=top, files=net_design.files + [path], blocks=net_design.blocks,
                     outputs=net_design.outputs, regs=net_design.regs, vlt=net_design.vlt,
                     network_top=net_design.top, soc_files=[path])
