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
// Flow control: output n is an sf_fifo of Depth items.  s_axis_tready is a flop
// (ready_q), set when every output FIFO held at most Depth - 3 items in the previous
// clock (each FIFO's count is registered): the fork is the only writer, and between
// that count and the push it guards at most two more items can arrive (the transfers of
// the two clocks before), so a FIFO is never pushed when full.  An accepted item goes
// into every FIFO one clock later, from per-output copies of the transfer flag and one
// shared data register.  A slow consumer therefore stalls the others only once its FIFO
// is nearly full; until then the others keep receiving at the input rate.  With the
// input always valid and consumer 0 stalled, exactly Depth items are accepted.
//
// Timing: nothing combinational crosses the fork.  s_axis_tready is a flop beside the
// input; the FIFOs (beside their consumers, possibly far apart) take the item from flops,
// and their counts meet in one AND into ready_q: on the 85F the reference's image fork
// spans the die (its combinational ready was the critical path: 12 ns of route).
//
// Throughput / latency: an item accepted at edge t is valid on every empty output after
// edge t+4 (one clock in the fork, sf_fifo's 3).  With all consumers ready the fork
// sustains one item per clock forever when Depth >= 8 (an item occupies its FIFO for 3
// clocks and the ready flag looks 2 clocks back); Depth = 4 sustains one per 3 clocks.
// m_axis_tvalid/tdata are registered (sf_fifo's output register).
//
// Reset: rst_ni is active-low ASYNCHRONOUS (release synchronously).
module sf_fork #(
  parameter int unsigned N     = 2,   // number of consumers, >= 1
  parameter int unsigned Width = 8,   // payload bits (pixel plus sideband)
  parameter int unsigned Depth = 8    // per-consumer FIFO depth, power of 2 >= 4
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

  localparam int unsigned CountW = $clog2(Depth + 1);
  localparam logic [CountW-1:0] RoomMax = CountW'(Depth - 3);  // count that still takes two

  if (N < 1) begin : gen_bad_n
    $fatal(1, "sf_fork: N must be >= 1");
  end
  if (Depth < 4) begin : gen_bad_depth
    $fatal(1, "sf_fork: Depth must be >= 4, got %0d", Depth);
  end

  logic             ready_q;
  logic [N-1:0]     room;     // FIFO n held at most Depth - 3 items
  logic [Width-1:0] data_q;   // the accepted item, a clock later (shared)

  assign s_axis_tready = ready_q;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) ready_q <= 1'b0;
    else         ready_q <= &room;
  end

  always_ff @(posedge clk_i) begin
    data_q <= s_axis_tdata;
  end

  for (genvar n = 0; n < N; n++) begin : gen_out
    logic              push_q;   // this output's copy of "an item was accepted"
    logic [CountW-1:0] count;
    logic              unused_fifo_ready;  // never low when pushed (see above)

    // keep: the N copies are equal, yosys would merge them into one flop
    (* keep *) always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) push_q <= 1'b0;
      else         push_q <= s_axis_tvalid & ready_q;
    end

    assign room[n] = (count <= RoomMax);

    sf_fifo #(
      .Width (Width),
      .Depth (Depth)
    ) u_fifo (
      .clk_i,
      .rst_ni,
      .s_axis_tvalid (push_q),
      .s_axis_tready (unused_fifo_ready),
      .s_axis_tdata  (data_q),
      .m_axis_tvalid (m_axis_tvalid[n]),
      .m_axis_tready (m_axis_tready[n]),
      .m_axis_tdata  (m_axis_tdata[n*Width +: Width]),
      .count_o       (count)
    );
  end

endmodule
