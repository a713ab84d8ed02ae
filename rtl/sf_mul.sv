// SemifreddoNets-HW: registered multiplier, p = a * b, shaped like one DSP slice.
//
//   a_i, b_i --[operand registers, in_en_i]--> a_q * b_q --[product register, out_en_i]--> p_o
//
// * p_o is the exact product of the operands loaded last, each read as two's complement
//   (ASigned / BSigned) or unsigned, truncated to its low PWidth bits (PWidth <= AWidth +
//   BWidth keeps it exact).  Latency: operands loaded at edge t give p_o after edge t+1
//   if out_en_i is high at t+1.  Enables only gate loads: a stalled pipeline holds both
//   registers.
// * Registers have no reset (datapath): the owner tracks which values are valid.
//
// Two implementations with the same cycle behaviour:
// * gen_generic (default): behavioural registers and `*`; synthesis infers a multiplier
//   between them (Yosys: MULT18X18D slices without their registers, or LUTs).
// * gen_ecp5 (`SF_ECP5_DSP` defined and both operands <= 18 bits; the FPGA flow of
//   fpga.py defines it when every multiplier of the design fits the device's DSP budget):
//   one ECP5 MULT18X18D with its input registers (CLK0, CE0 = in_en_i) and output
//   register (CLK0, CE1 = out_en_i).  Yosys packs no registers into ECP5 DSPs, so an
//   inferred one sits between a fabric register and a fabric register: two routes and
//   the multiplier's ~4 ns in one path.  Here the routes end and start at the DSP's own
//   registers.  The simulation model in tb/sf_mul (Lattice's cell library is not free)
//   checks the port wiring of this branch.
module sf_mul #(
  parameter int unsigned AWidth  = 18,   // 1..64
  parameter int unsigned BWidth  = 18,   // 1..64
  parameter bit          ASigned = 1'b1,
  parameter bit          BSigned = 1'b1,
  parameter int unsigned PWidth  = AWidth + BWidth
) (
  input  logic              clk_i,
  input  logic              in_en_i,   // load a_i, b_i
  input  logic [AWidth-1:0] a_i,
  input  logic [BWidth-1:0] b_i,
  input  logic              out_en_i,  // load the product of the loaded operands
  output logic [PWidth-1:0] p_o
);

  if (AWidth < 1 || AWidth > 64 || BWidth < 1 || BWidth > 64) begin : gen_bad_width
    $fatal(1, "sf_mul: operands must be 1..64 bits, got %0d x %0d", AWidth, BWidth);
  end
  // Operand widths with an unsigned operand's 0 on top: the exact product has AxW + BxW
  // bits as a signed number (AWidth + BWidth suffice; wider PWidth is sign extension).
  localparam int unsigned AxW = AWidth + (ASigned ? 0 : 1);
  localparam int unsigned BxW = BWidth + (BSigned ? 0 : 1);
  if (PWidth < 1 || PWidth > AxW + BxW) begin : gen_bad_pwidth
    $fatal(1, "sf_mul: PWidth must be 1..%0d, got %0d", AxW + BxW, PWidth);
  end

`ifdef SF_ECP5_DSP
  localparam bit Ecp5 = (AWidth <= 18) && (BWidth <= 18);   // one MULT18X18D
`else
  localparam bit Ecp5 = 1'b0;
`endif

  if (Ecp5) begin : gen_ecp5
`ifdef SF_ECP5_DSP
    // Operands extended to 18 bits by their signedness (what the DSP's ports see).
    logic [17:0] a18, b18;
    assign a18 = ASigned ? 18'(signed'(a_i)) : 18'(a_i);
    assign b18 = BSigned ? 18'(signed'(b_i)) : 18'(b_i);
    logic [35:0] p36;
    // Pins not listed (CLK1..3, CE2..3, RST1..3, shift and cascade ports) stay unconnected,
    // as in Yosys' own MULT18X18D mapping.
    /* verilator lint_off PINMISSING */
    MULT18X18D #(
      .REG_INPUTA_CLK ("CLK0"), .REG_INPUTA_CE ("CE0"), .REG_INPUTA_RST ("RST0"),
      .REG_INPUTB_CLK ("CLK0"), .REG_INPUTB_CE ("CE0"), .REG_INPUTB_RST ("RST0"),
      .REG_OUTPUT_CLK ("CLK0"), .REG_OUTPUT_CE ("CE1"), .REG_OUTPUT_RST ("RST0"),
      .GSR            ("DISABLED"),
      .RESETMODE      ("SYNC")
    ) u_dsp (
      .A17(a18[17]), .A16(a18[16]), .A15(a18[15]), .A14(a18[14]), .A13(a18[13]), .A12(a18[12]),
      .A11(a18[11]), .A10(a18[10]), .A9 (a18[9]),  .A8 (a18[8]),  .A7 (a18[7]),  .A6 (a18[6]),
      .A5 (a18[5]),  .A4 (a18[4]),  .A3 (a18[3]),  .A2 (a18[2]),  .A1 (a18[1]),  .A0 (a18[0]),
      .B17(b18[17]), .B16(b18[16]), .B15(b18[15]), .B14(b18[14]), .B13(b18[13]), .B12(b18[12]),
      .B11(b18[11]), .B10(b18[10]), .B9 (b18[9]),  .B8 (b18[8]),  .B7 (b18[7]),  .B6 (b18[6]),
      .B5 (b18[5]),  .B4 (b18[4]),  .B3 (b18[3]),  .B2 (b18[2]),  .B1 (b18[1]),  .B0 (b18[0]),
      .C17(1'b0), .C16(1'b0), .C15(1'b0), .C14(1'b0), .C13(1'b0), .C12(1'b0), .C11(1'b0), .C10(1'b0), .C9(1'b0),
      .C8(1'b0), .C7(1'b0), .C6(1'b0), .C5(1'b0), .C4(1'b0), .C3(1'b0), .C2(1'b0), .C1(1'b0), .C0(1'b0),
      .SIGNEDA(ASigned), .SIGNEDB(BSigned), .SOURCEA(1'b0), .SOURCEB(1'b0),
      .CLK0(clk_i), .CE0(in_en_i), .CE1(out_en_i), .RST0(1'b0),
      .P35(p36[35]), .P34(p36[34]), .P33(p36[33]), .P32(p36[32]), .P31(p36[31]), .P30(p36[30]),
      .P29(p36[29]), .P28(p36[28]), .P27(p36[27]), .P26(p36[26]), .P25(p36[25]), .P24(p36[24]),
      .P23(p36[23]), .P22(p36[22]), .P21(p36[21]), .P20(p36[20]), .P19(p36[19]), .P18(p36[18]),
      .P17(p36[17]), .P16(p36[16]), .P15(p36[15]), .P14(p36[14]), .P13(p36[13]), .P12(p36[12]),
      .P11(p36[11]), .P10(p36[10]), .P9 (p36[9]),  .P8 (p36[8]),  .P7 (p36[7]),  .P6 (p36[6]),
      .P5 (p36[5]),  .P4 (p36[4]),  .P3 (p36[3]),  .P2 (p36[2]),  .P1 (p36[1]),  .P0 (p36[0])
    );
    /* verilator lint_on PINMISSING */
    // The exact product fits in 36 bits (signed unless both operands are unsigned).
    logic [AxW+BxW-1:0] p_ext;
    assign p_ext = (ASigned || BSigned) ? (AxW+BxW)'(signed'(p36)) : (AxW+BxW)'(p36);
    assign p_o   = p_ext[PWidth-1:0];

    logic unused_p;
    assign unused_p = ^{p_ext, p36};   // bits above the exact product or PWidth
`endif
  end else begin : gen_generic
    // The operands at their own widths (AxW, BxW), so the inferred multiplier has the
    // same widths as a `*` written in place (and the same DSP count).
    logic [AWidth-1:0]     a_q;
    logic [BWidth-1:0]     b_q;
    logic signed [AxW-1:0] a_s;
    logic signed [BxW-1:0] b_s;
    logic [AxW+BxW-1:0]    p_full;   // exact
    logic [PWidth-1:0]     p_q;

    assign a_s = signed'(AxW'(a_q));
    assign b_s = signed'(BxW'(b_q));
    assign p_full = (AxW+BxW)'(a_s) * (AxW+BxW)'(b_s);

    always_ff @(posedge clk_i) begin
      if (in_en_i) begin
        a_q <= a_i;
        b_q <= b_i;
      end
      if (out_en_i) p_q <= p_full[PWidth-1:0];
    end
    assign p_o = p_q;

    logic unused_p;   // bits above PWidth, when the owner keeps fewer
    assign unused_p = ^p_full;
  end

endmodule
