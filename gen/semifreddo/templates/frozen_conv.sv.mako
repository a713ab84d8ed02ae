${header}
// Frozen convolution block ${blk.name}: ${blk.kernel}x${blk.kernel}, stride ${blk.stride}, \
${blk.cin} -> ${blk.cout} channels, ${blk.strategy} shift-add graph (no multipliers).
// Arithmetic: docs/arithmetic.md section 2.  The requantisation multiplier is folded into
// the constant matrix, the bias and the rounding constant into one constant per channel:
//   q = (m*W) x + (m*b + 2^(s-1)),   y = saturate(act(q >>> s)).
// Flow control: input slice -> window -> free-running pipeline (${blk.latency} cycles) ->
// output FIFO.  The input slice (a 4-deep sf_fifo, 3 clocks) makes s_axis_tready a flop:
// the window's ready logic stays inside the block instead of running into the
// producer's FIFO across the chip (a reference build's critical path, 14.2 ns).
// The window only issues while the FIFO has room for everything in flight (credits),
// so the pipeline never stalls and back-pressure never loses a pixel.  The room is a
// flop computed a clock early with one slot to spare (at most one issue happens in
// between), so the FIFO count never sits in front of the window and the datapath inputs.
module ${blk.module} (
  input  logic                     clk_i,
  input  logic                     rst_ni,

  input  logic                     s_axis_tvalid,
  output logic                     s_axis_tready,
  input  logic [${blk.in_width}-1:0]  s_axis_tdata,
  input  logic                     s_axis_tuser,
  input  logic                     s_axis_tlast,

  output logic                     m_axis_tvalid,
  input  logic                     m_axis_tready,
  output logic [${blk.out_width}-1:0]  m_axis_tdata,
  output logic                     m_axis_tuser,
  output logic                     m_axis_tlast,

  output logic                     frame_err_o
);

  localparam int unsigned Latency   = ${blk.latency};
  localparam int unsigned FifoDepth = ${blk.fifo_depth};
  localparam int unsigned CreditW   = $clog2(FifoDepth + 1) + 1;

  // ---------------------------------------------------------------- input slice
  logic                        in_tvalid, in_tready, in_tuser, in_tlast;
  logic [${blk.in_width}-1:0]  in_tdata;
  logic [2:0]                  in_count;

  sf_fifo #(
    .Width(${blk.in_width} + 2),
    .Depth(4)
  ) u_in_slice (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid,
    .s_axis_tready,
    .s_axis_tdata ({s_axis_tuser, s_axis_tlast, s_axis_tdata}),
    .m_axis_tvalid(in_tvalid),
    .m_axis_tready(in_tready),
    .m_axis_tdata ({in_tuser, in_tlast, in_tdata}),
    .count_o      (in_count)
  );

  // ---------------------------------------------------------------- window
  logic                        win_tvalid, win_tready, win_tuser, win_tlast;
  logic [${blk.window_width}-1:0] win_tdata;

  sf_window #(
    .Width    (${blk.width}),
    .Height   (${blk.height}),
    .Channels (${blk.cin}),
    .DataWidth(${blk.in_bits}),
    .Kernel   (${blk.kernel}),
    .Stride   (${blk.stride})
  ) u_window (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(in_tvalid),
    .s_axis_tready(in_tready),
    .s_axis_tdata (in_tdata),
    .s_axis_tuser (in_tuser),
    .s_axis_tlast (in_tlast),
    .m_axis_tvalid(win_tvalid),
    .m_axis_tready(win_tready),
    .m_axis_tdata (win_tdata),
    .m_axis_tuser (win_tuser),
    .m_axis_tlast (win_tlast),
    .frame_err_o
  );

  // ---------------------------------------------------------------- credits
  logic                        issue;
  logic [Latency-1:0]          vld_q, usr_q, lst_q;
  logic [CreditW-1:0]          inflight_d, inflight_q;
  logic [$clog2(FifoDepth+1)-1:0] fifo_count;
  logic                        fifo_ready;
  logic                        room_q;

  assign win_tready = room_q;
  assign issue      = win_tvalid && win_tready;
  assign inflight_d = inflight_q + CreditW'(issue) - CreditW'(vld_q[Latency-1]);

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      vld_q      <= '0;
      inflight_q <= '0;
      room_q     <= 1'b0;
    end else begin
      vld_q      <= {vld_q[Latency-2:0], issue};
      inflight_q <= inflight_d;
      // next clock: count + in flight <= (this count + inflight_d) + 1 issue
      room_q     <= (CreditW'(fifo_count) + inflight_d) < CreditW'(FifoDepth - 1);
    end
  end

  always_ff @(posedge clk_i) begin
    usr_q <= {usr_q[Latency-2:0], win_tuser};
    lst_q <= {lst_q[Latency-2:0], win_tlast};
  end

  // ---------------------------------------------------------------- dot products
  logic [${blk.cout * blk.acc_width}-1:0] acc;

  ${blk.dot_module} u_dot (
    .clk_i,
    .x_i(win_tdata),
    .y_o(acc)
  );

  // ---------------------------------------------------------------- requantise
  // q = acc + constant, then y = saturate(act(q >>> ${blk.shift})).
  logic signed [${blk.q_width}-1:0] q_q [${blk.cout}];
  logic [${blk.out_width}-1:0]     y_q;

  always_ff @(posedge clk_i) begin
% for ch in blk.channels:
    q_q[${ch.index}] <= ${blk.q_width}'(signed'(acc[${ch.index * blk.acc_width} +: ${blk.acc_width}])) + ${ch.constant};
% endfor
  end

  always_ff @(posedge clk_i) begin
% for ch in blk.channels:
    y_q[${ch.index * blk.out_bits} +: ${blk.out_bits}] <= saturate(q_q[${ch.index}]);
% endfor
  end

  // The ${blk.shift} bits below the rounding point are dropped by design (round-half-up
  // already added 2^(s-1) into the constant).
  /* verilator lint_off UNUSEDSIGNAL */
  function automatic logic [${blk.out_bits}-1:0] saturate(logic signed [${blk.q_width}-1:0] q);
    logic signed [${blk.r_width}-1:0] r;
    r = q[${blk.q_width}-1:${blk.shift}];
    if (r < ${blk.r_lo}) return ${blk.out_bits}'(${blk.r_lo});
    if (r > ${blk.r_hi}) return ${blk.out_bits}'(${blk.r_hi});
    return r[${blk.out_bits}-1:0];
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */

  // ---------------------------------------------------------------- output FIFO
  sf_fifo #(
    .Width(${blk.out_width} + 2),
    .Depth(FifoDepth)
  ) u_fifo (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(vld_q[Latency-1]),
    .s_axis_tready(fifo_ready),
    .s_axis_tdata ({usr_q[Latency-1], lst_q[Latency-1], y_q}),
    .m_axis_tvalid,
    .m_axis_tready,
    .m_axis_tdata ({m_axis_tuser, m_axis_tlast, m_axis_tdata}),
    .count_o      (fifo_count)
  );

  // fifo_ready is high whenever an item arrives: the credits guarantee room.
  logic unused_fifo_ready;
  assign unused_fifo_ready = fifo_ready;
  logic unused_in_count;   // the slice's fill level: not needed
  assign unused_in_count = ^in_count;

endmodule
