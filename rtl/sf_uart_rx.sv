// SemifreddoNets-HW: UART receiver, 8 data bits, no parity, 1 stop bit (8N1), LSB first.
//
// Timing
// ------
// A 16x oversampling tick comes from a fractional accumulator: every clock it adds
// Inc = 16*Baud/g and wraps at Mod = ClkHz/g (g = gcd(ClkHz, 16*Baud)), so the MEAN
// sample rate is exactly 16*Baud for any ClkHz >= 16*Baud (no rounding of a divider);
// each individual sample is late by less than one clock.  The accumulator is re-phased
// at every start-bit edge (to Mod/2, i.e. rounded to the nearest clock), so sample k of
// a frame lies within +-1/2 clock of k/16 bit after the (synchronised) falling edge.
// Examples: 48 MHz / 3 Mbaud = 1 tick per clock (exact 16x); 60 MHz / 3 Mbaud = 4 ticks
// per 5 clocks (20 clocks per bit, sampling jitter 1 clock = 1/20 bit).
//
// Sampling
// --------
//   * rxd_i goes through a 2-flop synchroniser (reset to idle = 1).
//   * Idle: the synchronised line is checked every clock; a 0 starts a frame (sample 0).
//   * Glitch filter: the start bit must be 0 at EVERY sample 1..8 (at least half a bit,
//     up to and including the bit centre); a 1 at any of them returns to idle at once
//     (so a real start edge right after a glitch is still caught).  A low pulse shorter
//     than half a bit therefore never produces a byte.
//   * Every bit (start, 8 data, stop) is the majority of samples 7, 8, 9 (centre = 8).
//     Data is decided at sample 9 of each bit; the frame ends at sample 9 of the stop
//     bit (9 9/16 bit after the edge), so the next start edge may come that early.
//   * Tolerance: with this scheme any sender whose bit rate is within about +-3.5 % of
//     Baud is received without error (measured by tb/sf_uart_rx: +-3 % with 0 errors).
//
// Results (exactly one per frame)
// -------------------------------
//   * good stop bit, output register free (or being emptied this clock): the byte is
//     presented on m_axis (registered tdata/tvalid, held until tready).
//   * good stop bit, previous byte still not taken: the NEW byte is dropped and
//     overrun_o pulses for one clock (the held byte stays valid, AXI-Stream rules).
//   * stop bit 0 and data != 0x00: frame error: NO byte is output, frame_err_o pulses
//     for one clock, then the receiver waits for the line to be 1 before it looks for
//     the next start bit (a frame error means it lost the frame alignment).
//   * stop bit 0 and data == 0x00: break candidate: if the line stays 0 to the end of
//     the stop bit (10 bit times low in all: a whole frame), break_o pulses once and NO
//     byte and no frame error are reported; the receiver then waits for the line to
//     return to 1.  If the line rises earlier it is a frame error (frame_err_o, no byte).
//
// Reset: rst_ni is active-low asynchronous (released synchronously by the reset
// generator), like the rest of the library.
module sf_uart_rx #(
  parameter int unsigned ClkHz = 48_000_000,  // clk_i frequency in Hz
  parameter int unsigned Baud  = 3_000_000    // bit rate; ClkHz >= 16 * Baud
) (
  input  logic       clk_i,
  input  logic       rst_ni,

  input  logic       rxd_i,          // asynchronous serial input, idle 1

  output logic [7:0] m_axis_tdata,
  output logic       m_axis_tvalid,
  input  logic       m_axis_tready,

  output logic       frame_err_o,    // 1-clock pulse: stop bit was 0 (byte dropped)
  output logic       break_o,        // 1-clock pulse: line 0 for >= one whole frame
  output logic       overrun_o       // 1-clock pulse: byte dropped, output not taken
);

  // ---------------------------------------------------------------------------------
  // Fractional 16x tick
  // ---------------------------------------------------------------------------------
  function automatic longint unsigned gcd(longint unsigned a, longint unsigned b);
    longint unsigned t;
    while (b != 0) begin
      t = a % b;
      a = b;
      b = t;
    end
    return a;
  endfunction

  localparam longint unsigned Rate = 64'(Baud) * 16;
  localparam longint unsigned G    = gcd(64'(ClkHz), Rate);
  localparam longint unsigned Inc  = Rate / G;
  localparam longint unsigned Mod  = 64'(ClkHz) / G;
  localparam int unsigned     AccW = $clog2(Mod + Inc + 1);

  if (Baud == 0 || 64'(ClkHz) < Rate) begin : gen_bad_rate
    $fatal(1, "sf_uart_rx: need ClkHz >= 16 * Baud (ClkHz %0d, Baud %0d)", ClkHz, Baud);
  end

  logic [AccW-1:0] acc_d, acc_q;
  logic            tick;

  // ---------------------------------------------------------------------------------
  // Synchroniser
  // ---------------------------------------------------------------------------------
  logic [1:0] sync_q;
  logic       rxd;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) sync_q <= 2'b11;
    else         sync_q <= {sync_q[0], rxd_i};
  end
  assign rxd = sync_q[1];

  // ---------------------------------------------------------------------------------
  // Frame state machine
  // ---------------------------------------------------------------------------------
  typedef enum logic [2:0] {
    StIdle, StStart, StData, StStop, StBreak, StWaitHigh
  } state_e;

  state_e      state_d, state_q;
  logic [3:0]  smp_d, smp_q;       // sample number within the bit (0..15)
  logic [2:0]  bit_d, bit_q;       // data bit index (StData)
  logic [7:0]  shift_d, shift_q;
  logic [1:0]  vote_d, vote_q;     // samples 7 and 8 of the current bit
  logic        maj;
  logic        out_valid_d, out_valid_q;
  logic [7:0]  out_data_d, out_data_q;
  logic        frame_err_d, frame_err_q;
  logic        break_d, break_q;
  logic        overrun_d, overrun_q;
  logic        restart;

  // majority of samples 7, 8 and the current sample (9)
  assign maj = (vote_q[0] & vote_q[1]) | (vote_q[0] & rxd) | (vote_q[1] & rxd);

  always_comb begin
    restart = (state_q == StIdle) && !rxd;
    if (restart) begin
      acc_d = AccW'(Mod / 2);
      tick  = 1'b0;
    end else if (64'(acc_q) + Inc >= Mod) begin
      acc_d = AccW'(64'(acc_q) + Inc - Mod);
      tick  = 1'b1;
    end else begin
      acc_d = AccW'(64'(acc_q) + Inc);
      tick  = 1'b0;
    end
  end

  always_comb begin
    state_d     = state_q;
    smp_d       = smp_q;
    bit_d       = bit_q;
    shift_d     = shift_q;
    vote_d      = vote_q;
    out_valid_d = out_valid_q & ~m_axis_tready;
    out_data_d  = out_data_q;
    frame_err_d = 1'b0;
    break_d     = 1'b0;
    overrun_d   = 1'b0;

    if (tick) begin
      smp_d = smp_q + 4'd1;
      if (smp_d == 4'd7) vote_d[0] = rxd;
      if (smp_d == 4'd8) vote_d[1] = rxd;
    end

    unique case (state_q)
      StIdle: begin
        if (!rxd) begin
          state_d = StStart;
          smp_d   = 4'd0;
        end
      end

      StStart: begin
        if (tick) begin
          if (rxd && smp_d <= 4'd8 && smp_d != 4'd0) begin
            state_d = StIdle;                       // glitch: shorter than half a bit
          end else if (smp_d == 4'd0) begin
            state_d = StData;                       // end of the start bit
            bit_d   = 3'd0;
          end
        end
      end

      StData: begin
        if (tick) begin
          if (smp_d == 4'd9) shift_d = {maj, shift_q[7:1]};
          if (smp_d == 4'd0) begin
            bit_d = bit_q + 3'd1;
            if (bit_q == 3'd7) state_d = StStop;
          end
        end
      end

      StStop: begin
        if (tick && smp_d == 4'd9) begin
          if (maj) begin
            state_d = StIdle;
            if (out_valid_q && !m_axis_tready) begin
              overrun_d = 1'b1;
            end else begin
              out_valid_d = 1'b1;
              out_data_d  = shift_q;
            end
          end else if (shift_q == 8'h00) begin
            state_d = StBreak;
          end else begin
            frame_err_d = 1'b1;
            state_d     = StWaitHigh;
          end
        end
      end

      StBreak: begin
        // stop bit of an all-zero frame was 0: a break if the line stays 0 to its end
        if (tick) begin
          if (rxd) begin
            frame_err_d = 1'b1;
            state_d     = StIdle;
          end else if (smp_d == 4'd0) begin
            break_d = 1'b1;
            state_d = StWaitHigh;
          end
        end
      end

      StWaitHigh: begin
        if (rxd) state_d = StIdle;
      end

      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_q       <= '0;
      state_q     <= StIdle;
      smp_q       <= '0;
      bit_q       <= '0;
      vote_q      <= '0;
      out_valid_q <= 1'b0;
      frame_err_q <= 1'b0;
      break_q     <= 1'b0;
      overrun_q   <= 1'b0;
    end else begin
      acc_q       <= acc_d;
      state_q     <= state_d;
      smp_q       <= smp_d;
      bit_q       <= bit_d;
      vote_q      <= vote_d;
      out_valid_q <= out_valid_d;
      frame_err_q <= frame_err_d;
      break_q     <= break_d;
      overrun_q   <= overrun_d;
    end
  end

  // data path: no reset needed
  always_ff @(posedge clk_i) begin
    shift_q    <= shift_d;
    out_data_q <= out_data_d;
  end

  assign m_axis_tdata  = out_data_q;
  assign m_axis_tvalid = out_valid_q;
  assign frame_err_o   = frame_err_q;
  assign break_o       = break_q;
  assign overrun_o     = overrun_q;

endmodule
