// Testbench top for rtl/sf_tconv.sv: the block plus its two weight memories
// (rtl/sf_weight_mem.sv, UseRdBank = 1), as a network places them next to the register
// block.  The memories' host ports are brought out (w_host_*, b_host_*) so the cocotb
// test writes weights and biases the way the regblock does; active_bank_i drives both
// memories' host side only (the datapath bank is the frame tag).
//
// Stream packing for the generic cocotb stream helpers (tb/sfstream.py), which drive
// and record tdata/tuser/tlast only: the frame's bank tag travels as the top bit of
// tdata, s_axis_tdata = {tbank, pixel}, m_axis_tdata = {tbank, pixel}.
module tb_sf_tconv #(
  parameter int unsigned Width       = 16,
  parameter int unsigned Height      = 16,
  parameter int unsigned Cin         = 2,
  parameter int unsigned Cout        = 4,
  parameter int unsigned Kernel      = 3,
  parameter int unsigned Stride      = 1,
  parameter int unsigned InBits      = 8,
  parameter bit          InSigned    = 1'b0,
  parameter int unsigned WeightBits  = 8,
  parameter int unsigned BiasBits    = 16,
  parameter int unsigned OutBits     = 8,
  parameter bit          Relu        = 1'b1,
  parameter int unsigned Shift       = 8,
  parameter logic [Cout*16-1:0] Mult = {Cout{16'd1}},
  parameter int unsigned Groups      = Cout,
  parameter int unsigned Fold        = 1,
  parameter int unsigned SmoothDepth = 2 ** $clog2(Width / 4 + 8),
  localparam int unsigned Taps       = Kernel * Kernel * Cin,
  localparam int unsigned Cycles     = (Cout + Groups - 1) / Groups,
  localparam int unsigned EntryWidth = (Cycles > 1) ? $clog2(Cycles) : 1,
  localparam int unsigned WDepth     = Cout * Taps,
  localparam int unsigned WHaw       = $clog2(4 * WDepth),
  localparam int unsigned BHaw       = $clog2(4 * Cout)
) (
  input  logic                     clk_i,
  input  logic                     rst_ni,
  input  logic                     active_bank_i,

  input  logic                     s_axis_tvalid,
  output logic                     s_axis_tready,
  input  logic [Cin*InBits:0]      s_axis_tdata,
  input  logic                     s_axis_tuser,
  input  logic                     s_axis_tlast,

  output logic                     m_axis_tvalid,
  input  logic                     m_axis_tready,
  output logic [Cout*OutBits:0]    m_axis_tdata,
  output logic                     m_axis_tuser,
  output logic                     m_axis_tlast,

  output logic                     frame_err_o,

  input  logic                     w_host_req_i,
  input  logic                     w_host_req_is_wr_i,
  input  logic [WHaw-1:0]          w_host_addr_i,
  input  logic [31:0]              w_host_wr_data_i,
  input  logic [31:0]              w_host_wr_biten_i,
  output logic                     w_host_rd_ack_o,
  output logic [31:0]              w_host_rd_data_o,
  output logic                     w_host_wr_ack_o,

  input  logic                     b_host_req_i,
  input  logic                     b_host_req_is_wr_i,
  input  logic [BHaw-1:0]          b_host_addr_i,
  input  logic [31:0]              b_host_wr_data_i,
  input  logic [31:0]              b_host_wr_biten_i,
  output logic                     b_host_rd_ack_o,
  output logic [31:0]              b_host_rd_data_o,
  output logic                     b_host_wr_ack_o,

  // Observation of the datapath side of the memories.
  output logic                     w_rd_en_o,
  output logic                     w_rd_bank_o
);

  logic                          b_rd_en, b_rd_bank;
  logic [EntryWidth-1:0]         w_rd_addr, b_rd_addr;
  logic [Groups*Taps*WeightBits-1:0] w_rd_data;
  logic [Groups*BiasBits-1:0]    b_rd_data;

  sf_tconv #(
    .Width(Width), .Height(Height), .Cin(Cin), .Cout(Cout), .Kernel(Kernel), .Stride(Stride),
    .InBits(InBits), .InSigned(InSigned), .WeightBits(WeightBits), .BiasBits(BiasBits),
    .OutBits(OutBits), .Relu(Relu), .Shift(Shift), .Mult(Mult), .Groups(Groups), .Fold(Fold),
    .SmoothDepth(SmoothDepth)
  ) u_dut (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid,
    .s_axis_tready,
    .s_axis_tdata (s_axis_tdata[Cin*InBits-1:0]),
    .s_axis_tuser,
    .s_axis_tlast,
    .s_axis_tbank (s_axis_tdata[Cin*InBits]),
    .m_axis_tvalid,
    .m_axis_tready,
    .m_axis_tdata (m_axis_tdata[Cout*OutBits-1:0]),
    .m_axis_tuser,
    .m_axis_tlast,
    .m_axis_tbank (m_axis_tdata[Cout*OutBits]),
    .frame_err_o,
    .w_rd_en_o,
    .w_rd_bank_o,
    .w_rd_addr_o  (w_rd_addr),
    .w_rd_data_i  (w_rd_data),
    .b_rd_en_o    (b_rd_en),
    .b_rd_bank_o  (b_rd_bank),
    .b_rd_addr_o  (b_rd_addr),
    .b_rd_data_i  (b_rd_data)
  );

  sf_weight_mem #(
    .Depth(WDepth), .ValueWidth(WeightBits), .HostAddrWidth(WHaw),
    .Lanes(Groups * Taps), .UseRdBank(1'b1)
  ) u_wmem (
    .clk_i,
    .rst_ni,
    .active_bank_i,
    .host_req_i       (w_host_req_i),
    .host_req_is_wr_i (w_host_req_is_wr_i),
    .host_addr_i      (w_host_addr_i),
    .host_wr_data_i   (w_host_wr_data_i),
    .host_wr_biten_i  (w_host_wr_biten_i),
    .host_rd_ack_o    (w_host_rd_ack_o),
    .host_rd_data_o   (w_host_rd_data_o),
    .host_wr_ack_o    (w_host_wr_ack_o),
    .rd_en_i          (w_rd_en_o),
    .rd_bank_i        (w_rd_bank_o),
    .rd_addr_i        (w_rd_addr),
    .rd_data_o        (w_rd_data)
  );

  sf_weight_mem #(
    .Depth(Cout), .ValueWidth(BiasBits), .HostAddrWidth(BHaw),
    .Lanes(Groups), .UseRdBank(1'b1)
  ) u_bmem (
    .clk_i,
    .rst_ni,
    .active_bank_i,
    .host_req_i       (b_host_req_i),
    .host_req_is_wr_i (b_host_req_is_wr_i),
    .host_addr_i      (b_host_addr_i),
    .host_wr_data_i   (b_host_wr_data_i),
    .host_wr_biten_i  (b_host_wr_biten_i),
    .host_rd_ack_o    (b_host_rd_ack_o),
    .host_rd_data_o   (b_host_rd_data_o),
    .host_wr_ack_o    (b_host_wr_ack_o),
    .rd_en_i          (b_rd_en),
    .rd_bank_i        (b_rd_bank),
    .rd_addr_i        (b_rd_addr),
    .rd_data_o        (b_rd_data)
  );

endmodule
