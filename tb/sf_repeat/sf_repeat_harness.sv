// Test harness for sf_repeat: the "tail" is a real 3x3 window generator (so the
// controller is exercised against a block with one row + one pixel of look-ahead) whose
// output is the window's centre pixel plus one in every channel.  After R passes a
// frame comes out as (input + R) mod 2^Bits per channel.
module sf_repeat_harness #(
  parameter int unsigned Width      = 7,
  parameter int unsigned Height     = 5,
  parameter int unsigned Channels   = 2,
  parameter int unsigned Bits       = 8,
  parameter int unsigned MaxRepeats = 4,
  parameter int unsigned BufDepth   = 64,
  localparam int unsigned DataWidth = Channels * Bits,
  localparam int unsigned RepW      = $clog2(MaxRepeats + 1)
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,
  input  logic [RepW-1:0]      repeats0_i,
  input  logic [RepW-1:0]      repeats1_i,

  input  logic                 s_axis_tvalid,
  output logic                 s_axis_tready,
  input  logic [DataWidth-1:0] s_axis_tdata,
  input  logic                 s_axis_tuser,
  input  logic                 s_axis_tlast,
  input  logic                 s_axis_tbank,

  output logic                 m_axis_tvalid,
  input  logic                 m_axis_tready,
  output logic [DataWidth-1:0] m_axis_tdata,
  output logic                 m_axis_tuser,
  output logic                 m_axis_tlast,
  output logic                 m_axis_tbank,

  output logic                 frame_err_o
);

  logic                 tin_tvalid, tin_tready, tin_tuser, tin_tlast, tin_tbank;
  logic [DataWidth-1:0] tin_tdata;
  logic                 tout_tvalid, tout_tready, tout_tuser, tout_tlast;
  // Only the window's centre tap is used by this test tail.
  /* verilator lint_off UNUSEDSIGNAL */
  logic [9*DataWidth-1:0] win_tdata;
  /* verilator lint_on UNUSEDSIGNAL */
  logic [DataWidth-1:0] tout_tdata;
  logic                 rep_err, win_err;
  logic                 tout_bank_q, cur_bank_q;

  sf_repeat #(
    .Width(Width), .Height(Height), .DataWidth(DataWidth),
    .MaxRepeats(MaxRepeats), .BufDepth(BufDepth)
  ) u_dut (
    .clk_i, .rst_ni, .repeats0_i, .repeats1_i,
    .s_axis_tvalid, .s_axis_tready, .s_axis_tdata, .s_axis_tuser, .s_axis_tlast, .s_axis_tbank,
    .m_tail_axis_tvalid(tin_tvalid), .m_tail_axis_tready(tin_tready),
    .m_tail_axis_tdata (tin_tdata),  .m_tail_axis_tuser (tin_tuser),
    .m_tail_axis_tlast (tin_tlast),  .m_tail_axis_tbank (tin_tbank),
    .s_tail_axis_tvalid(tout_tvalid), .s_tail_axis_tready(tout_tready),
    .s_tail_axis_tdata (tout_tdata),  .s_tail_axis_tuser (tout_tuser),
    .s_tail_axis_tlast (tout_tlast),  .s_tail_axis_tbank (tout_bank_q),
    .m_axis_tvalid, .m_axis_tready, .m_axis_tdata, .m_axis_tuser, .m_axis_tlast, .m_axis_tbank,
    .frame_err_o(rep_err)
  );

  sf_window #(
    .Width(Width), .Height(Height), .Channels(Channels), .DataWidth(Bits), .Kernel(3), .Stride(1)
  ) u_tail (
    .clk_i, .rst_ni,
    .s_axis_tvalid(tin_tvalid), .s_axis_tready(tin_tready), .s_axis_tdata(tin_tdata),
    .s_axis_tuser (tin_tuser),  .s_axis_tlast (tin_tlast),
    .m_axis_tvalid(tout_tvalid), .m_axis_tready(tout_tready), .m_axis_tdata(win_tdata),
    .m_axis_tuser (tout_tuser),  .m_axis_tlast (tout_tlast),
    .frame_err_o(win_err)
  );

  // Centre tap (ky = kx = 1) plus one, per channel.
  for (genvar c = 0; c < Channels; c++) begin : gen_inc
    assign tout_tdata[c*Bits +: Bits] = win_tdata[(4*Channels + c)*Bits +: Bits] + Bits'(1);
  end

  // The bank tag of a frame, carried around the window generator (a real tail block
  // carries it through its tag FIFO): pushed at the input frame start, used from the
  // output frame start.
  logic tags_q [4];
  logic [1:0] wr_q, rd_q;
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wr_q <= '0;
      rd_q <= '0;
      cur_bank_q <= 1'b0;
    end else begin
      if (tin_tvalid && tin_tready && tin_tuser) begin
        tags_q[wr_q] <= tin_tbank;
        wr_q <= wr_q + 2'd1;
      end
      if (tout_tvalid && tout_tready && tout_tuser) begin
        cur_bank_q <= tags_q[rd_q];
        rd_q <= rd_q + 2'd1;
      end
    end
  end
  assign tout_bank_q = (tout_tuser) ? tags_q[rd_q] : cur_bank_q;

  assign frame_err_o = rep_err | win_err;

endmodule
