// Test harness for rtl/sf_class_head.sv: the head plus its two weight memories
// (sf_weight_mem, Lanes = 1), as they are connected in the generated network.  The
// memories' host ports are brought out (w_host_* for fw, b_host_* for fb); host_bank_i
// is the memories' active_bank_i, so the host writes bank ~host_bank_i.  The datapath
// bank comes from the head (frame tag), independent of host_bank_i.
module sf_class_head_tb #(
  parameter int unsigned Width      = 8,
  parameter int unsigned Height     = 8,
  parameter int unsigned Channels   = 4,
  parameter int unsigned InBits     = 8,
  parameter bit          InSigned   = 1'b0,
  parameter int unsigned Classes    = 4,
  parameter int unsigned WeightBits = 8,
  parameter int unsigned BiasBits   = 16,
  parameter int unsigned ScoreWidth = 26,
  localparam int unsigned WDepth    = Classes * Channels,
  localparam int unsigned WHostAw   = (WDepth > 1) ? $clog2(4 * WDepth) : 2,
  localparam int unsigned BHostAw   = (Classes > 1) ? $clog2(4 * Classes) : 2
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  logic                          host_bank_i,

  input  logic                          s_axis_tvalid,
  output logic                          s_axis_tready,
  input  logic [Channels*InBits-1:0]    s_axis_tdata,
  input  logic                          s_axis_tuser,
  input  logic                          s_axis_tlast,
  input  logic                          s_axis_tbank,

  output logic                          m_axis_tvalid,
  input  logic                          m_axis_tready,
  output logic [ScoreWidth-1:0]         m_axis_tdata,
  output logic                          m_axis_tuser,
  output logic                          m_axis_tlast,

  output logic [Classes*ScoreWidth-1:0] scores_o,
  output logic                          scores_valid_o,
  output logic [31:0]                   frame_count_o,
  output logic                          frame_err_o,

  input  logic                          w_host_req_i,
  input  logic                          w_host_req_is_wr_i,
  input  logic [WHostAw-1:0]            w_host_addr_i,
  input  logic [31:0]                   w_host_wr_data_i,
  input  logic [31:0]                   w_host_wr_biten_i,
  output logic                          w_host_rd_ack_o,
  output logic [31:0]                   w_host_rd_data_o,
  output logic                          w_host_wr_ack_o,

  input  logic                          b_host_req_i,
  input  logic                          b_host_req_is_wr_i,
  input  logic [BHostAw-1:0]            b_host_addr_i,
  input  logic [31:0]                   b_host_wr_data_i,
  input  logic [31:0]                   b_host_wr_biten_i,
  output logic                          b_host_rd_ack_o,
  output logic [31:0]                   b_host_rd_data_o,
  output logic                          b_host_wr_ack_o
);

  localparam int unsigned WAw = (WDepth > 1) ? $clog2(WDepth) : 1;
  localparam int unsigned BAw = (Classes > 1) ? $clog2(Classes) : 1;

  logic                  w_rd_en, w_rd_bank, b_rd_en, b_rd_bank;
  logic [WAw-1:0]        w_rd_addr;
  logic [BAw-1:0]        b_rd_addr;
  logic [WeightBits-1:0] w_rd_data;
  logic [BiasBits-1:0]   b_rd_data;

  sf_class_head #(
    .Width      (Width),
    .Height     (Height),
    .Channels   (Channels),
    .InBits     (InBits),
    .InSigned   (InSigned),
    .Classes    (Classes),
    .WeightBits (WeightBits),
    .BiasBits   (BiasBits),
    .ScoreWidth (ScoreWidth)
  ) u_head (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid,
    .s_axis_tready,
    .s_axis_tdata,
    .s_axis_tuser,
    .s_axis_tlast,
    .s_axis_tbank,
    .m_axis_tvalid,
    .m_axis_tready,
    .m_axis_tdata,
    .m_axis_tuser,
    .m_axis_tlast,
    .w_rd_en_o     (w_rd_en),
    .w_rd_bank_o   (w_rd_bank),
    .w_rd_addr_o   (w_rd_addr),
    .w_rd_data_i   (w_rd_data),
    .b_rd_en_o     (b_rd_en),
    .b_rd_bank_o   (b_rd_bank),
    .b_rd_addr_o   (b_rd_addr),
    .b_rd_data_i   (b_rd_data),
    .scores_o,
    .scores_valid_o,
    .frame_count_o,
    .frame_err_o
  );

  sf_weight_mem #(
    .Depth         (WDepth),
    .ValueWidth    (WeightBits),
    .Lanes         (1),
    .UseRdBank     (1'b1),
    .HostAddrWidth (WHostAw)
  ) u_wmem (
    .clk_i,
    .rst_ni,
    .active_bank_i    (host_bank_i),
    .host_req_i       (w_host_req_i),
    .host_req_is_wr_i (w_host_req_is_wr_i),
    .host_addr_i      (w_host_addr_i),
    .host_wr_data_i   (w_host_wr_data_i),
    .host_wr_biten_i  (w_host_wr_biten_i),
    .host_rd_ack_o    (w_host_rd_ack_o),
    .host_rd_data_o   (w_host_rd_data_o),
    .host_wr_ack_o    (w_host_wr_ack_o),
    .rd_en_i          (w_rd_en),
    .rd_bank_i        (w_rd_bank),
    .rd_addr_i        (w_rd_addr),
    .rd_data_o        (w_rd_data)
  );

  sf_weight_mem #(
    .Depth         (Classes),
    .ValueWidth    (BiasBits),
    .Lanes         (1),
    .UseRdBank     (1'b1),
    .HostAddrWidth (BHostAw)
  ) u_bmem (
    .clk_i,
    .rst_ni,
    .active_bank_i    (host_bank_i),
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
