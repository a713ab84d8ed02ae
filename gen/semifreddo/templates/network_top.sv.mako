${header}
<%
    aw = m.addr_width
    def conn(ports):
        return ",\n".join(f"    .{p:<16}({s})" for p, s in ports)
    def params(ps):
        return ",\n".join(f"    .{k:<11}({v})" for k, v in ps)
%>\
// SemifreddoNet "${net.name}": frozen core + trainable cores ${" and ".join(c.name for c in net.cores)}, \
boundaries, ${"repeatable tail, " if net.repeat else ""}heads and the
// AXI4-Lite register slave ${m.top_module}.  Structure: docs/architecture.md; arithmetic:
// docs/arithmetic.md; register map: ${m.top_module}.md.  The netlist (which block feeds which,
// FIFO depths, parameters) comes from gen/semifreddo/network.py.
//
// Input: one image pixel stream (accepted while CTRL.enable is set).  Every frame is
// stamped with the weight bank active when its first pixel enters; every block computes
// the frame with that bank (frame tags), so a commit never mixes settings in a frame.
// Outputs, one stream per trainable core:
% for o in outs:
//   ${o.port}: ${o.kind}, ${o.beats} beat(s) per frame, ${o.data_width}-bit tdata\
% if o.kind != "scores":
 (${o.elems} x ${o.bits} bits, ${o.width}x${o.height} raster)
% else:
 (one signed score per class, class 0 first)
% endif
% endfor
// frame_done_o pulses when every output has delivered a whole frame (also STATUS/FRAME_COUNT).
module ${top} (
  input  logic              clk_i,
  input  logic              rst_ni,

  input  logic              s_axil_awvalid,
  output logic              s_axil_awready,
  input  logic [${aw - 1}:0]       s_axil_awaddr,
  input  logic [2:0]        s_axil_awprot,
  input  logic              s_axil_wvalid,
  output logic              s_axil_wready,
  input  logic [31:0]       s_axil_wdata,
  input  logic [3:0]        s_axil_wstrb,
  output logic              s_axil_bvalid,
  input  logic              s_axil_bready,
  output logic [1:0]        s_axil_bresp,
  input  logic              s_axil_arvalid,
  output logic              s_axil_arready,
  input  logic [${aw - 1}:0]       s_axil_araddr,
  input  logic [2:0]        s_axil_arprot,
  output logic              s_axil_rvalid,
  input  logic              s_axil_rready,
  output logic [31:0]       s_axil_rdata,
  output logic [1:0]        s_axil_rresp,

  input  logic              s_axis_tvalid,
  output logic              s_axis_tready,
  input  logic [${net.input_channels * net.input_bits - 1}:0]       s_axis_tdata,
  input  logic              s_axis_tuser,
  input  logic              s_axis_tlast,
% for o in outs:

  output logic              ${o.port}_tvalid,
  input  logic              ${o.port}_tready,
  output logic [${o.data_width - 1}:0]       ${o.port}_tdata,
  output logic              ${o.port}_tuser,
  output logic              ${o.port}_tlast,
% endfor

  output logic              frame_done_o,
  output logic              frame_err_o
);

  // ---------------------------------------------------------------------------------
  // Streams and wires
  // ---------------------------------------------------------------------------------
% for s in nl.streams:
  logic ${s.sig("valid")}, ${s.sig("ready")}, ${s.sig("user")}, ${s.sig("last")}${", " + s.sig("bank") if s.bank else ""};
  logic [${s.width - 1}:0] ${s.sig("data")};
% endfor
% for name, width in nl.wires:
  logic [${width - 1}:0] ${name};
% endfor
  logic enable, start, active_bank, frame_bank, frame_start, frame_done, frame_err;

  // Reset tree (timing: one net to every flop of the network crossed the chip): rst_ni
  // reaches one pipelined leaf per block, and one for this module's own logic and the
  // register slave (sf_reset_pipe: ${reset_pipe} flops), whose last flop sits next to its loads.
  // The whole network enters and leaves reset together, ${reset_pipe} clocks after rst_ni
  // falls or rises (rst_ni must rise synchronously to clk_i; hold it ${reset_pipe + 1} clocks).
  logic rst_top_n;
  sf_reset_pipe #(.Stages(${reset_pipe})) u_rst_top (.clk_i, .rst_ni, .rst_no(rst_top_n));
% for i in nl.insts:
  logic rst_${i.name.removeprefix("u_")}_n;
  sf_reset_pipe #(.Stages(${reset_pipe})) u_rst_${i.name.removeprefix("u_")} (.clk_i, .rst_ni, .rst_no(rst_${i.name.removeprefix("u_")}_n));
% endfor
% if shuffle:
  logic [1:0] shuffle;
% endif
% if repeats:
  logic [${2 * rw - 1}:0] repeats;
% endif

  // ---------------------------------------------------------------------------------
  // Register slave: control, bank state, run-time settings and weight memories
  // ---------------------------------------------------------------------------------
  ${m.top_module} u_regs (
    .clk_i,
    .rst_ni (rst_top_n),
    .s_axil_awvalid,
    .s_axil_awready,
    .s_axil_awaddr,
    .s_axil_awprot,
    .s_axil_wvalid,
    .s_axil_wready,
    .s_axil_wdata,
    .s_axil_wstrb,
    .s_axil_bvalid,
    .s_axil_bready,
    .s_axil_bresp,
    .s_axil_arvalid,
    .s_axil_arready,
    .s_axil_araddr,
    .s_axil_arprot,
    .s_axil_rvalid,
    .s_axil_rready,
    .s_axil_rdata,
    .s_axil_rresp,
    .frame_start_i   (frame_start),
    .frame_done_i    (frame_done),
    .frame_err_i     (frame_err),
    .enable_o        (enable),
    .start_o         (start),
    .active_bank_o   (active_bank),
    .frame_bank_o    (frame_bank),
% if shuffle:
    .shuffle_o       (shuffle),
% endif
% if repeats:
    .repeats_o       (repeats),
% endif
% for r in alphas:
    .${r.name}_o (${r.name}),
% endfor
${conn(b.rd_ports)}
  );

  // ---------------------------------------------------------------------------------
  // Input: gated by CTRL.enable, stamped with the frame's bank
  // ---------------------------------------------------------------------------------
  assign img_tvalid    = s_axis_tvalid & enable;
  assign s_axis_tready = img_tready & enable;
  assign img_tdata     = s_axis_tdata;
  assign img_tuser     = s_axis_tuser;
  assign img_tlast     = s_axis_tlast;
  assign img_tbank     = frame_bank;
  assign frame_start   = img_tvalid & img_tready & img_tuser;

  // ---------------------------------------------------------------------------------
  // Blocks
  // ---------------------------------------------------------------------------------
% for i in nl.insts:
  // ${i.comment}
% if i.params:
  ${i.module} #(
${params(i.params)}
  ) ${i.name} (
% else:
  ${i.module} ${i.name} (
% endif
    .clk_i,
    .rst_ni(rst_${i.name.removeprefix("u_")}_n),
${conn(i.ports)}
  );

% endfor
% for lhs, rhs in nl.assigns:
  assign ${lhs} = ${rhs};
% endfor

  // ---------------------------------------------------------------------------------
  // Outputs and frame events
  // ---------------------------------------------------------------------------------
% for o in b.outputs:
<% s, p = o["stream"], o["spec"].port %>\
  assign ${p}_tvalid = ${s.sig("valid")};
  assign ${s.sig("ready")} = ${p}_tready;
  assign ${p}_tdata  = ${s.sig("data")};
  assign ${p}_tuser  = ${s.sig("user")};
  assign ${p}_tlast  = ${s.sig("last")};
% endfor

  // End of frame on each output (last beat of the last row), then frame_done once every
  // output has finished the frame (outputs finish frames in order).
  localparam int unsigned Outputs = ${len(b.outputs)};
  logic [Outputs-1:0] eof, pending;
% for k, o in enumerate(outs):
<%
    p = o.port
    rows = 1 if o.kind == "scores" else o.height
    rw_ = max(1, (rows - 1).bit_length())
%>\
% if rows > 1:
  logic [${rw_ - 1}:0] out${k}_row_q;
  always_ff @(posedge clk_i or negedge rst_top_n) begin
    if (!rst_top_n) begin
      out${k}_row_q <= '0;
    end else if (${p}_tvalid && ${p}_tready && ${p}_tlast) begin
      out${k}_row_q <= (out${k}_row_q == ${rw_}'d${rows - 1}) ? '0 : out${k}_row_q + 1'b1;
    end
  end
  assign eof[${k}] = ${p}_tvalid & ${p}_tready & ${p}_tlast
                 & (out${k}_row_q == ${rw_}'d${rows - 1});
% else:
  assign eof[${k}] = ${p}_tvalid & ${p}_tready & ${p}_tlast;
% endif
% endfor

  logic [3:0] eof_count_q [Outputs];
  for (genvar k = 0; k < Outputs; k++) begin : gen_eof
    assign pending[k] = (eof_count_q[k] != '0);
    always_ff @(posedge clk_i or negedge rst_top_n) begin
      if (!rst_top_n) eof_count_q[k] <= '0;
      else eof_count_q[k] <= eof_count_q[k] + 4'(eof[k]) - 4'(frame_done);
    end
  end
  assign frame_done   = &pending;
  assign frame_done_o = frame_done;

  // The blocks' sticky error flags, gathered from all over the chip through a flop
  // (timing; a clock of latency on a sticky flag changes nothing).
  logic frame_err_q;
  always_ff @(posedge clk_i or negedge rst_top_n) begin
    if (!rst_top_n) frame_err_q <= 1'b0;
    else         frame_err_q <= ${" | ".join(nl.errors) if nl.errors else "1'b0"};
  end
  assign frame_err   = frame_err_q;
  assign frame_err_o = frame_err;

  // Signals nobody reads (CTRL.start: the streaming datapath needs no start pulse).
  logic unused;
  assign unused = ^{start, active_bank${"".join(", " + u for u in nl.unused)}};

endmodule
