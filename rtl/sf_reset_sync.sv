// SemifreddoNets-HW: reset synchroniser (asynchronous assertion, synchronous release).
//
//   rst_ni (async, active low) --+--> CLR of Stages flops, shifting in 1'b1
//                                        '--> rst_no
//
// * Assertion: rst_ni low clears every stage at once, without a clock, so rst_no goes
//   low (combinationally through the flops' asynchronous clear) even while the clock is
//   stopped, e.g. while the PLL has not locked yet.
// * Release: after rst_ni rises, rst_no rises at the Stages-th rising clk_i edge (the
//   release is a clock-synchronous event, so every flop of the domain leaves reset in the
//   same cycle).  Stages >= 2 gives the first flop a full cycle to resolve metastability
//   when the release is close to a clock edge.
// * A rst_ni pulse of any length, even shorter than a clock period, produces a reset of
//   at least Stages - 1 full clock cycles.
// * Stages = 1 is a reset-tree stage, not a synchroniser: for an rst_ni that already
//   rises synchronously to clk_i (the output of a synchroniser), one flop next to its
//   loads, so the long route from the synchroniser reaches one flop instead of all of
//   them.  Release one edge after rst_ni rises.
module sf_reset_sync #(
  parameter int unsigned Stages = 2   // >= 2; 1 only for a reset already synchronous to clk_i
) (
  input  logic clk_i,
  input  logic rst_ni,   // asynchronous, active low (button, PLL lock, ...)
  output logic rst_no    // asserted asynchronously, released synchronously to clk_i
);

  if (Stages < 1) begin : gen_bad_stages
    $fatal(1, "sf_reset_sync: Stages must be >= 1, got %0d", Stages);
  end

  logic [Stages-1:0] sync_q;
  if (Stages == 1) begin : gen_retime
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) sync_q <= 1'b0;
      else         sync_q <= 1'b1;
    end
  end else begin : gen_sync
    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        sync_q <= '0;
      end else begin
        sync_q <= {sync_q[Stages-2:0], 1'b1};
      end
    end
  end
  assign rst_no = sync_q[Stages-1];

endmodule
