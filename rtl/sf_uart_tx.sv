// SemifreddoNets-HW: UART transmitter, 8 data bits, no parity, 1 stop bit (8N1), LSB first.
//
// Bit timing comes from a fractional accumulator (adds Baud/g per clock, wraps at
// ClkHz/g, g = gcd(ClkHz, Baud)): the mean bit rate is exactly Baud, each bit edge is
// at most one clock off its ideal time (none when ClkHz is a multiple of Baud, e.g.
// 48 MHz / 3 Mbaud = 16 clocks per bit).  The accumulator starts from 0 when a byte is
// accepted from idle and runs on across back-to-back bytes.
//
// Flow control: s_axis_tready is 1 while idle and in the last clock of a stop bit, so a
// continuous stream is sent back to back at exactly 10 bit times per byte (no extra
// idle time); tready therefore depends combinationally on the bit timer only.
// txd_o is a flop output, 1 while idle and in reset.
//
// Reset: rst_ni is active-low asynchronous.
module sf_uart_tx #(
  parameter int unsigned ClkHz = 48_000_000,  // clk_i frequency in Hz
  parameter int unsigned Baud  = 3_000_000    // bit rate; ClkHz >= Baud
) (
  input  logic       clk_i,
  input  logic       rst_ni,

  input  logic [7:0] s_axis_tdata,
  input  logic       s_axis_tvalid,
  output logic       s_axis_tready,

  output logic       txd_o,          // serial output, idle 1
  output logic       busy_o          // a frame is being sent
);

  function automatic longint unsigned gcd(longint unsigned a, longint unsigned b);
    longint unsigned t;
    while (b != 0) begin
      t = a % b;
      a = b;
      b = t;
    end
    return a;
  endfunction

  localparam longint unsigned G    = gcd(64'(ClkHz), 64'(Baud));
  localparam longint unsigned Inc  = 64'(Baud) / G;
  localparam longint unsigned Mod  = 64'(ClkHz) / G;
  localparam int unsigned     AccW = $clog2(Mod + Inc + 1);

  if (Baud == 0 || ClkHz < Baud) begin : gen_bad_rate
    $fatal(1, "sf_uart_tx: need ClkHz >= Baud (ClkHz %0d, Baud %0d)", ClkHz, Baud);
  end

  logic [AccW-1:0] acc_d, acc_q;
  logic            tick_q;             // == busy_q && acc_q + Inc >= Mod (compared a clock early)
  logic            busy_d, busy_q;
  logic [3:0]      left_d, left_q;     // bits still to send after the current one
  logic [8:0]      shift_d, shift_q;   // {stop, data[7:1..]} still to send
  logic            txd_d, txd_q;
  logic            load;

  assign s_axis_tready = !busy_q || (tick_q && left_q == 4'd0);
  assign load          = s_axis_tvalid && s_axis_tready;

  always_comb begin
    busy_d  = busy_q;
    left_d  = left_q;
    shift_d = shift_q;
    txd_d   = txd_q;
    if (!busy_q) begin
      acc_d = '0;
    end else if (tick_q) begin
      acc_d = AccW'(64'(acc_q) + Inc - Mod);
    end else begin
      acc_d = AccW'(64'(acc_q) + Inc);
    end

    if (load) begin
      busy_d  = 1'b1;
      txd_d   = 1'b0;                       // start bit
      shift_d = {1'b1, s_axis_tdata};       // then data LSB first, then stop
      left_d  = 4'd9;
    end else if (tick_q) begin
      if (left_q == 4'd0) begin
        busy_d = 1'b0;                      // end of the stop bit; txd stays 1
      end else begin
        txd_d   = shift_q[0];
        shift_d = {1'b1, shift_q[8:1]};
        left_d  = left_q - 4'd1;
      end
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      acc_q  <= '0;
      busy_q <= 1'b0;
      left_q <= '0;
      txd_q  <= 1'b1;
      tick_q <= 1'b0;
    end else begin
      acc_q  <= acc_d;
      tick_q <= busy_d && (64'(acc_d) + Inc >= Mod);
      busy_q <= busy_d;
      left_q <= left_d;
      txd_q  <= txd_d;
    end
  end

  always_ff @(posedge clk_i) begin
    shift_q <= shift_d;
  end

  assign txd_o  = txd_q;
  assign busy_o = busy_q;

endmodule
