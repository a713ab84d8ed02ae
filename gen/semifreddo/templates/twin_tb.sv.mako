${header}\
// Toggle/throughput testbench of make bench (frozen core or its configurable twin), clocked
// by the C++ driver twin_tb_main.cpp: reset, load the weights over the host bus (twin
// only), then stream ${npix} pixels back to back (tvalid high, m_axis_tready high) and
// write every output beat to out.hex.  load_done_o: streaming starts (the driver zeroes
// the toggle coverage there); done_o: all ${nout} output beats seen.
module ${tb} (
  input  logic clk_i,
  output logic load_done_o,
  output logic done_o
);
  localparam int unsigned NPix  = ${npix};
  localparam int unsigned NLoad = ${max(nload, 1)};
  localparam int unsigned NOut  = ${nout};
  localparam int unsigned FramePix = ${frame_pixels};
  localparam int unsigned Width = ${width};

  logic [${in_width}-1:0] pix [NPix];
  logic [${addr_bits} + 32 - 1:0] ld [NLoad];
  initial begin
    $readmemh("stim.hex", pix);
% if nload:
    $readmemh("load.hex", ld);
% endif
  end

  logic        rst_n;
  logic [3:0]  rst_cnt = '0;
  always_ff @(posedge clk_i) if (rst_cnt != 4'hf) rst_cnt <= rst_cnt + 1'b1;
  assign rst_n = (rst_cnt == 4'hf);

  // ------------------------------------------------------------------ load
  logic [31:0] ld_idx = '0;
  logic        ld_req = 1'b0, ld_wait = 1'b0, loaded = ${"1'b0" if nload else "1'b1"};
  logic        wr_ack;
  always_ff @(posedge clk_i) begin
    if (rst_n && !loaded) begin
      if (!ld_req && !ld_wait) begin
        ld_req <= 1'b1;
      end else if (ld_req) begin
        ld_req  <= 1'b0;
        ld_wait <= 1'b1;
      end else if (wr_ack) begin
        ld_wait <= 1'b0;
        ld_idx  <= ld_idx + 1;
        if (ld_idx == NLoad - 1) loaded <= 1'b1;
      end
    end
  end
  assign load_done_o = loaded && rst_n;

  // ------------------------------------------------------------------ stream
  logic [31:0] in_idx = '0, out_cnt = '0;
  logic        s_tvalid, s_tready, m_tvalid, m_tuser, m_tlast;
  logic [${out_width}-1:0] m_tdata;
  logic        err;
  assign s_tvalid = rst_n && loaded && (in_idx < NPix);
  integer fd;
  initial fd = $fopen("out.hex", "w");
  logic [31:0] clk_cnt = '0, first_acc = '0, last_acc = '0;
  always_ff @(posedge clk_i) begin
    clk_cnt <= clk_cnt + 1;
    if (s_tvalid && s_tready) begin
      in_idx   <= in_idx + 1;
      last_acc <= clk_cnt;
      if (in_idx == 0) first_acc <= clk_cnt;
    end
    if (m_tvalid) begin
      $fwrite(fd, "%h %0d %0d\n", m_tdata, m_tuser, m_tlast);
      out_cnt <= out_cnt + 1;
    end
  end
  assign done_o = (out_cnt == NOut);
  final begin
    $fclose(fd);
    fd = $fopen("accept.txt", "w");
    $fwrite(fd, "%0d %0d\n", first_acc, last_acc);
    $fclose(fd);
    if (err) $display("frame_err");
  end

% if twin:
  logic unused;
  logic [31:0] rd_data;
  logic rd_ack, m_tbank;
  assign unused = ^{rd_data, rd_ack, m_tbank};
  ${dut} u_dut (
    .clk_i, .rst_ni(rst_n), .active_bank_i(1'b0),
    .host_req_i(ld_req), .host_req_is_wr_i(1'b1),
    .host_addr_i(ld[ld_idx][${addr_bits} + 31:32]), .host_wr_data_i(ld[ld_idx][31:0]),
    .host_wr_biten_i('1), .host_rd_ack_o(rd_ack), .host_rd_data_o(rd_data), .host_wr_ack_o(wr_ack),
    .s_axis_tvalid(s_tvalid), .s_axis_tready(s_tready), .s_axis_tdata(pix[in_idx]),
    .s_axis_tuser(in_idx % FramePix == 0), .s_axis_tlast(in_idx % Width == Width - 1),
    .s_axis_tbank(1'b1),
    .m_axis_tvalid(m_tvalid), .m_axis_tready(1'b1), .m_axis_tdata(m_tdata),
    .m_axis_tuser(m_tuser), .m_axis_tlast(m_tlast), .m_axis_tbank(m_tbank), .frame_err_o(err));
% else:
  assign wr_ack = 1'b0;
  ${dut} u_dut (
    .clk_i, .rst_ni(rst_n),
    .s_axis_tvalid(s_tvalid), .s_axis_tready(s_tready), .s_axis_tdata(pix[in_idx]),
    .s_axis_tuser(in_idx % FramePix == 0), .s_axis_tlast(in_idx % Width == Width - 1),
    .m_axis_tvalid(m_tvalid), .m_axis_tready(1'b1), .m_axis_tdata(m_tdata),
    .m_axis_tuser(m_tuser), .m_axis_tlast(m_tlast), .frame_err_o(err));
% endif
endmodule
