// SemifreddoNets-HW: one ECP5 MULT18X18D with its input registers (A, B: CLK0, CE0) and
// output register (CLK0, CE1); p_o = a_i * b_i, each operand signed when its signed_*_i
// is high, two clocks after the operands (the multiply sits between the DSP's own
// registers, so no fabric route meets its ~4 ns).
//
// rtl/sf_mul.sv instantiates it when SF_ECP5_DSP is defined.  Plain Verilog without
// parameters on purpose: the FPGA flow (gen/semifreddo/fpga.py) reads it with Yosys'
// own frontend, like the PLL, so the primitive's parameters reach synth_ecp5, and slang
// sees an already-loaded module with ports only.  Pins not listed (CLK1..3, CE2..3,
// RST1..3, shift and cascade ports) stay unconnected, as in Yosys' own DSP mapping.
// Simulation: tb/sf_mul/MULT18X18D.sv models the primitive for the tests.
module sf_ecp5_mult18 (
  input  wire        clk_i,
  input  wire        ce_in_i,     // load a_i, b_i (and the signs)
  input  wire        ce_out_i,    // load the product
  input  wire [17:0] a_i,
  input  wire [17:0] b_i,
  input  wire        signed_a_i,
  input  wire        signed_b_i,
  output wire [35:0] p_o
);

  /* verilator lint_off PINMISSING */
  MULT18X18D #(
    .REG_INPUTA_CLK ("CLK0"), .REG_INPUTA_CE ("CE0"), .REG_INPUTA_RST ("RST0"),
    .REG_INPUTB_CLK ("CLK0"), .REG_INPUTB_CE ("CE0"), .REG_INPUTB_RST ("RST0"),
    .REG_OUTPUT_CLK ("CLK0"), .REG_OUTPUT_CE ("CE1"), .REG_OUTPUT_RST ("RST0"),
    .GSR            ("DISABLED"),
    .RESETMODE      ("SYNC")
  ) u_dsp (
    .A17(a_i[17]), .A16(a_i[16]), .A15(a_i[15]), .A14(a_i[14]), .A13(a_i[13]), .A12(a_i[12]),
    .A11(a_i[11]), .A10(a_i[10]), .A9(a_i[9]), .A8(a_i[8]), .A7(a_i[7]), .A6(a_i[6]),
    .A5(a_i[5]), .A4(a_i[4]), .A3(a_i[3]), .A2(a_i[2]), .A1(a_i[1]), .A0(a_i[0]),
    .B17(b_i[17]), .B16(b_i[16]), .B15(b_i[15]), .B14(b_i[14]), .B13(b_i[13]), .B12(b_i[12]),
    .B11(b_i[11]), .B10(b_i[10]), .B9(b_i[9]), .B8(b_i[8]), .B7(b_i[7]), .B6(b_i[6]),
    .B5(b_i[5]), .B4(b_i[4]), .B3(b_i[3]), .B2(b_i[2]), .B1(b_i[1]), .B0(b_i[0]),
    .C17(1'b0), .C16(1'b0), .C15(1'b0), .C14(1'b0), .C13(1'b0), .C12(1'b0),
    .C11(1'b0), .C10(1'b0), .C9(1'b0), .C8(1'b0), .C7(1'b0), .C6(1'b0),
    .C5(1'b0), .C4(1'b0), .C3(1'b0), .C2(1'b0), .C1(1'b0), .C0(1'b0),
    .SIGNEDA(signed_a_i), .SIGNEDB(signed_b_i), .SOURCEA(1'b0), .SOURCEB(1'b0),
    .CLK0(clk_i), .CE0(ce_in_i), .CE1(ce_out_i), .RST0(1'b0),
    .P35(p_o[35]), .P34(p_o[34]), .P33(p_o[33]), .P32(p_o[32]), .P31(p_o[31]), .P30(p_o[30]),
    .P29(p_o[29]), .P28(p_o[28]), .P27(p_o[27]), .P26(p_o[26]), .P25(p_o[25]), .P24(p_o[24]),
    .P23(p_o[23]), .P22(p_o[22]), .P21(p_o[21]), .P20(p_o[20]), .P19(p_o[19]), .P18(p_o[18]),
    .P17(p_o[17]), .P16(p_o[16]), .P15(p_o[15]), .P14(p_o[14]), .P13(p_o[13]), .P12(p_o[12]),
    .P11(p_o[11]), .P10(p_o[10]), .P9(p_o[9]), .P8(p_o[8]), .P7(p_o[7]), .P6(p_o[6]),
    .P5(p_o[5]), .P4(p_o[4]), .P3(p_o[3]), .P2(p_o[2]), .P1(p_o[1]), .P0(p_o[0])
  );
  /* verilator lint_on PINMISSING */

endmodule
