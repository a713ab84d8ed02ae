${header}
<%
    n_out = len(outs)
%>\
// UART-controlled SoC of network "${net.name}" (gen/semifreddo/soc.py):
//   sf_hostlink (UART ${baud} baud at ${clk_hz} Hz -> AXI4-Lite master)
//   -> sf_axil_split (address bit ${sel_bit}) -> 0x0000_0000: ${nd.top} (register slave)
//                                     -> ${"%#011x" % (1 << sel_bit)}: sf_axil_stream (pixels in, results out)
// Result stream k of the bridge = output k of the network (${", ".join(o.port for o in outs)}).
// LEDs: 0 heartbeat, 1 toggles per frame, 2 frame error (sticky in ERR), 3 UART overrun.
module ${top} (
  input  logic       clk_i,
  input  logic       rst_ni,
  input  logic       uart_rx_i,
  output logic       uart_tx_o,
  output logic [7:0] led_o
);

  // ---------------------------------------------------------------- reset tree
  // As in the network top: rst_ni reaches one pipelined leaf per part (sf_reset_pipe,
  // ${reset_pipe} flops), not every flop of the host link and bridges.
  logic rst_link_n, rst_split_n, rst_stream_n, rst_led_n;
  sf_reset_pipe #(.Stages(${reset_pipe})) u_rst_link   (.clk_i, .rst_ni, .rst_no(rst_link_n));
  sf_reset_pipe #(.Stages(${reset_pipe})) u_rst_split  (.clk_i, .rst_ni, .rst_no(rst_split_n));
  sf_reset_pipe #(.Stages(${reset_pipe})) u_rst_stream (.clk_i, .rst_ni, .rst_no(rst_stream_n));
  sf_reset_pipe #(.Stages(${reset_pipe})) u_rst_led    (.clk_i, .rst_ni, .rst_no(rst_led_n));

  // ---------------------------------------------------------------- host link
  logic [31:0] h_awaddr, h_araddr;
  logic [2:0]  h_awprot, h_arprot;
  logic        h_awvalid, h_awready, h_wvalid, h_wready, h_bvalid, h_bready;
  logic        h_arvalid, h_arready, h_rvalid, h_rready;
  logic [31:0] h_wdata, h_rdata;
  logic [3:0]  h_wstrb;
  logic [1:0]  h_bresp, h_rresp;
  logic        rx_overrun;

  sf_hostlink #(
    .ClkHz    (${clk_hz}),
    .Baud     (${baud}),
    .AddrWidth(32)
  ) u_hostlink (
    .clk_i,
    .rst_ni   (rst_link_n),
    .uart_rx_i,
    .uart_tx_o,
    .rx_overrun_o  (rx_overrun),
    .m_axil_awaddr (h_awaddr),
    .m_axil_awprot (h_awprot),
    .m_axil_awvalid(h_awvalid),
    .m_axil_awready(h_awready),
    .m_axil_wdata  (h_wdata),
    .m_axil_wstrb  (h_wstrb),
    .m_axil_wvalid (h_wvalid),
    .m_axil_wready (h_wready),
    .m_axil_bresp  (h_bresp),
    .m_axil_bvalid (h_bvalid),
    .m_axil_bready (h_bready),
    .m_axil_araddr (h_araddr),
    .m_axil_arprot (h_arprot),
    .m_axil_arvalid(h_arvalid),
    .m_axil_arready(h_arready),
    .m_axil_rdata  (h_rdata),
    .m_axil_rresp  (h_rresp),
    .m_axil_rvalid (h_rvalid),
    .m_axil_rready (h_rready)
  );

  // ---------------------------------------------------------------- address split
% for p, aw in (("r", regs_aw), ("s", stream_aw)):
  logic [${aw - 1}:0] ${p}_awaddr, ${p}_araddr;
  logic [2:0]  ${p}_awprot, ${p}_arprot;
  logic        ${p}_awvalid, ${p}_awready, ${p}_wvalid, ${p}_wready, ${p}_bvalid, ${p}_bready;
  logic        ${p}_arvalid, ${p}_arready, ${p}_rvalid, ${p}_rready;
  logic [31:0] ${p}_wdata, ${p}_rdata;
  logic [3:0]  ${p}_wstrb;
  logic [1:0]  ${p}_bresp, ${p}_rresp;
% endfor

  sf_axil_split #(
    .AddrWidth  (32),
    .SelBit     (${sel_bit}),
    .M0AddrWidth(${regs_aw}),
    .M1AddrWidth(${stream_aw})
  ) u_split (
    .clk_i,
    .rst_ni   (rst_split_n),
% for s in ("awaddr", "awprot", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bresp", "bvalid", "bready", "araddr", "arprot", "arvalid", "arready", "rdata", "rresp", "rvalid", "rready"):
    .s_axil_${s}(h_${s}),
% endfor
% for k, p in ((0, "r"), (1, "s")):
% for s in ("awaddr", "awprot", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bresp", "bvalid", "bready", "araddr", "arprot", "arvalid", "arready", "rdata", "rresp", "rvalid", "rready"):
    .m${k}_axil_${s}(${p}_${s})${"" if (k == 1 and s == "rready") else ","}
% endfor
% endfor
  );

  // ---------------------------------------------------------------- network
  logic                img_tvalid, img_tready, img_tuser, img_tlast;
  logic [${net.input_channels * net.input_bits - 1}:0]         img_tdata;
  logic [${n_out - 1}:0]          res_tvalid, res_tready, res_tuser, res_tlast;
  logic [${n_out * item_bits - 1}:0]         res_tdata;
% for o in outs:
  logic [${o.data_width - 1}:0]         ${o.core}_tdata;
% endfor
  logic                frame_done, frame_err;

  ${nd.top} u_net (
    .clk_i,
    .rst_ni,
% for s in ("awaddr", "awprot", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bresp", "bvalid", "bready", "araddr", "arprot", "arvalid", "arready", "rdata", "rresp", "rvalid", "rready"):
    .s_axil_${s}(r_${s}),
% endfor
    .s_axis_tvalid(img_tvalid),
    .s_axis_tready(img_tready),
    .s_axis_tdata (img_tdata),
    .s_axis_tuser (img_tuser),
    .s_axis_tlast (img_tlast),
% for k, o in enumerate(outs):
    .${o.port}_tvalid(res_tvalid[${k}]),
    .${o.port}_tready(res_tready[${k}]),
    .${o.port}_tdata (${o.core}_tdata),
    .${o.port}_tuser (res_tuser[${k}]),
    .${o.port}_tlast (res_tlast[${k}]),
% endfor
    .frame_done_o (frame_done),
    .frame_err_o  (frame_err)
  );

  // Result items: ${item_bits}-bit words (scores sign-extended or saturated, pixels as packed).
% for k, o in enumerate(outs):
% if o.kind == "scores" and o.bits > item_bits:
  localparam logic signed [${o.bits - 1}:0] ScoreMax${k} = ${o.bits}'sd${(1 << (item_bits - 1)) - 1};
  localparam logic signed [${o.bits - 1}:0] ScoreMin${k} = -${o.bits}'sd${1 << (item_bits - 1)};
  assign res_tdata[${k * item_bits} +: ${item_bits}] =
      (signed'(${o.core}_tdata) > ScoreMax${k}) ? ${item_bits}'h${"%x" % ((1 << (item_bits - 1)) - 1)}
    : (signed'(${o.core}_tdata) < ScoreMin${k}) ? ${item_bits}'h${"%x" % (1 << (item_bits - 1))}
    : ${o.core}_tdata[${item_bits - 1}:0];
  logic unused_${o.core};
  assign unused_${o.core} = ^${o.core}_tdata[${o.bits - 1}:${item_bits}];
% elif o.kind == "scores":
  assign res_tdata[${k * item_bits} +: ${item_bits}] = ${item_bits}'(signed'(${o.core}_tdata));
% else:
  assign res_tdata[${k * item_bits} +: ${item_bits}] = ${item_bits}'(${o.core}_tdata);
% endif
% endfor

  // ---------------------------------------------------------------- stream bridge
  sf_axil_stream #(
    .Width    (${net.input_width}),
    .Height   (${net.input_height}),
    .Channels (${net.input_channels}),
    .Bits     (${net.input_bits}),
    .NumOut   (${n_out}),
    .OutWidth (${item_bits}),
    .InDepth  (${in_depth}),
    .OutDepth (${out_depth}),
    .AddrWidth(${stream_aw})
  ) u_stream (
    .clk_i,
    .rst_ni   (rst_stream_n),
% for s in ("awaddr", "awprot", "awvalid", "awready", "wdata", "wstrb", "wvalid", "wready", "bresp", "bvalid", "bready", "araddr", "arprot", "arvalid", "arready", "rdata", "rresp", "rvalid", "rready"):
    .s_axil_${s}(s_${s}),
% endfor
    .m_axis_tvalid(img_tvalid),
    .m_axis_tready(img_tready),
    .m_axis_tdata (img_tdata),
    .m_axis_tuser (img_tuser),
    .m_axis_tlast (img_tlast),
    .s_axis_tvalid(res_tvalid),
    .s_axis_tready(res_tready),
    .s_axis_tdata (res_tdata),
    .s_axis_tuser (res_tuser),
    .s_axis_tlast (res_tlast)
  );

  // ---------------------------------------------------------------- LEDs
  logic [25:0] beat_q;
  logic        frame_toggle_q, overrun_q;
  always_ff @(posedge clk_i or negedge rst_led_n) begin
    if (!rst_led_n) begin
      beat_q         <= '0;
      frame_toggle_q <= 1'b0;
      overrun_q      <= 1'b0;
    end else begin
      beat_q <= beat_q + 1'b1;
      if (frame_done) frame_toggle_q <= ~frame_toggle_q;
      if (rx_overrun) overrun_q <= 1'b1;
    end
  end
  assign led_o = {4'b0, overrun_q, frame_err, frame_toggle_q, beat_q[25]};

endmodule
