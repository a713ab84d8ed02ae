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
// * gen_ecp5_split (`SF_ECP5_DSP`, a of 19..35 bits, b <= 18): two such MULT18X18D, one
//   for a's low 17 bits, one for the rest, their products added after the DSPs' output
//   registers (p_o is then that sum, not a register; the class head's pooled sums).
// * gen_ecp5 (`SF_ECP5_DSP` defined and both operands <= 18 bits; the FPGA flow of
//   fpga.py defines it when every multiplier of the design fits the device's DSP budget):
//   fpga/ecp5/sf_ecp5_mult18.v, one ECP5 MULT18X18D with its input registers (loaded on
//   in_en_i) and output register (out_en_i).  Yosys packs no registers into ECP5 DSPs,
//   so an inferred one sits between a fabric register and a fabric register: two routes
//   and the multiplier's ~4 ns in one path.  Here the routes end and start at the DSP's
//   own registers.  The tests run this branch on tb/sf_mul's model of the primitive
//   (Lattice's cell library is not free).
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
  localparam bit Ecp5      = (AWidth <= 18) && (BWidth <= 18);   // one MULT18X18D
  localparam bit Ecp5Split = (AWidth > 18) && (AWidth <= 35) && (BWidth <= 18);   // two
`else
  localparam bit Ecp5      = 1'b0;
  localparam bit Ecp5Split = 1'b0;
`endif

  if (Ecp5) begin : gen_ecp5
`ifdef SF_ECP5_DSP
    // Operands extended to 18 bits by their signedness (what the DSP's ports see).
    logic [17:0] a18, b18;
    assign a18 = ASigned ? 18'(signed'(a_i)) : 18'(a_i);
    assign b18 = BSigned ? 18'(signed'(b_i)) : 18'(b_i);
    logic [35:0] p36;
    sf_ecp5_mult18 u_dsp (
      .clk_i,
      .ce_in_i    (in_en_i),
      .ce_out_i   (out_en_i),
      .a_i        (a18),
      .b_i        (b18),
      .signed_a_i (ASigned),
      .signed_b_i (BSigned),
      .p_o        (p36)
    );
    // The exact product fits in 36 bits (signed unless both operands are unsigned).
    logic [AxW+BxW-1:0] p_ext;
    assign p_ext = (ASigned || BSigned) ? (AxW+BxW)'(signed'(p36)) : (AxW+BxW)'(p36);
    assign p_o   = p_ext[PWidth-1:0];

    logic unused_p;
    assign unused_p = ^{p_ext, p36};   // bits above the exact product or PWidth
`endif
  end else if (Ecp5Split) begin : gen_ecp5_split
`ifdef SF_ECP5_DSP
    // a = hi * 2^17 + lo: lo = a[16:0] unsigned, hi = a[AWidth-1:17] with a's sign (2..18
    // bits).  One registered MULT18X18D per part, both loaded like gen_ecp5's; the two
    // partial products are added after the DSPs' output registers, so p_o is that sum,
    // not a register (same cycle behaviour; the owner registers p_o where it lands).
    logic [17:0] lo18, hi18, b18;
    assign lo18 = 18'(a_i[16:0]);
    assign hi18 = ASigned ? 18'(signed'(a_i[AWidth-1:17])) : 18'(a_i[AWidth-1:17]);
    assign b18  = BSigned ? 18'(signed'(b_i)) : 18'(b_i);
    logic [35:0] p_lo36, p_hi36;
    sf_ecp5_mult18 u_dsp_lo (
      .clk_i,
      .ce_in_i    (in_en_i),
      .ce_out_i   (out_en_i),
      .a_i        (lo18),
      .b_i        (b18),
      .signed_a_i (1'b0),
      .signed_b_i (BSigned),
      .p_o        (p_lo36)
    );
    sf_ecp5_mult18 u_dsp_hi (
      .clk_i,
      .ce_in_i    (in_en_i),
      .ce_out_i   (out_en_i),
      .a_i        (hi18),
      .b_i        (b18),
      .signed_a_i (ASigned),
      .signed_b_i (BSigned),
      .p_o        (p_hi36)
    );
    // Each partial product is exact in 36 bits; extended by its own signedness.
    logic [AxW+BxW-1:0] lo_ext, hi_ext, p_ext;
    assign lo_ext = BSigned ? (AxW+BxW)'(signed'(p_lo36)) : (AxW+BxW)'(p_lo36);
    assign hi_ext = (ASigned || BSigned) ? (AxW+BxW)'(signed'(p_hi36)) : (AxW+BxW)'(p_hi36);
    assign p_ext  = (hi_ext << 17) + lo_ext;
    assign p_o    = p_ext[PWidth-1:0];

    logic unused_p;
    assign unused_p = ^{p_ext, p_lo36, p_hi36};
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
