// SemifreddoNets-HW: alpha blend of a frozen and a trainable stream (arithmetic.md 3.1).
//
// Inputs (joined pixel by pixel by an internal sf_join, see sf_join.sv):
//   s0_axis_*  frozen stream:    tdata = Cf x Bits, tuser, tlast (no tbank)
//   s1_axis_*  trainable stream: tdata = Ct x Bits, tuser, tlast, tbank
//   channel c at [c*Bits +: Bits], two's complement when Signed.
// Output: m_axis_*  trainable stream, tdata = Ct x Bits, tuser, tlast, tbank; channel c is
//   blend[c] = (a*f + (2^AlphaBits - a)*t + 2^(AlphaBits-1)) >> AlphaBits   (floor)
//   with f = s0 channel BlendMap[c], t = s1 channel c, a = min(alpha, 2^AlphaBits).
//   Computed exactly as (a*(f - t) + t*2^AlphaBits + 2^(AlphaBits-1)) >> AlphaBits, the
//   same integer (one run-time multiply per channel).  The result lies between f and t,
//   so it needs no saturation.
//
// Alpha and banks: alpha0_i / alpha1_i hold the per-channel alpha of bank 0 / bank 1,
//   channel c at [c*(AlphaBits+1) +: AlphaBits+1]; a value above 2^AlphaBits saturates to
//   2^AlphaBits.  The bank of a frame is the s1 tbank of its tuser pixel; it is latched
//   there and used for every pixel of the frame (tbank on other pixels is ignored).
//   m_axis_tbank carries that frame bank on every pixel.  The alpha ports are read when
//   the pixel enters the pipeline: the value of the frame's bank must stay stable while
//   the frame passes (docs/architecture.md: the host writes only the shadow bank).
//
// Markers: m_axis_tuser/tlast = those of the joined pair; frame_err_o (sticky) is set by
//   the join when the frozen and trainable markers of a pair disagree.
//
// Parameters: BlendMap is packed, Ct entries of 32 bits, entry c at [c*32 +: 32], each
//   < Cf (checked at elaboration).  The default (all 0) is a placeholder: the generator
//   always sets it.
//
// Pipeline and timing: sf_join (output + skid register, 1 clock) -> stage 1 (f - t,
//   saturated alpha of the frame's bank, t; registers in front of the multipliers) ->
//   stage 2 (product a*(f - t) registered, t) -> stage 3 (add, round, shift: the output
//   register).  One global enable adv = !m_axis_tvalid | m_axis_tready moves stages
//   1..3 and pops the join; the inputs' tready come from the join's flops, so
//   m_axis_tready reaches only register enables (one LUT).
// Latency: 4 clocks (a pair taken at edge t is on m_axis after edge t+4; with
//   InSlice = 1 the join's input FIFOs add 3); one pixel per clock sustained; any
//   valid/ready stall pattern is honoured.  InSlice is the join's (rtl/sf_join.sv): the
//   generator sets it, as the frozen and trainable inputs come from across the chip.
//   OutSlice = 1: the output leaves through a 4-deep sf_fifo (+3 clocks), so the
//   consumer's ready reaches only that FIFO's pop logic and adv (the enable of every
//   stage, the DSP products included, and the join's pop) comes from its registered room
//   flag beside the blend.  The generator sets it too.
// Multipliers: one sf_mul per trainable channel (its operand registers are stage 1, its
//   product register stage 2).  On ECP5 the FPGA flow makes each one MULT18X18D with
//   those registers inside, so no route crosses the DSP's combinational multiplier.
//
// Reset: rst_ni is active-low ASYNCHRONOUS (release synchronously).  Only control state
// is reset; data registers are not.
module sf_blend #(
  parameter int unsigned Cf        = 4,     // frozen channels
  parameter int unsigned Ct        = 4,     // trainable channels
  parameter int unsigned Bits      = 8,     // feature bits
  parameter bit          Signed    = 1'b0,  // features are two's complement
  parameter int unsigned AlphaBits = 8,     // Ba: alpha in [0, 2^Ba], Ba+1 bits
  parameter logic [Ct*32-1:0] BlendMap = '0, // Ct x 32-bit frozen channel indices
  parameter bit          InSlice   = 1'b0,  // sf_join's input FIFOs
  parameter bit          OutSlice  = 1'b0   // a 4-deep sf_fifo on the output
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,

  input  logic                         s0_axis_tvalid,
  output logic                         s0_axis_tready,
  input  logic [Cf*Bits-1:0]           s0_axis_tdata,
  input  logic                         s0_axis_tuser,
  input  logic                         s0_axis_tlast,

  input  logic                         s1_axis_tvalid,
  output logic                         s1_axis_tready,
  input  logic [Ct*Bits-1:0]           s1_axis_tdata,
  input  logic                         s1_axis_tuser,
  input  logic                         s1_axis_tlast,
  input  logic                         s1_axis_tbank,

  output logic                         m_axis_tvalid,
  input  logic                         m_axis_tready,
  output logic [Ct*Bits-1:0]           m_axis_tdata,
  output logic                         m_axis_tuser,
  output logic                         m_axis_tlast,
  output logic                         m_axis_tbank,

  input  logic [Ct*(AlphaBits+1)-1:0]  alpha0_i,
  input  logic [Ct*(AlphaBits+1)-1:0]  alpha1_i,

  output logic                         frame_err_o
);

  localparam int unsigned AlphaWidth = AlphaBits + 1;  // alpha port bits per channel
  // Width of a*(f - t), t*2^Ba and their rounded sum (signed): the exact sum lies in
  // [-2^(Bits-1+Ba), (2^Bits - 1)*2^Ba + 2^(Ba-1)], which fits Bits+Ba+1 signed bits.
  localparam int unsigned ProdWidth = Bits + AlphaBits + 1;
  localparam logic [AlphaWidth-1:0] AlphaOne = AlphaWidth'(1) << AlphaBits;  // 2^Ba
  localparam logic signed [ProdWidth-1:0] Half = ProdWidth'(1) << (AlphaBits - 1);

  if (Cf < 1 || Ct < 1 || Bits < 1) begin : gen_bad_size
    $fatal(1, "sf_blend: Cf, Ct and Bits must be >= 1");
  end
  if (AlphaBits < 1 || AlphaBits > 24) begin : gen_bad_alpha
    $fatal(1, "sf_blend: AlphaBits must be in [1, 24], got %0d", AlphaBits);
  end
  for (genvar c = 0; c < Ct; c++) begin : gen_check_map
    if (BlendMap[c*32 +: 32] >= Cf) begin : gen_bad_map
      $fatal(1, "sf_blend: BlendMap entry %0d = %0d is not a frozen channel (Cf = %0d)",
             c, BlendMap[c*32 +: 32], Cf);
    end
  end

  // ---------------------------------------------------------------------------------
  // Join the two streams.
  // ---------------------------------------------------------------------------------
  logic                    adv;
  logic                    j_valid, j_user, j_last, j_bank;
  logic [(Cf+Ct)*Bits-1:0] j_data;

  sf_join #(
    .Width0    (Cf * Bits),
    .Width1    (Ct * Bits),
    .BankSel   (1),
    .BankCheck (1'b0),
    .InSlice   (InSlice)
  ) u_join (
    .clk_i,
    .rst_ni,
    .s0_axis_tvalid,
    .s0_axis_tready,
    .s0_axis_tdata,
    .s0_axis_tuser,
    .s0_axis_tlast,
    .s0_axis_tbank  (1'b0),
    .s1_axis_tvalid,
    .s1_axis_tready,
    .s1_axis_tdata,
    .s1_axis_tuser,
    .s1_axis_tlast,
    .s1_axis_tbank,
    .m_axis_tvalid  (j_valid),
    .m_axis_tready  (adv),
    .m_axis_tdata   (j_data),
    .m_axis_tuser   (j_user),
    .m_axis_tlast   (j_last),
    .m_axis_tbank   (j_bank),
    .frame_err_o
  );

  // ---------------------------------------------------------------------------------
  // Frame bank: latched on the tuser pixel.
  // ---------------------------------------------------------------------------------
  logic bank_cur, bank_q;

  assign bank_cur = j_user ? j_bank : bank_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      bank_q <= 1'b0;
    end else if (adv && j_valid) begin
      bank_q <= bank_cur;
    end
  end

  // ---------------------------------------------------------------------------------
  // Pipeline: valid and marker bits (reset) and per-channel data (not reset).
  // ---------------------------------------------------------------------------------
  logic [2:0] vld_q;                 // stage 1..3 valid
  logic [2:0] user_pipe_q, last_pipe_q, bank_pipe_q;

  logic out_ready;   // stage 3 is taken (by the consumer, or by the output slice)

  assign adv = ~vld_q[2] | out_ready;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      vld_q <= '0;
    end else if (adv) begin
      vld_q <= {vld_q[1:0], j_valid};
    end
  end

  always_ff @(posedge clk_i) begin
    if (adv) begin
      user_pipe_q  <= {user_pipe_q[1:0], j_user};
      last_pipe_q  <= {last_pipe_q[1:0], j_last};
      bank_pipe_q  <= {bank_pipe_q[1:0], bank_cur};
    end
  end

  // Stage 1: d = f[map[c]] - t[c], saturated alpha of the frame's bank, t.
  // Stage 2: p = alpha * d, t.
  // Stage 3: y = (p + t*2^Ba + 2^(Ba-1)) >> Ba.
  logic signed [Bits:0]         t1_q [Ct];
  logic signed [ProdWidth-1:0]  p2 [Ct];
  logic signed [Bits:0]         t2_q [Ct];
  logic        [Ct*Bits-1:0]    y3_q;

  for (genvar c = 0; c < Ct; c++) begin : gen_chan
    localparam int unsigned Map = BlendMap[c*32 +: 32];

    logic        [Bits-1:0]       f_raw, t_raw;
    logic signed [Bits:0]         f_ext, t_ext;
    logic        [AlphaWidth-1:0] a_raw, a_sat;
    logic signed [ProdWidth-1:0]  sum;

    assign f_raw = j_data[Map*Bits +: Bits];
    assign t_raw = j_data[(Cf+c)*Bits +: Bits];
    assign f_ext = {Signed & f_raw[Bits-1], f_raw};
    assign t_ext = {Signed & t_raw[Bits-1], t_raw};
    assign a_raw = bank_cur ? alpha1_i[c*AlphaWidth +: AlphaWidth]
                            : alpha0_i[c*AlphaWidth +: AlphaWidth];
    assign a_sat = a_raw[AlphaBits] ? AlphaOne : a_raw;   // > 2^Ba saturates to 2^Ba

    // Stages 1 and 2 of the product: operands d = f - t (exact: |f - t| < 2^Bits) and
    // the saturated alpha (unsigned) into the multiplier's registers, then a*(f - t).
    sf_mul #(
      .AWidth  (Bits + 1),
      .BWidth  (AlphaWidth),
      .ASigned (1'b1),
      .BSigned (1'b0),
      .PWidth  (ProdWidth)
    ) u_mul (
      .clk_i,
      .in_en_i  (adv),
      .a_i      (f_ext - t_ext),
      .b_i      (a_sat),
      .out_en_i (adv),
      .p_o      (p2[c])
    );

    always_ff @(posedge clk_i) begin
      if (adv) begin
        t1_q[c] <= t_ext;
        t2_q[c] <= t1_q[c];
        y3_q[c*Bits +: Bits] <= sum[AlphaBits +: Bits];
      end
    end

    assign sum = p2[c] + (ProdWidth'(t2_q[c]) <<< AlphaBits) + Half;

    // Fraction bits and the guard bit of the exact sum are not part of the result.
    logic unused_sum;
    assign unused_sum = ^{sum[ProdWidth-1], sum[AlphaBits-1:0]};
  end

  // Frozen channels that no trainable channel maps to are dropped.
  logic unused_frozen;
  assign unused_frozen = ^j_data[Cf*Bits-1:0];

  if (OutSlice) begin : gen_out_slice
    logic [2:0] count;
    logic       unused_count;

    sf_fifo #(
      .Width(Ct * Bits + 3),
      .Depth(4)
    ) u_out (
      .clk_i,
      .rst_ni,
      .s_axis_tvalid(vld_q[2]),
      .s_axis_tready(out_ready),
      .s_axis_tdata ({bank_pipe_q[2], last_pipe_q[2], user_pipe_q[2], y3_q}),
      .m_axis_tvalid,
      .m_axis_tready,
      .m_axis_tdata ({m_axis_tbank, m_axis_tlast, m_axis_tuser, m_axis_tdata}),
      .count_o      (count)
    );

    assign unused_count = ^count;
  end else begin : gen_out_direct
    assign out_ready     = m_axis_tready;
    assign m_axis_tvalid = vld_q[2];
    assign m_axis_tdata  = y3_q;
    assign m_axis_tuser  = user_pipe_q[2];
    assign m_axis_tlast  = last_pipe_q[2];
    assign m_axis_tbank  = bank_pipe_q[2];
  end

endmodule
