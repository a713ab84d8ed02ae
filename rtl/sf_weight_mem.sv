// SemifreddoNets-HW: two-bank weight memory behind one external region of the register map.
//
// Holds Depth values of ValueWidth bits in each of two banks.  The datapath reads one
// ENTRY of Lanes values per cycle: value i is lane i % Lanes of entry i / Lanes
// (Entries = ceil(Depth / Lanes) entries; lanes of the last entry beyond Depth exist but
// cannot be written by the host, their contents are undefined).
//
// Storage: one narrow RAM per lane, ValueWidth bits x 2 * 2**EntryWidth words, bank b,
// entry e at word {b, e}, so a host write touches exactly one lane.  A concatenated bank
// bit rather than b*Entries + e: Yosys then maps host access and datapath read onto one
// true-dual-port EBR with no address adder (measured with Lanes = 1: Depth 108 x 8 bits
// = 1 DP16KD and 6 LUT4 instead of 2 DP16KD and 55 LUT4); small lanes may become LUT RAM
// (a LUT RAM has one read port besides the write port, so Yosys duplicates it for the
// second read port: host read plus datapath read cost two copies of a LUT-RAM lane).
//
// Host side: the external-block interface of a peakrdl-regblock `mem` region
// (hwif_out.<region>.{req, req_is_wr, addr, wr_data, wr_biten},
//  hwif_in.<region>.{rd_ack, rd_data, wr_ack}).  The host always accesses the SHADOW
// bank ~active_bank_i, sampled with the request (a request in the same cycle as a bank
// swap goes to the bank that was shadow before the swap).
//   * One value per 32-bit word: value i is at byte offset 4*i (host_addr_i[1:0] ignored).
//   * Write: stored bit b takes host_wr_data_i[b] if its byte lane is enabled
//     (host_wr_biten_i[8*(b/8)], i.e. WSTRB[b/8]); bits 31:ValueWidth of the word are
//     dropped (the value is sign-trimmed, not saturated).
//   * Read: the stored value, sign-extended to 32 bits, with rd_ack.
//   * Latency (request cycle to ack cycle), ValueWidth-independent:
//       Lanes = 1:  wr_ack and rd_ack one cycle after the request; a request may come
//                   every cycle (the behaviour before Lanes existed).
//       Lanes > 1:  the entry and lane (index / Lanes, index % Lanes) come from a
//                   sequential restoring divider, one quotient bit per cycle (a
//                   combinational divide by a non-power-of-two constant would not meet
//                   timing), then a lane decode cycle, the RAM access, and for reads a
//                   two-stage registered Lanes:1 mux: wr_ack EntryWidth + 3, rd_ack
//                   EntryWidth + 5 cycles after the request (the write lands in the RAM
//                   at the end of cycle EntryWidth + 2).  One request at a time: a
//                   request before the previous one is acknowledged is ignored
//                   (peakrdl-regblock keeps at most one external transaction
//                   outstanding, so this never happens behind the regblock).  The host
//                   link is a UART: the latency costs nothing.
//   * host_addr_i must lie inside the region (the regblock decodes only [0, 4*Depth)).
//
// Datapath side: a registered read port.
//   * rd_data_o lane l = lane l of entry rd_addr_i of bank rd_bank_i (UseRdBank = 1, the
//     frame tag's bank) or of bank active_bank_i (UseRdBank = 0: the behaviour before
//     frame tags, kept while the generated register wrapper regs_top does not connect
//     rd_bank_i yet), at [l*ValueWidth +: ValueWidth], one cycle after rd_en_i (held
//     while rd_en_i is low).  rd_addr_i must be < Entries.
//   * The host writes only the shadow bank and, by the commit protocol
//     (docs/architecture.md), only once no frame of that bank is in flight, so the
//     datapath never reads an entry the host writes in the same cycle.  If it does
//     (protocol violation), that read returns undefined data; nothing else is affected.
//
// Reset: rst_ni is active-low asynchronous; it clears only the acknowledge flops and the
// host sequencer (a host access pending at reset is dropped: no ack, and with Lanes > 1
// a pending write does not happen).  The RAMs and the read registers are not reset
// (contents undefined until written).
module sf_weight_mem #(
  parameter int unsigned Depth         = 16,    // values per bank, >= 1
  parameter int unsigned ValueWidth    = 8,     // bits per value, 1..32
  parameter int unsigned HostAddrWidth = 6,     // regblock byte-offset width, >= clog2(4*Depth)
  parameter int unsigned Lanes         = 1,     // values per datapath entry, 1..Depth
  parameter bit          UseRdBank     = 1'b0,  // datapath bank: 1 = rd_bank_i, 0 = active_bank_i
  localparam int unsigned IndexWidth   = (Depth > 1) ? $clog2(Depth) : 1,
  localparam int unsigned Entries      = (Depth + Lanes - 1) / Lanes,
  localparam int unsigned EntryWidth   = (Entries > 1) ? $clog2(Entries) : 1
) (
  input  logic                          clk_i,
  input  logic                          rst_ni,
  input  logic                          active_bank_i,

  // Host (register block external interface)
  input  logic                          host_req_i,
  input  logic                          host_req_is_wr_i,
  input  logic [HostAddrWidth-1:0]      host_addr_i,
  input  logic [31:0]                   host_wr_data_i,
  input  logic [31:0]                   host_wr_biten_i,
  output logic                          host_rd_ack_o,
  output logic [31:0]                   host_rd_data_o,
  output logic                          host_wr_ack_o,

  // Datapath: one entry of Lanes values of bank rd_bank_i
  input  logic                          rd_en_i,
  input  logic                          rd_bank_i,
  input  logic [EntryWidth-1:0]         rd_addr_i,
  output logic [Lanes*ValueWidth-1:0]   rd_data_o
);

  localparam int unsigned PhysWidth = EntryWidth + 1;
  localparam int unsigned Words     = 2 ** PhysWidth;
  localparam int unsigned LaneWidth = (Lanes > 1) ? $clog2(Lanes) : 1;

  if (Depth < 1) begin : gen_bad_depth
    $fatal(1, "sf_weight_mem: Depth must be >= 1");
  end
  if (ValueWidth < 1 || ValueWidth > 32) begin : gen_bad_width
    $fatal(1, "sf_weight_mem: ValueWidth must be 1..32, got %0d", ValueWidth);
  end
  if (HostAddrWidth < 2 || (1 << HostAddrWidth) < 4 * Depth) begin : gen_bad_addr
    $fatal(1, "sf_weight_mem: HostAddrWidth %0d too small for Depth %0d", HostAddrWidth, Depth);
  end
  if (Lanes < 1 || Lanes > Depth) begin : gen_bad_lanes
    $fatal(1, "sf_weight_mem: Lanes must be 1..Depth, got %0d", Lanes);
  end

  // Word index of the host's byte offset.
  logic [HostAddrWidth-1:0] host_word;
  logic [IndexWidth-1:0]    host_idx;
  logic [ValueWidth-1:0]    host_mask;  // per-bit write enables from the byte strobes
  assign host_word = host_addr_i >> 2;
  assign host_idx  = host_word[IndexWidth-1:0];
  for (genvar b = 0; b < ValueWidth; b++) begin : gen_mask
    assign host_mask[b] = host_wr_biten_i[8 * (b / 8)];
  end

  // ---------------------------------------------------------------------------------
  // Host access of this cycle (one lane written, or every lane read, at one word).
  // ---------------------------------------------------------------------------------
  logic [Lanes-1:0]             acc_wr_lane;  // write of lane l
  logic                         acc_rd;       // read of every lane
  logic [PhysWidth-1:0]         acc_phys;
  logic [ValueWidth-1:0]        acc_data, acc_mask;
  logic [Lanes*ValueWidth-1:0]  host_lanes;  // per-lane host read registers

  // Datapath word.
  logic                         dp_bank;
  logic [PhysWidth-1:0]         rd_phys;
  assign dp_bank = UseRdBank ? rd_bank_i : active_bank_i;
  assign rd_phys = {dp_bank, rd_addr_i};

  for (genvar l = 0; l < Lanes; l++) begin : gen_lane
    logic [ValueWidth-1:0] mem_q [Words];
    logic [ValueWidth-1:0] host_q, rd_q;

    // Host port: write (this lane only) or read (every lane) at the shadow word.
    always_ff @(posedge clk_i) begin
      if (acc_wr_lane[l]) begin
        // Byte-lane enables (WSTRB granularity): one enable per 8 stored bits, so the
        // RAM maps onto byte-enabled block RAM.
        for (int b = 0; b < ValueWidth; b++) begin
          if (acc_mask[b]) mem_q[acc_phys][b] <= acc_data[b];
        end
      end else if (acc_rd) begin
        host_q <= mem_q[acc_phys];
      end
    end

    // Datapath port.
    always_ff @(posedge clk_i) begin
      if (rd_en_i) rd_q <= mem_q[rd_phys];
    end

    assign host_lanes[l*ValueWidth +: ValueWidth] = host_q;
    assign rd_data_o[l*ValueWidth +: ValueWidth]  = rd_q;
  end

  logic [ValueWidth-1:0] host_value;  // the value a read returns, with host_rd_ack_o

  if (Lanes == 1) begin : gen_host_direct
    // -------------------------------------------------------------------------------
    // One lane: the access happens in the request cycle, ack one cycle later.
    // -------------------------------------------------------------------------------
    assign acc_wr_lane = host_req_i & host_req_is_wr_i;
    assign acc_rd      = host_req_i & ~host_req_is_wr_i;
    assign acc_phys    = {~active_bank_i, host_idx};
    assign acc_data    = host_wr_data_i[ValueWidth-1:0];
    assign acc_mask   = host_mask;
    assign host_value = host_lanes;

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        host_rd_ack_o <= 1'b0;
        host_wr_ack_o <= 1'b0;
      end else begin
        host_rd_ack_o <= acc_rd;
        host_wr_ack_o <= acc_wr_lane[0];
      end
    end

  end else begin : gen_host_seq
    // -------------------------------------------------------------------------------
    // Several lanes: capture the request, divide the index by Lanes (restoring
    // division, quotient bit EntryWidth-1 first), decode the lane (registered one-hot
    // write enables), access, then mux the read in two registered stages (16:1 within a
    // group of lanes, then across groups).  Every step is one clock: no long paths
    // from the lane number into Lanes RAMs or through a Lanes:1 mux.
    // -------------------------------------------------------------------------------
    localparam int unsigned DivWidth  = ((IndexWidth > $clog2(Lanes + 1) + EntryWidth)
                                         ? IndexWidth : $clog2(Lanes + 1) + EntryWidth);
    localparam int unsigned StepWidth = $clog2(EntryWidth + 1);
    localparam logic [DivWidth-1:0] DivStart = DivWidth'(Lanes) << (EntryWidth - 1);
    localparam int unsigned LoBits    = (LaneWidth > 4) ? 4 : LaneWidth;
    localparam int unsigned GroupSize = 2 ** LoBits;
    localparam int unsigned Groups    = (Lanes + GroupSize - 1) / GroupSize;
    localparam int unsigned HiBits    = (Groups > 1) ? $clog2(Groups) : 1;

    logic                  div_q;       // dividing: steps_q quotient bits to go
    logic                  dec_q;       // decoding the lane
    logic                  acc_q;       // accessing the RAMs
    logic                  mux_a_q;     // read: lane registers -> group registers
    logic                  mux_b_q;     // read: group registers -> value register
    logic                  is_wr_q;
    logic                  bank_q;      // shadow bank at the request
    logic [StepWidth-1:0]  steps_q;
    logic [DivWidth-1:0]   rem_q;       // remainder (the lane once the division is done)
    logic [DivWidth-1:0]   dsr_q;       // Lanes << (bit being computed)
    logic [EntryWidth-1:0] quo_q;       // quotient: the entry
    logic [ValueWidth-1:0] data_q, mask_q;
    logic [Lanes-1:0]      lane_hit_q;  // one-hot lane
    logic [LoBits-1:0]     lane_lo_q;
    logic [HiBits-1:0]     lane_hi_q;
    logic [Groups*ValueWidth-1:0] grp_q;
    logic [ValueWidth-1:0] value_q;
    logic                  start, ge;

    assign start = host_req_i & ~(div_q | dec_q | acc_q | mux_a_q | mux_b_q);
    assign ge    = (rem_q >= dsr_q);

    always_ff @(posedge clk_i or negedge rst_ni) begin
      if (!rst_ni) begin
        div_q         <= 1'b0;
        dec_q         <= 1'b0;
        acc_q         <= 1'b0;
        mux_a_q       <= 1'b0;
        mux_b_q       <= 1'b0;
        host_rd_ack_o <= 1'b0;
        host_wr_ack_o <= 1'b0;
      end else begin
        div_q         <= start | (div_q & (steps_q != StepWidth'(1)));
        dec_q         <= div_q & (steps_q == StepWidth'(1));
        acc_q         <= dec_q;
        mux_a_q       <= acc_q & ~is_wr_q;
        mux_b_q       <= mux_a_q;
        host_rd_ack_o <= mux_b_q;
        host_wr_ack_o <= acc_q & is_wr_q;
      end
    end

    always_ff @(posedge clk_i) begin
      if (start) begin
        is_wr_q <= host_req_is_wr_i;
        bank_q  <= ~active_bank_i;
        steps_q <= StepWidth'(EntryWidth);
        rem_q   <= DivWidth'(host_idx);
        dsr_q   <= DivStart;
        quo_q   <= '0;
        data_q  <= host_wr_data_i[ValueWidth-1:0];
        mask_q  <= host_mask;
      end else if (div_q) begin
        steps_q <= steps_q - 1'b1;
        rem_q   <= ge ? rem_q - dsr_q : rem_q;
        dsr_q   <= dsr_q >> 1;
        quo_q   <= (quo_q << 1) | EntryWidth'(ge);
      end
    end

    always_ff @(posedge clk_i) begin
      if (dec_q) begin
        for (int l = 0; l < Lanes; l++) lane_hit_q[l] <= (rem_q == DivWidth'(l));
        lane_lo_q <= rem_q[LoBits-1:0];
        lane_hi_q <= HiBits'(rem_q >> LoBits);
      end
    end

    // Read mux, stage A: lane lane_lo of each group of GroupSize lanes.
    for (genvar k = 0; k < Groups; k++) begin : gen_group
      localparam int unsigned N = (Lanes - k * GroupSize < GroupSize)
                                  ? Lanes - k * GroupSize : GroupSize;
      logic [GroupSize*ValueWidth-1:0] lanes;
      assign lanes = (GroupSize * ValueWidth)'(host_lanes[k*GroupSize*ValueWidth +: N*ValueWidth]);
      always_ff @(posedge clk_i) begin
        if (mux_a_q) grp_q[k*ValueWidth +: ValueWidth] <= lanes[lane_lo_q*ValueWidth +: ValueWidth];
      end
    end

    // Stage B: the group.
    always_ff @(posedge clk_i) begin
      if (mux_b_q) value_q <= grp_q[lane_hi_q*ValueWidth +: ValueWidth];
    end

    assign acc_wr_lane = {Lanes{acc_q & is_wr_q}} & lane_hit_q;
    assign acc_rd      = acc_q & ~is_wr_q;
    assign acc_phys    = {bank_q, quo_q};
    assign acc_data    = data_q;
    assign acc_mask    = mask_q;
    assign host_value  = value_q;
  end

  if (ValueWidth < 32) begin : gen_sext
    assign host_rd_data_o = {{(32 - ValueWidth){host_value[ValueWidth-1]}}, host_value};
  end else begin : gen_full
    assign host_rd_data_o = host_value;
  end

  // Bits the value does not use (upper data bits, strobes of absent bytes, low address
  // bits, index bits above Depth's range) are dropped by design; so is the bank select
  // the configuration does not use.
  logic unused;
  assign unused = ^{host_wr_data_i, host_wr_biten_i, host_word, host_addr_i[1:0],
                    rd_bank_i, active_bank_i};

endmodule
