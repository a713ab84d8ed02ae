// SemifreddoNets-HW: pipelined reset-tree stage.
//
//   rst_ni --> [flop] --> ... --> [flop] --> rst_no        (Stages plain flops)
//
// * rst_no is rst_ni delayed by Stages rising clk_i edges: both the assertion and the
//   release are clock-synchronous, Stages clocks late.  The flops have no reset of
//   their own, so the reset needs a running clock to arrive (the board's reset is held
//   for as long as the PLL is not locked, and the FPGA's configuration clears every flop,
//   so rst_no starts asserted).
// * Use: between a synchroniser (sf_reset_sync) and a far-away group of flops whose
//   asynchronous clear rst_no drives.  Each flop of the chain is a timing path of its
//   own, so the placer can spread the chain over the distance: no single route from the
//   reset root across the chip (session 9's builds had 12.7 and 15.1 ns from the root to
//   one flop next to its loads).
// * rst_ni may fall asynchronously (the synchroniser asserts without a clock): the first
//   flop can then go metastable, and the second resolves it, so Stages >= 2 for such an
//   input; the assertion then arrives Stages or Stages + 1 edges late.
module sf_reset_pipe #(
  parameter int unsigned Stages = 2   // >= 1
) (
  input  logic clk_i,
  input  logic rst_ni,   // from a synchroniser: released synchronously to clk_i
  output logic rst_no    // rst_ni, Stages clocks later
);

  if (Stages < 1) begin : gen_bad_stages
    $fatal(1, "sf_reset_pipe: Stages must be >= 1, got %0d", Stages);
  end

  // The output flop is a variable of its own: rst_no drives asynchronous clears only,
  // the chain before it is data.
  logic rst_q;
  if (Stages == 1) begin : gen_one
    always_ff @(posedge clk_i) rst_q <= rst_ni;
  end else begin : gen_chain
    logic [Stages-2:0] pipe_q;
    if (Stages == 2) begin : gen_two
      always_ff @(posedge clk_i) pipe_q <= rst_ni;
    end else begin : gen_more
      always_ff @(posedge clk_i) pipe_q <= {pipe_q[Stages-3:0], rst_ni};
    end
    always_ff @(posedge clk_i) rst_q <= pipe_q[Stages-2];
  end
  assign rst_no = rst_q;

endmodule
