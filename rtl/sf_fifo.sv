// SemifreddoNets-HW: synchronous stream FIFO.
//
// Storage is a simple dual-port RAM (one write port, one registered read port with
// read enable, no reset) so that Yosys infers ECP5 EBR (DP16KD) for deep/wide FIFOs and
// distributed RAM for small ones.  The output is first-word-fall-through with
// read-ahead: the head item is pre-fetched through the RAM read register (stage R)
// into a fabric output register (stage O), so m_axis_tdata comes straight from a
// fabric flop (ECP5 EBR clock-to-out is too slow to feed downstream logic directly).
//
// Three layouts that depend on Depth only (timing on ECP5, where a wide FIFO spreads over
// a large area):
//   * Depth <= 8 (slices, in LUT RAM): the RAM has 2*Depth entries, addressed by the
//     full pointer, and is written EVERY clock at the write pointer; a push only
//     advances the pointer.  The RAM holds at most Depth items, so with 2*Depth slots
//     the one at the write pointer never holds one (whatever the read stages hold; a
//     LUT RAM cell is 16 deep, so the extra slots are free).  The write enable, which
//     would fan out from the producer's valid to every RAM cell, is gone.
//   * Depth >= 128 (in EBR): R -> P -> queue -> O.  Stage P, a fabric register, takes R
//     every clock, so the RAM's clock-to-out only reaches a flop the placer can put
//     beside the EBR (a reference build had 11.5 ns from a frame buffer's EBR into stage
//     O).  P writes an 8-item queue in LUT RAM, and the RAM is read only when the queue
//     has room for all items in flight (a registered credit check): m_axis_tready reaches
//     the queue and O, never the block RAMs' read enables (reference builds had 10-12 ns
//     from a consumer's ready through the pop logic into a frame buffer's EBR enables).
//   * Depth >= 1024: the RAM is split into columns as wide as one 18-Kbit block RAM
//     reads at that depth (4 bits at 4096), so each column is one EBR per 16 Kbit
//     with no multiplexer behind it.  Left whole, Yosys built a 4096 x 97 frame buffer
//     from 2048 x 9 EBRs and a 2:1 LUT multiplexer in front of stage P (10.1-10.5 ns
//     into P).  Cost there: 25 EBRs instead of 22.
//
// Capacity / count:
//   * The FIFO holds at most Depth items IN TOTAL (RAM plus stages R, P, queue and O).
//   * count_o is the exact number of items held (accepted on s_axis and not yet
//     popped on m_axis), 0..Depth, registered: it counts a transfer from the cycle
//     after it.
//   * s_axis_tready = (count < Depth), a registered flag: it does NOT depend on
//     m_axis_tready, so a push into a full FIFO is refused even if a pop happens in
//     the same cycle.  A credit-based producer with Depth credits never sees it low.
//
// Latency / throughput:
//   * An item transferred on s_axis in clock cycle c is presented on m_axis
//     (m_axis_tvalid = 1) from cycle c+3 when the FIFO was empty: 3 cycles of
//     fall-through latency (RAM write, RAM read register, output register); c+5 with
//     stage P and the queue (Depth >= 128).
//   * Push and pop in the same cycle are allowed.  With both sides always ready the FIFO
//     sustains one item per clock indefinitely when Depth >= 4.  (An item occupies the
//     FIFO for at least 3 clocks and s_axis_tready does not look at the pop, so
//     Depth = 2 sustains only one item per 2 clocks.)
//   * m_axis_tvalid and m_axis_tdata are registered; m_axis_tready only reaches the RAM
//     read enable, the stage enables and the counters (one LUT level), with Depth >= 128
//     only the queue's read side, stage O and the counters.
//
// Reset: rst_ni is active-low ASYNCHRONOUS (asserted asynchronously, to be released
// synchronously by the reset generator).  Only control state is reset; the RAM and the
// data registers are not (m_axis_tdata is undefined until the first item arrives).
module sf_fifo #(
  parameter int unsigned Width = 8,   // item width in bits
  parameter int unsigned Depth = 16   // capacity in items, power of 2, >= 2
) (
  input  logic                       clk_i,
  input  logic                       rst_ni,

  input  logic                       s_axis_tvalid,
  output logic                       s_axis_tready,
  input  logic [Width-1:0]           s_axis_tdata,

  output logic                       m_axis_tvalid,
  input  logic                       m_axis_tready,
  output logic [Width-1:0]           m_axis_tdata,

  output logic [$clog2(Depth+1)-1:0] count_o
);

  localparam int unsigned AddrWidth  = $clog2(Depth);
  localparam int unsigned CountWidth = $clog2(Depth + 1);
  localparam logic [CountWidth-1:0] CountMax = CountWidth'(Depth);
  // The depth-dependent layouts (see the header).
  localparam bit          WriteAlways  = (Depth <= 8);
  localparam bit          ReadPipe     = (Depth >= 128);
  localparam int unsigned RamAddrWidth = WriteAlways ? AddrWidth + 1 : AddrWidth;
  // Depth >= 1024: the RAM in columns as wide as an 18-Kbit block RAM reads at that depth
  // (ECP5 DP16KD, also Xilinx RAMB18: 1024 x 18, 2048 x 9, 4096 x 4, ...), so no column
  // needs a multiplexer behind its block RAMs (see the header).
  localparam int unsigned ColWidth = (Depth < 1024)  ? Width :
                                     (Depth == 1024) ? 18 :
                                     (Depth == 2048) ? 9 :
                                     (Depth >= 16384) ? 1 : 16384 / Depth;
  localparam int unsigned NumCols  = (Width + ColWidth - 1) / ColWidth;

  if (Depth < 2 || (Depth & (Depth - 1)) != 0) begin : gen_bad_depth
    $fatal(1, "sf_fifo: Depth must be a power of 2 >= 2, got %0d", Depth);
  end
  if (Width < 1) begin : gen_bad_width
    $fatal(1, "sf_fifo: Width must be >= 1");
  end

  // ---------------------------------------------------------------------------------
  // Storage: RAM with one write port and one registered, enabled read port (stage R),
  // then the fabric output register (stage O); with Depth >= 128, stage P and the
  // output queue instead of O (see gen_read_pipe).
  // Pointers carry one extra wrap bit so that "RAM full" and "RAM empty" differ.
  // ---------------------------------------------------------------------------------
  logic [AddrWidth:0]    wr_ptr_d, wr_ptr_q;
  logic [AddrWidth:0]    rd_ptr_d, rd_ptr_q;
  logic [CountWidth-1:0] count_d, count_q;
  logic                  full_d, full_q;
  logic                  ram_valid_d, ram_valid_q;  // stage R holds an item
  logic [Width-1:0]      ram_data_q;                // stage R: RAM read register
  logic                  out_valid;                 // m_axis_tvalid

  logic                  mem_empty_d, mem_empty_q;  // the RAM holds no item
  logic                  mem_one;                   // the RAM holds exactly one item
  logic push, pop, wr_en, rd_en;

  assign push = s_axis_tvalid & ~full_q;
  assign pop  = out_valid & m_axis_tready;
  // No read-during-write hazard: a read needs the RAM non-empty and a write either needs
  // count < Depth (so the RAM is not full) or, written every clock, goes to the slot at
  // the write pointer, which holds no item; either way the two addresses differ.

  if (ReadPipe) begin : gen_read_pipe
    // R -> P -> queue -> O, with no stall before the queue: stage P takes R's item every
    // clock and writes it into the queue (LUT RAM, 16 slots, written every clock at its
    // write pointer like the slices, at most QDepth items with O) the next.  The RAM is
    // read only when the queue has room for everything in flight, a flop computed a clock
    // ahead (credits), so the block RAMs' read enable is one LUT of flops and stages R
    // and P have no stall logic.  m_axis_tready reaches only the queue's read side and
    // stage O, which the placer can put beside the consumer (reference builds had 10-12
    // ns from a consumer's ready through the pop logic into a frame buffer's EBR enables).
    localparam int unsigned QDepth = 8;
    logic             pipe_valid_q;   // stage P holds an item
    logic [Width-1:0] pipe_data_q;    // stage P
    logic             room_q;         // the RAM may be read in this clock
    logic [3:0]       q_wr_q, q_rd_q; // queue pointers (16 slots)
    logic [3:0]       q_items;        // items in the queue and stage O, 0..QDepth
    logic [Width-1:0] q_mem [16];
    logic             out_valid_q;    // stage O holds an item
    logic [Width-1:0] out_data_q;     // stage O
    logic             o_load;

    assign rd_en       = ~mem_empty_q & room_q;
    assign ram_valid_d = rd_en;
    assign o_load      = (q_wr_q != q_rd_q) & (~out_valid_q | m_axis_tready);
    assign q_items     = (q_wr_q - q_rd_q) + 4'(out_valid_q);

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        pipe_valid_q <= 1'b0;
        room_q       <= 1'b0;
        q_wr_q       <= '0;
        q_rd_q       <= '0;
        out_valid_q  <= 1'b0;
      end else begin
        pipe_valid_q <= ram_valid_q;
        // Items bound for the queue after this clock, plus one read in the next: <= QDepth.
        room_q       <= 5'(q_items) + 5'(pipe_valid_q) + 5'(ram_valid_q) + 5'(rd_en) < 5'(QDepth);
        q_wr_q       <= q_wr_q + 4'(pipe_valid_q);
        q_rd_q       <= q_rd_q + 4'(o_load);
        out_valid_q  <= o_load | (out_valid_q & ~m_axis_tready);
      end
    end

    always_ff @(posedge clk_i) begin
      pipe_data_q    <= ram_data_q;
      q_mem[q_wr_q]  <= pipe_data_q;
      if (o_load) begin
        out_data_q <= q_mem[q_rd_q];
      end
    end

    assign out_valid    = out_valid_q;
    assign m_axis_tdata = out_data_q;
  end else begin : gen_read_out
    // Each stage takes the item of the stage before when it is (being) emptied: stage O
    // loads (o_load) when empty or popped, and the RAM is read into R (rd_en) when R is
    // (being) emptied.
    logic             out_valid_q;  // stage O holds an item
    logic [Width-1:0] out_data_q;   // stage O: fabric output register
    logic             o_load;

    assign o_load      = ram_valid_q & (~out_valid_q | m_axis_tready);
    assign rd_en       = ~mem_empty_q & (~ram_valid_q | o_load);
    assign ram_valid_d = rd_en | (ram_valid_q & ~o_load);

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        out_valid_q <= 1'b0;
      end else begin
        out_valid_q <= o_load | (out_valid_q & ~m_axis_tready);
      end
    end

    always_ff @(posedge clk_i) begin
      if (o_load) begin
        out_data_q <= ram_data_q;
      end
    end

    assign out_valid     = out_valid_q;
    assign m_axis_tdata  = out_data_q;
  end

  assign wr_ptr_d    = push  ? wr_ptr_q + 1'b1 : wr_ptr_q;
  assign rd_ptr_d    = rd_en ? rd_ptr_q + 1'b1 : rd_ptr_q;

  always_comb begin
    unique case ({push, pop})
      2'b10:   count_d = count_q + 1'b1;
      2'b01:   count_d = count_q - 1'b1;
      default: count_d = count_q;
    endcase
  end
  // Full after this clock: not popped, and full or filled by this push.  The compare is
  // made on count_q, so m_axis_tready (a consumer's ready, often from across the chip)
  // is one LUT before full_q rather than in front of count_d's adder and a compare.
  assign full_d = ~pop & (full_q | (push & (count_q == CountMax - 1'b1)));
  // "RAM empty" from a flop (= wr_ptr_q == rd_ptr_q at all times): the pointer compare
  // stays out of rd_en, which with m_axis_tready is one LUT before the clock enables of
  // the Width read registers (timing: on ECP5 a wide FIFO's stage enables fan out over
  // a large area; session 11's builds had 11-12 ns late enables in 152-bit FIFOs).
  // Empty after this clock: nothing written, and the RAM was empty or its one item read.
  assign mem_one     = (rd_ptr_q + 1'b1 == wr_ptr_q);
  assign mem_empty_d = ~push & (mem_empty_q | (rd_en & mem_one));

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wr_ptr_q    <= '0;
      rd_ptr_q    <= '0;
      count_q     <= '0;
      full_q      <= 1'b0;
      mem_empty_q <= 1'b1;
      ram_valid_q <= 1'b0;
    end else begin
      wr_ptr_q    <= wr_ptr_d;
      rd_ptr_q    <= rd_ptr_d;
      count_q     <= count_d;
      full_q      <= full_d;
      mem_empty_q <= mem_empty_d;
      ram_valid_q <= ram_valid_d;
    end
  end

  assign wr_en = WriteAlways ? 1'b1 : push;

  // The RAM, in columns of ColWidth bits (one column when Depth < 1024).
  for (genvar c = 0; c < NumCols; c++) begin : gen_col
    localparam int unsigned Lo = c * ColWidth;
    localparam int unsigned W  = (Width - Lo < ColWidth) ? Width - Lo : ColWidth;

    // no_rw_check: the RAM's read-during-write result is never used (see rd_en), so
    // Yosys needs no soft collision logic on the RAM read path.
    (* no_rw_check *)
    logic [W-1:0] mem_q [2**RamAddrWidth];

    always_ff @(posedge clk_i) begin
      if (wr_en) begin
        mem_q[wr_ptr_q[RamAddrWidth-1:0]] <= s_axis_tdata[Lo +: W];
      end
    end

    always_ff @(posedge clk_i) begin
      if (rd_en) begin
        ram_data_q[Lo +: W] <= mem_q[rd_ptr_q[RamAddrWidth-1:0]];
      end
    end
  end

  assign s_axis_tready = ~full_q;
  assign m_axis_tvalid = out_valid;
  assign count_o       = count_q;

endmodule
