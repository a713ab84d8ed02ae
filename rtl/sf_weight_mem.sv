// SemifreddoNets-HW: two-bank weight memory behind one external region of the register map.
//
// Holds Depth values of ValueWidth bits in each of two banks: one inferred RAM of
// 2 * 2**IndexWidth entries (= 2*Depth when Depth is a power of two), bank b, value i at
// entry {b, i}.  A concatenated bank bit rather than b*Depth + i: Yosys then maps host
// read/write and datapath read onto one true-dual-port EBR with no address adder
// (measured: Depth 108 x 8 bits = 1 DP16KD and 6 LUT4 instead of 2 DP16KD and 55 LUT4);
// block RAM comes in power-of-two depths anyway.  The bank the datapath uses is
// active_bank_i; the host always sees the other one, the SHADOW bank.
//
// Host side: the external-block interface of a peakrdl-regblock `mem` region
// (hwif_out.<region>.{req, req_is_wr, addr, wr_data, wr_biten},
//  hwif_in.<region>.{rd_ack, rd_data, wr_ack}).
//   * One value per 32-bit word: value i is at byte offset 4*i (host_addr_i[1:0] ignored).
//   * Write: stored bit b takes host_wr_data_i[b] if its byte lane is enabled
//     (host_wr_biten_i[8*(b/8)], i.e. WSTRB[b/8]); bits 31:ValueWidth of the word are
//     dropped (the value is sign-trimmed, not saturated).  wr_ack one cycle after the
//     request.
//   * Read: rd_ack and the stored value, sign-extended to 32 bits, one cycle after the
//     request.
//   * The bank is sampled with the request: a request in the same cycle as a bank swap
//     goes to the bank that was shadow before the swap.
//   * host_addr_i must lie inside the region (the regblock decodes only [0, 4*Depth)).
//
// Datapath side: a registered read port of the ACTIVE bank.
//   * rd_data_o = value rd_addr_i of bank active_bank_i, one cycle after rd_en_i
//     (held while rd_en_i is low).  rd_addr_i must be < Depth.
//   * The two ports never touch the same entry in one cycle (different banks), so there is
//     no read-during-write case.
//
// Reset: rst_ni is active-low asynchronous; it clears only the acknowledge flops.  The RAM
// and the read registers are not reset (contents undefined until written).
module sf_weight_mem #(
  parameter int unsigned Depth         = 16,  // values per bank, >= 1
  parameter int unsigned ValueWidth    = 8,   // bits per value, 1..32
  parameter int unsigned HostAddrWidth = 6,   // regblock byte-offset width, >= clog2(4*Depth)
  localparam int unsigned IndexWidth   = (Depth > 1) ? $clog2(Depth) : 1
) (
  input  logic                         clk_i,
  input  logic                         rst_ni,
  input  logic                         active_bank_i,

  // Host (register block external interface)
  input  logic                         host_req_i,
  input  logic                         host_req_is_wr_i,
  input  logic [HostAddrWidth-1:0]     host_addr_i,
  input  logic [31:0]                  host_wr_data_i,
  input  logic [31:0]                  host_wr_biten_i,
  output logic                         host_rd_ack_o,
  output logic [31:0]                  host_rd_data_o,
  output logic                         host_wr_ack_o,

  // Datapath (active bank)
  input  logic                         rd_en_i,
  input  logic [IndexWidth-1:0]        rd_addr_i,
  output logic signed [ValueWidth-1:0] rd_data_o
);

  localparam int unsigned PhysWidth = IndexWidth + 1;
  localparam int unsigned Entries   = 2 ** PhysWidth;

  if (Depth < 1) begin : gen_bad_depth
    $fatal(1, "sf_weight_mem: Depth must be >= 1");
  end
  if (ValueWidth < 1 || ValueWidth > 32) begin : gen_bad_width
    $fatal(1, "sf_weight_mem: ValueWidth must be 1..32, got %0d", ValueWidth);
  end
  if (HostAddrWidth < 2 || (1 << HostAddrWidth) < 4 * Depth) begin : gen_bad_addr
    $fatal(1, "sf_weight_mem: HostAddrWidth %0d too small for Depth %0d", HostAddrWidth, Depth);
  end

  // Word index of the host's byte offset.
  logic [HostAddrWidth-1:0] host_word;
  logic [IndexWidth-1:0]    host_idx;
  logic [PhysWidth-1:0]     host_phys, rd_phys;
  assign host_word = host_addr_i >> 2;
  assign host_idx  = host_word[IndexWidth-1:0];
  assign host_phys = {~active_bank_i, host_idx};
  assign rd_phys   = {active_bank_i, rd_addr_i};

  logic [ValueWidth-1:0] mem_q [Entries];
  logic [ValueWidth-1:0] host_q;

  // Host port: read or write (never both) at the shadow entry.
  always_ff @(posedge clk_i) begin
    if (host_req_i) begin
      if (host_req_is_wr_i) begin
        // Byte-lane enables (WSTRB granularity): one enable per 8 stored bits, so the
        // RAM maps onto byte-enabled block RAM.
        for (int b = 0; b < ValueWidth; b++) begin
          if (host_wr_biten_i[8 * (b / 8)]) mem_q[host_phys][b] <= host_wr_data_i[b];
        end
      end else begin
        host_q <= mem_q[host_phys];
      end
    end
  end

  // Datapath port: read of the active bank.
  always_ff @(posedge clk_i) begin
    if (rd_en_i) rd_data_o <= mem_q[rd_phys];
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      host_rd_ack_o <= 1'b0;
      host_wr_ack_o <= 1'b0;
    end else begin
      host_rd_ack_o <= host_req_i & ~host_req_is_wr_i;
      host_wr_ack_o <= host_req_i & host_req_is_wr_i;
    end
  end

  if (ValueWidth < 32) begin : gen_sext
    assign host_rd_data_o = {{(32 - ValueWidth){host_q[ValueWidth-1]}}, host_q};
  end else begin : gen_full
    assign host_rd_data_o = host_q;
  end

  // Bits the value does not use (upper data bits, low address bits, index bits above
  // Depth's range) are dropped by design.
  logic unused;
  assign unused = ^{host_wr_data_i, host_wr_biten_i, host_word, host_addr_i[1:0]};

endmodule
