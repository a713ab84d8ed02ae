// SemifreddoNets-HW: one ECP5 DCCA (global clock buffer, always enabled) used as a
// global buffer for a fabric signal: o = i, routed over the device's global network.
//
// The board top puts the synchronised reset on it: the reset root drives the first flop
// of ~45 reset-tree leaves (rtl/sf_reset_pipe.sv) all over the die, and the placer puts
// each of those flops beside its block, so in fabric routing one of the root's sinks
// was always ~13 ns away (session 10).  nextpnr routes a DCCA's output on one of the
// eight global nets that reach fabric inputs (not only clock pins), with a delay that
// does not depend on where the sink sits.
//
// Plain Verilog on purpose: the FPGA flow (gen/semifreddo/fpga.py) reads it with Yosys'
// own frontend, like the PLL and rtl's DSP wrapper, so DCCA stays a primitive; slang
// sees an already-loaded module with ports only.  Simulation: none (board top only).
module sf_ecp5_gbuf (
  input  wire i,
  output wire o
);

  DCCA u_dcca (
    .CLKI(i),
    .CE  (1'b1),
    .CLKO(o)
  );

endmodule
