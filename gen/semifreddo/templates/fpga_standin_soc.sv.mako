${header}
// STAND-IN SoC for the FPGA flow (gen/semifreddo/fpga.py: standin_soc), to be replaced by
// the real ${top} from semifreddo.soc (host link -> AXI4-Lite -> network + image stream
// bridge) as soon as that exists; the flow switches automatically.
//
// Same port contract as the real SoC.  What it holds, so that place and route and the
// resource breakdown see every kind of logic:
//   * sf_hostlink (UART ${baud} baud, ClkHz from the PLL) -> AXI4-Lite -> ${regs} (the
//     generated register slave: regblock, settings, weight memories);
//   * ${core} (the generated frozen core) fed by a test pattern (enabled by CTRL.enable,
//     ${s.width}x${s.height} frames, ${s.channels} channels of ${s.in_bits} bits); its output stream is
//     always ready and folded into a checksum;
//   * every register-slave output and every weight memory (read continuously at a
//     counting address) is folded into the LEDs, so nothing is optimised away.
//     This is NOT the network's function: the real SoC streams images from the host.
// LEDs: [0] heartbeat, [1] active bank, [2] frame error (sticky), [3] UART RX overrun
// (sticky), [7:4] checksum of the core output and the register-slave outputs.
module ${top} #(
  parameter int unsigned ClkHz = ${clk_hz},
  parameter int unsigned Baud  = ${baud}
) (
  input  logic       clk_i,
  input  logic       rst_ni,
  input  logic       uart_rx_i,
  output logic       uart_tx_o,
  output logic [7:0] led_o
);

  // --- host link: UART -> AXI4-Lite master -----------------------------------------
  logic [${aw - 1}:0] axil_awaddr, axil_araddr;
  logic [2:0]  axil_awprot, axil_arprot;
  logic        axil_awvalid, axil_awready, axil_wvalid, axil_wready, axil_bvalid, axil_bready;
  logic        axil_arvalid, axil_arready, axil_rvalid, axil_rready;
  logic [31:0] axil_wdata, axil_rdata;
  logic [3:0]  axil_wstrb;
  logic [1:0]  axil_bresp, axil_rresp;
  logic        rx_overrun;

  sf_hostlink #(
    .ClkHz    (ClkHz),
    .Baud     (Baud),
    .AddrWidth(${aw})
  ) u_hostlink (
    .clk_i,
    .rst_ni,
    .uart_rx_i,
    .uart_tx_o,
    .rx_overrun_o  (rx_overrun),
    .m_axil_awaddr (axil_awaddr),
    .m_axil_awprot (axil_awprot),
    .m_axil_awvalid(axil_awvalid),
    .m_axil_awready(axil_awready),
    .m_axil_wdata  (axil_wdata),
    .m_axil_wstrb  (axil_wstrb),
    .m_axil_wvalid (axil_wvalid),
    .m_axil_wready (axil_wready),
    .m_axil_bresp  (axil_bresp),
    .m_axil_bvalid (axil_bvalid),
    .m_axil_bready (axil_bready),
    .m_axil_araddr (axil_araddr),
    .m_axil_arprot (axil_arprot),
    .m_axil_arvalid(axil_arvalid),
    .m_axil_arready(axil_arready),
    .m_axil_rdata  (axil_rdata),
    .m_axil_rresp  (axil_rresp),
    .m_axil_rvalid (axil_rvalid),
    .m_axil_rready (axil_rready)
  );

  // --- register slave -----------------------------------------------------------------
  logic frame_start, frame_done, frame_err;
% for p in regs_ports:
%   if p.direction == "output":
  logic ${"" if p.width == 1 else f"[{p.width - 1}:0] "}${p.wire};
%   endif
% endfor
  logic [15:0] rd_count_q;

  ${regs} u_regs (
    .clk_i,
    .rst_ni,
    .s_axil_awvalid(axil_awvalid),
    .s_axil_awready(axil_awready),
    .s_axil_awaddr (axil_awaddr),
    .s_axil_awprot (axil_awprot),
    .s_axil_wvalid (axil_wvalid),
    .s_axil_wready (axil_wready),
    .s_axil_wdata  (axil_wdata),
    .s_axil_wstrb  (axil_wstrb),
    .s_axil_bvalid (axil_bvalid),
    .s_axil_bready (axil_bready),
    .s_axil_bresp  (axil_bresp),
    .s_axil_arvalid(axil_arvalid),
    .s_axil_arready(axil_arready),
    .s_axil_araddr (axil_araddr),
    .s_axil_arprot (axil_arprot),
    .s_axil_rvalid (axil_rvalid),
    .s_axil_rready (axil_rready),
    .s_axil_rdata  (axil_rdata),
    .s_axil_rresp  (axil_rresp),
% for p in regs_ports:
    .${p.name}(${p.wire})${"," if not loop.last else ""}
% endfor
  );

  // Weight-memory read addresses: a free-running counter (stand-in only).
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) rd_count_q <= '0;
    else         rd_count_q <= rd_count_q + 16'd1;
  end

  // --- test pattern -> frozen core ----------------------------------------------------
  localparam int unsigned Width  = ${s.width};
  localparam int unsigned Height = ${s.height};

  logic [${s.xw - 1}:0] px_x_q;
  logic [${s.yw - 1}:0] px_y_q;
  logic [7:0]  frame_q;
  logic        in_valid, in_ready, in_user, in_last;
  logic [${s.in_width - 1}:0] in_data;

  assign in_valid = ${enable};
  assign in_user  = (px_x_q == '0) && (px_y_q == '0);
  assign in_last  = (px_x_q == ${s.xw}'(Width - 1));
% for c in range(s.channels):
  assign in_data[${c * s.in_bits} +: ${s.in_bits}] = ${s.in_bits}'(px_x_q) ^ ${s.in_bits}'(px_y_q * ${2 * c + 3}) ^ ${s.in_bits}'(frame_q + 8'd${c});
% endfor

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      px_x_q  <= '0;
      px_y_q  <= '0;
      frame_q <= '0;
    end else if (in_valid && in_ready) begin
      if (in_last) begin
        px_x_q <= '0;
        if (px_y_q == ${s.yw}'(Height - 1)) begin
          px_y_q  <= '0;
          frame_q <= frame_q + 8'd1;
        end else begin
          px_y_q <= px_y_q + ${s.yw}'d1;
        end
      end else begin
        px_x_q <= px_x_q + ${s.xw}'d1;
      end
    end
  end
  assign frame_start = in_valid && in_ready && in_user;

  logic                        out_valid, out_user, out_last;
  logic [${s.out_width - 1}:0] out_data;

  ${core} u_core (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(in_valid),
    .s_axis_tready(in_ready),
    .s_axis_tdata (in_data),
    .s_axis_tuser (in_user),
    .s_axis_tlast (in_last),
    .m_axis_tvalid(out_valid),
    .m_axis_tready(1'b1),
    .m_axis_tdata (out_data),
    .m_axis_tuser (out_user),
    .m_axis_tlast (out_last),
    .frame_err_o  (frame_err)
  );

  // frame_done: the last row of an output frame (${s.out_height} rows) has left the core
  logic [${s.ow - 1}:0] out_row_q;
  assign frame_done = out_valid && out_last && (out_row_q == ${s.ow}'(${s.out_height - 1}));
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      out_row_q <= '0;
    end else if (out_valid && out_last) begin
      out_row_q <= frame_done ? '0 : out_row_q + ${s.ow}'d1;
    end
  end

  // --- LEDs ---------------------------------------------------------------------------
  logic [7:0]  out_fold, regs_fold, csum_q, obs_q;
  logic [25:0] beat_q;
  logic        frame_err_q, overrun_q, unused_out_user;

  assign unused_out_user = out_user;
  assign out_fold  = ${" ^ ".join(out_fold)};
  assign regs_fold = ${" ^ ".join(regs_fold) if regs_fold else "8'h00"};

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      csum_q      <= '0;
      obs_q       <= '0;
      beat_q      <= '0;
      frame_err_q <= 1'b0;
      overrun_q   <= 1'b0;
    end else begin
      if (out_valid) csum_q <= {csum_q[6:0], csum_q[7]} ^ out_fold;
      obs_q       <= csum_q ^ regs_fold;
      beat_q      <= beat_q + 26'd1;
      frame_err_q <= frame_err_q | frame_err;
      overrun_q   <= overrun_q | rx_overrun;
    end
  end

  assign led_o = {obs_q[3:0] ^ obs_q[7:4], overrun_q, frame_err_q, ${bank}, beat_q[25]};

endmodule
