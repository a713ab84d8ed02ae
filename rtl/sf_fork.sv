// SemifreddoNets-HW: one stream to N consumers, each behind its own FIFO.
//
// The payload is generic: s_axis_tdata is Width bits and every consumer receives exactly
// the same Width bits.  Sideband travels inside the payload; the project convention is
//   tdata = {[tbank,] tlast, tuser, pixel}      (pixel in the low bits)
// i.e. the instantiating code concatenates the markers above the pixel on the way in and
// slices them off on the way out (a frozen stream has no tbank).
//
// Ports: the N outputs are packed arrays on one prefix: output n is
//   m_axis_tvalid[n], m_axis_tready[n], m_axis_tdata[n*Width +: Width].
//
// Flow control: output n is an sf_fifo of Depth items.  The input is accepted when EVERY
// output FIFO has room (s_axis_tready = AND of the FIFOs' registered "not full" flags, one
// LUT, independent of every m_axis_tready), and then pushed into all of them in the same
// cycle.  A slow consumer therefore stalls the others only once its FIFO is full; until
// then the others keep receiving at the input rate.
//
// Throughput / latency: sf_fifo's fall-through latency is 3 clocks (an item accepted at
// edge t is valid on every empty output after edge t+3).  With Depth >= 4 and all
// consumers ready the fork sustains one item per clock forever; Depth = 2 sustains one
// item per 2 clocks (see sf_fifo.sv).  m_axis_tvalid/tdata are registered (sf_fifo's
// output register).
//
// Reset: rst_ni is active-low ASYNCHRONOUS (release synchronously).
module sf_fork #(
  parameter int unsigned N     = 2,   // number of consumers, >= 1
  parameter int unsigned Width = 8,   // payload bits (pixel plus sideband)
  parameter int unsigned Depth = 4    // per-consumer FIFO depth, power of 2 >= 2
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,

  input  logic                 s_axis_tvalid,
  output logic                 s_axis_tready,
  input  logic [Width-1:0]     s_axis_tdata,

  output logic [N-1:0]         m_axis_tvalid,
  input  logic [N-1:0]         m_axis_tready,
  output logic [N*Width-1:0]   m_axis_tdata
);

  if (N < 1) begin : gen_bad_n
    $fatal(1, "sf_fork: N must be >= 1");
  end

  logic [N-1:0] fifo_ready;
  logic         push;

  assign s_axis_tready = &fifo_ready;
  assign push          = s_axis_tvalid & s_axis_tready;

  for (genvar n = 0; n < N; n++) begin : gen_out
    logic [$clog2(Depth+1)-1:0] unused_count;

    sf_fifo #(
      .Width (Width),
      .Depth (Depth)
    ) u_fifo (
      .clk_i,
      .rst_ni,
      .s_axis_tvalid (push),
      .s_axis_tready (fifo_ready[n]),
      .s_axis_tdata  (s_axis_tdata),
      .m_axis_tvalid (m_axis_tvalid[n]),
      .m_axis_tready (m_axis_tready[n]),
      .m_axis_tdata  (m_axis_tdata[n*Width +: Width]),
      .count_o       (unused_count)
    );
  end

endmodule
