// SemifreddoNets-HW: core shuffle between the two trainable cores (arithmetic.md 3.2).
//
// Inputs (joined pixel by pixel by an internal sf_join, see sf_join.sv):
//   s0_axis_*  core a: tdata = Ca x Bits, tuser, tlast, tbank
//   s1_axis_*  core b: tdata = Cb x Bits, tuser, tlast, tbank
//   channel c at [c*Bits +: Bits]; both streams have the same geometry.
// Outputs:
//   m0_axis_*  core a: tdata = Ca x Bits, tuser, tlast, tbank
//   m1_axis_*  core b: tdata = Cb x Bits, tuser, tlast, tbank
//   When the frame's shuffle switch is on, channels 0..S-1 are exchanged:
//     m0[c] = b[c] for c < S, a[c] otherwise;   m1[c] = a[c] for c < S, b[c] otherwise.
//   When it is off, m0 = a and m1 = b.  Only wires and a 2:1 mux: any data type.
//
// Switch and banks: shuffle0_i / shuffle1_i are the switches of bank 0 / bank 1.  The
//   bank of a frame is the core-a (s0) tbank of its tuser pixel, latched there and used
//   for every pixel of the frame (tbank on other pixels is ignored).  Both outputs carry
//   that frame bank on every pixel (m*_axis_tbank).  frame_err_o (sticky) is set when
//   the two cores' tuser/tlast of a joined pair disagree or, on a tuser pixel, their
//   tbank disagree (both cores were stamped from the same input frame).  The switch
//   ports are read when the pixel enters the output stage: the switch of the frame's
//   bank must stay stable while the frame passes.
//
// Flow control: the two outputs share one output register but have their own valid
//   flag (m0_axis_tvalid, m1_axis_tvalid): each is cleared by its own transfer and the
//   register takes the next pixel once both are (being) cleared,
//     adv = (!m0_axis_tvalid | m0_axis_tready) & (!m1_axis_tvalid | m1_axis_tready),
//   so a consumer may take the pixel before or after the other one.  adv reaches only
//   register enables and the join's output stage (one LUT); the inputs' tready are the
//   join's (registered room flag).  One pixel per clock when both consumers are ready.
// Output slices (OutSlice = 1): each output leaves through its own 4-deep sf_fifo, so
//   the two consumers' readies (the trainable blocks of both cores, far apart on the
//   chip) reach only their FIFO's pop logic; the output register advances on the FIFOs'
//   registered room flags, next to it.  Without them a consumer's ready runs through
//   adv into the join's output stage and every output register enable.
// Latency: 2 clocks (join 1, output register 1); + 3 with InSlice = 1 (the join's input
//   FIFOs, rtl/sf_join.sv), + 3 with OutSlice = 1.  The generator sets both: the two
//   cores' streams meet here.
//
// Reset: rst_ni is active-low ASYNCHRONOUS (release synchronously).  Only control state
// is reset; data registers are not.
module sf_shuffle #(
  parameter int unsigned Ca   = 4,  // core a channels
  parameter int unsigned Cb   = 4,  // core b channels
  parameter int unsigned Bits = 8,  // bits per channel
  parameter int unsigned S    = 2,  // channels exchanged, 1 <= S <= min(Ca, Cb)
  parameter bit          InSlice = 1'b0,  // sf_join's input FIFOs
  parameter bit          OutSlice = 1'b0  // a 4-deep sf_fifo on each output
) (
  input  logic                clk_i,
  input  logic                rst_ni,

  input  logic                s0_axis_tvalid,
  output logic                s0_axis_tready,
  input  logic [Ca*Bits-1:0]  s0_axis_tdata,
  input  logic                s0_axis_tuser,
  input  logic                s0_axis_tlast,
  input  logic                s0_axis_tbank,

  input  logic                s1_axis_tvalid,
  output logic                s1_axis_tready,
  input  logic [Cb*Bits-1:0]  s1_axis_tdata,
  input  logic                s1_axis_tuser,
  input  logic                s1_axis_tlast,
  input  logic                s1_axis_tbank,

  output logic                m0_axis_tvalid,
  input  logic                m0_axis_tready,
  output logic [Ca*Bits-1:0]  m0_axis_tdata,
  output logic                m0_axis_tuser,
  output logic                m0_axis_tlast,
  output logic                m0_axis_tbank,

  output logic                m1_axis_tvalid,
  input  logic                m1_axis_tready,
  output logic [Cb*Bits-1:0]  m1_axis_tdata,
  output logic                m1_axis_tuser,
  output logic                m1_axis_tlast,
  output logic                m1_axis_tbank,

  input  logic                shuffle0_i,
  input  logic                shuffle1_i,

  output logic                frame_err_o
);

  localparam int unsigned WidthA = Ca * Bits;
  localparam int unsigned WidthB = Cb * Bits;
  localparam int unsigned WidthS = S * Bits;

  if (Bits < 1 || S < 1 || S > Ca || S > Cb) begin : gen_bad_size
    $fatal(1, "sf_shuffle: need Bits >= 1 and 1 <= S <= min(Ca, Cb)");
  end

  // ---------------------------------------------------------------------------------
  // Join core a and core b.
  // ---------------------------------------------------------------------------------
  logic              adv;
  logic              j_valid, j_user, j_last, j_bank;
  logic [WidthA+WidthB-1:0]  j_data;

  sf_join #(
    .Width0    (WidthA),
    .Width1    (WidthB),
    .BankSel   (0),
    .BankCheck (1'b1),
    .InSlice   (InSlice)
  ) u_join (
    .clk_i,
    .rst_ni,
    .s0_axis_tvalid,
    .s0_axis_tready,
    .s0_axis_tdata,
    .s0_axis_tuser,
    .s0_axis_tlast,
    .s0_axis_tbank,
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
  // Frame bank (latched on the tuser pixel) and switch.
  // ---------------------------------------------------------------------------------
  logic bank_cur, bank_q, swap;

  assign bank_cur = j_user ? j_bank : bank_q;
  assign swap     = bank_cur ? shuffle1_i : shuffle0_i;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      bank_q <= 1'b0;
    end else if (adv && j_valid) begin
      bank_q <= bank_cur;
    end
  end

  // ---------------------------------------------------------------------------------
  // Output register, one valid flag per consumer.
  // ---------------------------------------------------------------------------------
  logic [WidthA-1:0] a_raw, a_out, a_q;
  logic [WidthB-1:0] b_raw, b_out, b_q;
  logic          v0_d, v0_q, v1_d, v1_q;
  logic          user_q, last_q, bank_out_q;

  assign a_raw = j_data[WidthA-1:0];
  assign b_raw = j_data[WidthA+WidthB-1:WidthA];

  if (S == Ca) begin : gen_a_all
    assign a_out = swap ? b_raw[WidthS-1:0] : a_raw;
  end else begin : gen_a_part
    assign a_out = {a_raw[WidthA-1:WidthS], swap ? b_raw[WidthS-1:0] : a_raw[WidthS-1:0]};
  end
  if (S == Cb) begin : gen_b_all
    assign b_out = swap ? a_raw[WidthS-1:0] : b_raw;
  end else begin : gen_b_part
    assign b_out = {b_raw[WidthB-1:WidthS], swap ? a_raw[WidthS-1:0] : b_raw[WidthS-1:0]};
  end

  // o*_ready: output k's register is taken (by the consumer, or by its slice).
  logic o0_ready, o1_ready;

  assign adv  = (~v0_q | o0_ready) & (~v1_q | o1_ready);
  // A flag is reloaded when the register advances, else cleared by its own transfer.
  assign v0_d = adv ? j_valid : (v0_q & ~o0_ready);
  assign v1_d = adv ? j_valid : (v1_q & ~o1_ready);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      v0_q <= 1'b0;
      v1_q <= 1'b0;
    end else begin
      v0_q <= v0_d;
      v1_q <= v1_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (adv) begin
      a_q        <= a_out;
      b_q        <= b_out;
      user_q     <= j_user;
      last_q     <= j_last;
      bank_out_q <= bank_cur;
    end
  end

  if (OutSlice) begin : gen_out_slice
    logic [2:0] count0, count1;
    logic       unused_count;

    sf_fifo #(
      .Width(WidthA + 3),
      .Depth(4)
    ) u_out0 (
      .clk_i,
      .rst_ni,
      .s_axis_tvalid(v0_q),
      .s_axis_tready(o0_ready),
      .s_axis_tdata ({bank_out_q, last_q, user_q, a_q}),
      .m_axis_tvalid(m0_axis_tvalid),
      .m_axis_tready(m0_axis_tready),
      .m_axis_tdata ({m0_axis_tbank, m0_axis_tlast, m0_axis_tuser, m0_axis_tdata}),
      .count_o      (count0)
    );

    sf_fifo #(
      .Width(WidthB + 3),
      .Depth(4)
    ) u_out1 (
      .clk_i,
      .rst_ni,
      .s_axis_tvalid(v1_q),
      .s_axis_tready(o1_ready),
      .s_axis_tdata ({bank_out_q, last_q, user_q, b_q}),
      .m_axis_tvalid(m1_axis_tvalid),
      .m_axis_tready(m1_axis_tready),
      .m_axis_tdata ({m1_axis_tbank, m1_axis_tlast, m1_axis_tuser, m1_axis_tdata}),
      .count_o      (count1)
    );

    assign unused_count = ^{count0, count1};
  end else begin : gen_out_direct
    assign o0_ready       = m0_axis_tready;
    assign m0_axis_tvalid = v0_q;
    assign m0_axis_tdata  = a_q;
    assign m0_axis_tuser  = user_q;
    assign m0_axis_tlast  = last_q;
    assign m0_axis_tbank  = bank_out_q;

    assign o1_ready       = m1_axis_tready;
    assign m1_axis_tvalid = v1_q;
    assign m1_axis_tdata  = b_q;
    assign m1_axis_tuser  = user_q;
    assign m1_axis_tlast  = last_q;
    assign m1_axis_tbank  = bank_out_q;
  end

endmodule
