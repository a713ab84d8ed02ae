// SemifreddoNets-HW: pixel-by-pixel join of two streams into one.
//
// Inputs:  s0_axis_*, s1_axis_* (Width0 / Width1 bits of tdata, plus tuser, tlast, tbank;
//          stream convention in docs/architecture.md and sf_window.sv).
// Output:  m_axis_*, one pixel per pair of input pixels:
//            m_axis_tdata = {s1_axis_tdata, s0_axis_tdata}   (s0 in the LOW Width0 bits,
//                           so channel c of s0 stays channel c and channel c of s1
//                           becomes channel C0 + c when both have the same channel width)
//            m_axis_tuser = s0_axis_tuser, m_axis_tlast = s0_axis_tlast (checked equal to
//                           the s1 markers, see frame_err_o)
//            m_axis_tbank = tbank of input BankSel (passed on every pixel as received:
//                           meaningful on the tuser pixel)
//          The tbank port of the other input is ignored; tie it to 0 when the stream
//          carries no bank (a frozen stream).
//
// Transfer: a pair is taken when BOTH inputs are valid and the module has room.
//   InSlice = 0: s0_axis_tready = s1_axis_tvalid & room, s1_axis_tready =
//   s0_axis_tvalid & room, so both inputs transfer in the same cycle, always (each ready
//   depends on the other input's valid, as AXI4-Stream allows; no valid depends on a
//   ready).
//   InSlice = 1: each input first goes through its own 4-deep sf_fifo (s*_axis_tready is
//   that FIFO's registered room flag; the inputs transfer independently), and the pair
//   is taken from the two FIFO heads as above.  Use it when the inputs come from
//   different places on the chip: without it the ready of one input is the valid of the
//   other, routed through a LUT into the first input's producer (two long routes in one
//   clock); with it every route between blocks is flop to a LUT or two.  Costs: two
//   sf_fifo of the input widths (+3 bits each), 3 clocks of latency.
//
// Marker check: the sticky frame_err_o (cleared by reset only) is set when a joined pair
//   has s0 tuser != s1 tuser or s0 tlast != s1 tlast, and, with BankCheck = 1, when a
//   joined pair with tuser has s0 tbank != s1 tbank (two trainable streams of the same
//   input frame).  Data keeps flowing unchanged.
//
// Flow control and timing: a registered output stage with a skid register.
//   room = !skid_valid_q is a flop, so s*_axis_tready never depends on m_axis_tready;
//   m_axis_tvalid/tdata/tuser/tlast/tbank are flops.  m_axis_tready only reaches the
//   stage load enables (one LUT).  Sustains one pair per clock; any valid/ready stall
//   pattern is honoured, nothing lost or duplicated.  After an output stall the
//   buffered pair is sent first and the inputs resume one clock later (the output
//   still sees back-to-back pixels).
//
// Latency: 1 clock (a pair taken at edge t is on m_axis after edge t); with InSlice = 1,
// 4 clocks from the later of the two input transfers (3 through the input FIFO).
//
// Reset: rst_ni is active-low ASYNCHRONOUS (release synchronously).  Only control state
// is reset; data registers are not.
module sf_join #(
  parameter int unsigned Width0    = 8,  // s0 tdata bits
  parameter int unsigned Width1    = 8,  // s1 tdata bits
  parameter int unsigned BankSel   = 1,  // input whose tbank goes to m_axis_tbank: 0 or 1
  parameter bit          BankCheck = 0,  // 1: flag s0/s1 tbank mismatch on tuser pixels
  parameter bit          InSlice   = 0   // 1: a 4-deep sf_fifo on each input (see above)
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,

  input  logic                     s0_axis_tvalid,
  output logic                     s0_axis_tready,
  input  logic [Width0-1:0]        s0_axis_tdata,
  input  logic                     s0_axis_tuser,
  input  logic                     s0_axis_tlast,
  input  logic                     s0_axis_tbank,

  input  logic                     s1_axis_tvalid,
  output logic                     s1_axis_tready,
  input  logic [Width1-1:0]        s1_axis_tdata,
  input  logic                     s1_axis_tuser,
  input  logic                     s1_axis_tlast,
  input  logic                     s1_axis_tbank,

  output logic                     m_axis_tvalid,
  input  logic                     m_axis_tready,
  output logic [Width0+Width1-1:0] m_axis_tdata,
  output logic                     m_axis_tuser,
  output logic                     m_axis_tlast,
  output logic                     m_axis_tbank,

  output logic                     frame_err_o
);

  // Payload: {tbank, tlast, tuser, s1 tdata, s0 tdata}.
  localparam int unsigned PayWidth = Width0 + Width1 + 3;

  if (Width0 < 1 || Width1 < 1) begin : gen_bad_width
    $fatal(1, "sf_join: Width0 and Width1 must be >= 1");
  end
  if (BankSel > 1) begin : gen_bad_banksel
    $fatal(1, "sf_join: BankSel must be 0 or 1, got %0d", BankSel);
  end

  logic                fire;      // a pair is taken this cycle
  logic                out_adv;   // the output stage can take a new pixel
  logic                bank;
  logic                mismatch;
  logic [PayWidth-1:0] in_pay;
  logic                out_valid_d, out_valid_q;
  logic                skid_valid_d, skid_valid_q;
  logic                out_load, skid_load;
  logic [PayWidth-1:0] out_pay_q, skid_pay_q;
  logic                err_d, err_q;

  // The two inputs as the pairing logic sees them (the FIFO heads with InSlice = 1).
  logic              i0_valid, i0_ready, i0_user, i0_last, i0_bank;
  logic              i1_valid, i1_ready, i1_user, i1_last, i1_bank;
  logic [Width0-1:0] i0_data;
  logic [Width1-1:0] i1_data;

  if (InSlice) begin : gen_slice
    logic [2:0] count0, count1;
    logic       unused_count;

    sf_fifo #(
      .Width(Width0 + 3),
      .Depth(4)
    ) u_slice0 (
      .clk_i,
      .rst_ni,
      .s_axis_tvalid(s0_axis_tvalid),
      .s_axis_tready(s0_axis_tready),
      .s_axis_tdata ({s0_axis_tbank, s0_axis_tlast, s0_axis_tuser, s0_axis_tdata}),
      .m_axis_tvalid(i0_valid),
      .m_axis_tready(i0_ready),
      .m_axis_tdata ({i0_bank, i0_last, i0_user, i0_data}),
      .count_o      (count0)
    );

    sf_fifo #(
      .Width(Width1 + 3),
      .Depth(4)
    ) u_slice1 (
      .clk_i,
      .rst_ni,
      .s_axis_tvalid(s1_axis_tvalid),
      .s_axis_tready(s1_axis_tready),
      .s_axis_tdata ({s1_axis_tbank, s1_axis_tlast, s1_axis_tuser, s1_axis_tdata}),
      .m_axis_tvalid(i1_valid),
      .m_axis_tready(i1_ready),
      .m_axis_tdata ({i1_bank, i1_last, i1_user, i1_data}),
      .count_o      (count1)
    );

    assign unused_count = ^{count0, count1};
  end else begin : gen_direct
    assign {i0_valid, i0_bank, i0_last, i0_user, i0_data} =
        {s0_axis_tvalid, s0_axis_tbank, s0_axis_tlast, s0_axis_tuser, s0_axis_tdata};
    assign {i1_valid, i1_bank, i1_last, i1_user, i1_data} =
        {s1_axis_tvalid, s1_axis_tbank, s1_axis_tlast, s1_axis_tuser, s1_axis_tdata};
    assign s0_axis_tready = i0_ready;
    assign s1_axis_tready = i1_ready;
  end

  if (BankSel == 0) begin : gen_bank0
    logic unused_bank;
    assign unused_bank = i1_bank;
    assign bank = i0_bank;
  end else begin : gen_bank1
    logic unused_bank;
    assign unused_bank = i0_bank;
    assign bank = i1_bank;
  end

  assign i0_ready = i1_valid & ~skid_valid_q;
  assign i1_ready = i0_valid & ~skid_valid_q;
  assign fire    = i0_valid & i1_valid & ~skid_valid_q;
  assign out_adv = ~out_valid_q | m_axis_tready;
  assign in_pay  = {bank, i0_last, i0_user, i1_data, i0_data};

  // Output stage: refilled from the skid register first (the inputs are not ready
  // while it is full), else from the inputs.  A pair arriving while the output stage is
  // stalled goes into the skid register.
  always_comb begin
    out_valid_d  = out_valid_q;
    skid_valid_d = skid_valid_q;
    out_load     = 1'b0;
    skid_load    = 1'b0;
    if (out_adv) begin
      out_valid_d  = skid_valid_q | fire;
      out_load     = skid_valid_q | fire;
      skid_valid_d = 1'b0;
    end else if (fire) begin
      skid_valid_d = 1'b1;
      skid_load    = 1'b1;
    end
  end

  assign mismatch = (i0_user != i1_user) | (i0_last != i1_last) |
                    (BankCheck & i0_user & (i0_bank != i1_bank));
  assign err_d    = err_q | (fire & mismatch);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      out_valid_q  <= 1'b0;
      skid_valid_q <= 1'b0;
      err_q        <= 1'b0;
    end else begin
      out_valid_q  <= out_valid_d;
      skid_valid_q <= skid_valid_d;
      err_q        <= err_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (out_load) begin
      out_pay_q <= skid_valid_q ? skid_pay_q : in_pay;
    end
    if (skid_load) begin
      skid_pay_q <= in_pay;
    end
  end

  assign m_axis_tvalid = out_valid_q;
  assign m_axis_tdata  = out_pay_q[Width0+Width1-1:0];
  assign m_axis_tuser  = out_pay_q[Width0+Width1];
  assign m_axis_tlast  = out_pay_q[Width0+Width1+1];
  assign m_axis_tbank  = out_pay_q[Width0+Width1+2];
  assign frame_err_o   = err_q;

endmodule
