${header}
// Frozen convolution block ${blk.name}: ${blk.kernel}x${blk.kernel}, stride ${blk.stride}, \
${blk.cin} -> ${blk.cout} channels, ${blk.strategy} shift-add graph (no multipliers).
// Arithmetic: docs/arithmetic.md section 2.  The requantisation multiplier is folded into
// the constant matrix, the bias and the rounding constant into one constant per channel:
//   q = (m*W) x + (m*b + 2^(s-1)),   y = saturate(act(q >>> s)).
// Flow control: input slice -> window -> free-running pipeline (${blk.latency} cycles) ->
// output FIFO.  The input slice (a ${blk.in_depth}-deep sf_fifo, 3 clocks) makes s_axis_tready a flop:
// the window's ready logic stays inside the block instead of running into the
// producer's FIFO across the chip (a reference build's critical path, 14.2 ns).
% if blk.digits > 1:
// Digit-serial: each window goes through the shift-add graph in ${blk.digits} digits of \
${blk.digit_bits} bits,
// most significant first, one a clock (docs/arithmetic.md section 2), so the block takes
// a window every ${blk.digits} clocks; the input slice is deep enough to absorb a producer
// that sends a row at a higher rate and then pauses (a stride-2 block before it).  A
// 4-deep stage (3 more clocks) between the slice and the window takes the window's pop.
% endif
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
  logic [$clog2(${blk.in_depth}+1)-1:0] in_count;

  logic                        sl_tvalid, sl_tready;
  logic [${blk.in_width}+1:0]  sl_tdata;   // {tuser, tlast, tdata}

  sf_fifo #(
    .Width(${blk.in_width} + 2),
    .Depth(${blk.in_depth})
  ) u_in_slice (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid,
    .s_axis_tready,
    .s_axis_tdata ({s_axis_tuser, s_axis_tlast, s_axis_tdata}),
    .m_axis_tvalid(sl_tvalid),
    .m_axis_tready(sl_tready),
    .m_axis_tdata (sl_tdata),
    .count_o      (in_count)
  );

% if blk.digits > 1:
  // The deep slice is LUT RAM spread over an area; its pop would hang on the window's
  // ready (the last-digit flop, through sf_window's advance).  A 4-deep stage beside the
  // window takes that pop instead, and the slice's pop hangs on the stage's ready, a flop
  // (a reference build had 11.4 ns of route from last_q into the slice's flags).
  logic [2:0] stage_count;

  sf_fifo #(
    .Width(${blk.in_width} + 2),
    .Depth(4)
  ) u_in_stage (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(sl_tvalid),
    .s_axis_tready(sl_tready),
    .s_axis_tdata (sl_tdata),
    .m_axis_tvalid(in_tvalid),
    .m_axis_tready(in_tready),
    .m_axis_tdata ({in_tuser, in_tlast, in_tdata}),
    .count_o      (stage_count)
  );
% else:
  assign in_tvalid                        = sl_tvalid;
  assign sl_tready                        = in_tready;
  assign {in_tuser, in_tlast, in_tdata}   = sl_tdata;
% endif

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

% if blk.digits > 1:
  // ---------------------------------------------------------------- digits
  // A window starts when the credits allow one more result; its digits follow on the
  // next clocks while the window holds it, and it is accepted with the last digit.
  localparam int unsigned Digits  = ${blk.digits};
  localparam int unsigned DigitW  = ${blk.digit_bits};
  localparam int unsigned PadW    = ${blk.padded_bits};   // Digits * DigitW >= ${blk.in_bits}
  localparam int unsigned Copies  = ${blk.digit_copies};  // of the digit counter, ${blk.select_fanout} values each
  localparam int unsigned SelW    = $clog2(Digits);
  localparam logic [SelW-1:0] LastDigit = SelW'(Digits - 1);

  // idle_q (digit_q == 0) and last_q (digit_q == LastDigit) are flops of their own: the
  // window's ready fans out to its stage enables and on into the input slice (a reference
  // build had 680 late enables there with a compare of digit_q in front).
  logic [SelW-1:0] digit_d, digit_q;
  logic            idle_q, last_q;
  logic [SelW-1:0] sel_q [Copies];
  logic [${blk.n_in * blk.digit_bits}-1:0] x_digit;

  assign issue      = win_tvalid && room_q && idle_q;
  assign win_tready = last_q;
  assign digit_d    = (issue || !idle_q) ? (last_q ? '0 : digit_q + 1'b1) : digit_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      digit_q <= '0;
      idle_q  <= 1'b1;
      last_q  <= 1'b0;
    end else begin
      digit_q <= digit_d;
      idle_q  <= digit_d == '0;
      last_q  <= digit_d == LastDigit;
    end
  end

  // The copies of the digit counter.  keep goes on the always_ff (on the variable, Yosys
  // merges the equal flops into one: the reference's builds before session 14 had one).
  for (genvar k = 0; k < Copies; k++) begin : gen_sel
    (* keep *) always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) sel_q[k] <= '0;
      else         sel_q[k] <= digit_d;
    end
  end

  for (genvar j = 0; j < ${blk.n_in}; j++) begin : gen_digit
    logic [PadW-1:0]   u;          // the value as unsigned${' (sign bit flipped)' if blk.flip else ''}, zero-extended
    logic [DigitW-1:0] d [Digits]; // d[k]: digit k, most significant first
% if blk.flip:
    assign u = PadW'(win_tdata[j*${blk.in_bits} +: ${blk.in_bits}] ^ ${blk.in_bits}'d${blk.flip});
% else:
    assign u = PadW'(win_tdata[j*${blk.in_bits} +: ${blk.in_bits}]);
% endif
    for (genvar k = 0; k < Digits; k++) begin : gen_k
      assign d[k] = u[PadW - DigitW*(k+1) +: DigitW];
    end
    assign x_digit[j*DigitW +: DigitW] = d[sel_q[j / ${blk.select_fanout}]];
  end
% else:
  assign win_tready = room_q;
  assign issue      = win_tvalid && win_tready;
% endif
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
% if blk.digits > 1:
  logic [${blk.cout * blk.dot_width}-1:0] y_digit;

  ${blk.dot_module} u_dot (
    .clk_i,
    .x_i(x_digit),
    .y_o(y_digit)
  );

  // acc = (acc << DigitW) + W d, restarted by a window's first digit (${blk.dot_latency} clocks after
  // it entered).  Exact: every partial sum is W u' for a prefix u' of the digits, inside
  // the ${blk.acc_width}-bit range of W u.  first_q[c] (= vld_q[${blk.dot_latency - 1}]) is one flop per output
  // channel, beside its accumulator: one flop for all of them had 9 ns of route into the
  // channels' adder chains in a reference build.
  logic first_q [${blk.cout}];
  logic signed [${blk.acc_width}-1:0] acc_q [${blk.cout}];

  for (genvar c = 0; c < ${blk.cout}; c++) begin : gen_first
    (* keep *) always_ff @(posedge clk_i or negedge rst_ni) begin   // kept: see sel_q
      if (!rst_ni) first_q[c] <= 1'b0;
% if blk.dot_latency >= 2:
      else         first_q[c] <= vld_q[${blk.dot_latency - 2}];
% else:
      else         first_q[c] <= issue;
% endif
    end
  end

  always_ff @(posedge clk_i) begin
% for ch in blk.channels:
    acc_q[${ch.index}] <= (first_q[${ch.index}] ? '0 : acc_q[${ch.index}] <<< DigitW)
        + ${blk.acc_width}'(signed'(y_digit[${ch.index * blk.dot_width} +: ${blk.dot_width}]));
% endfor
  end
% else:
  logic [${blk.cout * blk.acc_width}-1:0] acc;

  ${blk.dot_module} u_dot (
    .clk_i,
    .x_i(win_tdata),
    .y_o(acc)
  );
% endif

  // ---------------------------------------------------------------- requantise
  // q = acc + constant, then y = saturate(act(q >>> ${blk.shift})).
  logic signed [${blk.q_width}-1:0] q_q [${blk.cout}];
  logic [${blk.out_width}-1:0]     y_q;

  always_ff @(posedge clk_i) begin
% for ch in blk.channels:
% if blk.digits > 1:
    q_q[${ch.index}] <= ${blk.q_width}'(acc_q[${ch.index}]) + ${ch.constant};
% else:
    q_q[${ch.index}] <= ${blk.q_width}'(signed'(acc[${ch.index * blk.acc_width} +: ${blk.acc_width}])) + ${ch.constant};
% endif
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
  logic unused_in_count;   // the slices' fill levels: not needed
% if blk.digits > 1:
  assign unused_in_count = ^{in_count, stage_count};
% else:
  assign unused_in_count = ^in_count;
% endif

endmodule
