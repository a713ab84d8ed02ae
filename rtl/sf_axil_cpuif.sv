// SemifreddoNets-HW: AXI4-Lite slave to a PeakRDL-regblock "passthrough" CPU interface,
// with every request signal the regblock sees coming straight from a flop.
//
// Why: the regblock's own AXI4-Lite front end dispatches a request combinationally (in-
// flight count, read/write choice, address mux) into the regblock's address decode
// (range compares on the address) and the read-back mux: on ECP5 that one path ran at
// 64-71 MHz.  Here the dispatch is done one clock earlier, into registers (req, is_wr,
// address, write data, byte enables), so the decode starts at a flop.
//
// Behaviour
// ---------
//   * AW, W and AR are captured into one holding register each; a channel is ready when
//     its register is empty or is being emptied this cycle, so each channel takes one
//     transfer per clock.  AW and W may arrive in either order or in the same cycle.
//   * The request register takes a read (AR held) or a write (AW and W held) when it is
//     empty or its request is being accepted, and a response credit is free.  When both
//     are waiting, reads and writes alternate.  The regblock accepts the request when its
//     stall input of that kind is low (m_cpuif_req_stall_{rd,wr}_i); until then it stays
//     presented, unchanged.
//   * Responses (m_cpuif_{rd,wr}_ack_i with err/rdata) are registered (the regblock acks
//     a register access combinationally from its address decode) and go into an in-order
//     response FIFO (sf_fifo, Depth entries); its head is an R or a B response.  A
//     response credit is taken when a request enters the request register and given back
//     when its response leaves on B or R, so the FIFO can never overflow and the
//     regblock's acks are never refused.  A credit is out for 6 clocks plus the
//     regblock's latency, so Depth 16 gives full rate for register accesses with
//     read-back retiming.
//   * Responses come back in request order, reads and writes in one queue (the regblock
//     answers in order); a B waiting for bready holds back a later R and vice versa.
//   * Addresses are word aligned on the way (the low two bits read as 0, as AXI4-Lite
//     with 32-bit data allows); m_cpuif_wr_biten_o is the byte strobes widened to bits;
//     AWPROT/ARPROT are ignored.
//   * The regblock must not ack a read and a write in the same cycle (PeakRDL guarantees
//     it with its write stall after a read).
//
// Latency: one clock more on the request side than the regblock's own AXI4-Lite
// interface and four on the response side (ack register, response FIFO).
//
// Reset: rst_ni active-low asynchronous; holding registers, request register, credits and
// the response FIFO are emptied.  Reset the regblock with this module.
module sf_axil_cpuif #(
  parameter int unsigned AddrWidth = 16,  // byte address bits, 3..32
  parameter int unsigned Depth     = 16   // response FIFO entries = requests in flight,
                                          // a power of 2, >= 2
) (
  input  logic                  clk_i,
  input  logic                  rst_ni,

  // AXI4-Lite slave port
  input  logic                  s_axil_awvalid,
  output logic                  s_axil_awready,
  input  logic [AddrWidth-1:0]  s_axil_awaddr,
  input  logic [2:0]            s_axil_awprot,
  input  logic                  s_axil_wvalid,
  output logic                  s_axil_wready,
  input  logic [31:0]           s_axil_wdata,
  input  logic [3:0]            s_axil_wstrb,
  output logic                  s_axil_bvalid,
  input  logic                  s_axil_bready,
  output logic [1:0]            s_axil_bresp,
  input  logic                  s_axil_arvalid,
  output logic                  s_axil_arready,
  input  logic [AddrWidth-1:0]  s_axil_araddr,
  input  logic [2:0]            s_axil_arprot,
  output logic                  s_axil_rvalid,
  input  logic                  s_axil_rready,
  output logic [31:0]           s_axil_rdata,
  output logic [1:0]            s_axil_rresp,

  // PeakRDL passthrough CPU interface (to the regblock's s_cpuif_* ports)
  output logic                  m_cpuif_req_o,
  output logic                  m_cpuif_req_is_wr_o,
  output logic [AddrWidth-1:0]  m_cpuif_addr_o,
  output logic [31:0]           m_cpuif_wr_data_o,
  output logic [31:0]           m_cpuif_wr_biten_o,
  input  logic                  m_cpuif_req_stall_wr_i,
  input  logic                  m_cpuif_req_stall_rd_i,
  input  logic                  m_cpuif_rd_ack_i,
  input  logic                  m_cpuif_rd_err_i,
  input  logic [31:0]           m_cpuif_rd_data_i,
  input  logic                  m_cpuif_wr_ack_i,
  input  logic                  m_cpuif_wr_err_i
);

  localparam int unsigned CreditW = $clog2(Depth + 1);
  localparam logic [1:0] RespOkay = 2'b00, RespSlvErr = 2'b10;

  if (AddrWidth < 3 || AddrWidth > 32) begin : gen_bad_addr_width
    $fatal(1, "sf_axil_cpuif: AddrWidth must be 3..32, got %0d", AddrWidth);
  end
  if (Depth < 2 || (Depth & (Depth - 1)) != 0) begin : gen_bad_depth
    $fatal(1, "sf_axil_cpuif: Depth must be a power of 2 >= 2, got %0d", Depth);
  end

  // ---------------------------------------------------------------------------------
  // Holding registers
  // ---------------------------------------------------------------------------------
  logic                 aw_q, w_q, ar_q;             // holding register full
  logic [AddrWidth-1:2] awaddr_q, araddr_q;        // word addresses
  logic [31:0]          wdata_q;
  logic [3:0]           wstrb_q;
  logic                 take_rd, take_wr;            // moved into the request register

  assign s_axil_awready = ~aw_q | take_wr;
  assign s_axil_wready  = ~w_q | take_wr;
  assign s_axil_arready = ~ar_q | take_rd;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      aw_q <= 1'b0;
      w_q  <= 1'b0;
      ar_q <= 1'b0;
    end else begin
      if (s_axil_awvalid && s_axil_awready) aw_q <= 1'b1;
      else if (take_wr)                     aw_q <= 1'b0;
      if (s_axil_wvalid && s_axil_wready)   w_q  <= 1'b1;
      else if (take_wr)                     w_q  <= 1'b0;
      if (s_axil_arvalid && s_axil_arready) ar_q <= 1'b1;
      else if (take_rd)                     ar_q <= 1'b0;
    end
  end

  always_ff @(posedge clk_i) begin
    if (s_axil_awvalid && s_axil_awready) awaddr_q <= s_axil_awaddr[AddrWidth-1:2];
    if (s_axil_arvalid && s_axil_arready) araddr_q <= s_axil_araddr[AddrWidth-1:2];
    if (s_axil_wvalid && s_axil_wready) begin
      wdata_q <= s_axil_wdata;
      wstrb_q <= s_axil_wstrb;
    end
  end

  // ---------------------------------------------------------------------------------
  // Request register
  // ---------------------------------------------------------------------------------
  logic                 req_q, is_wr_q;              // is_wr_q: also the kind taken last
  logic [AddrWidth-1:0] addr_q;
  logic [31:0]          req_wdata_q;
  logic [3:0]           req_wstrb_q;
  logic                 accepted, load, rd_ready, wr_ready;
  logic [CreditW-1:0]   credits_q;                   // responses owed or queued
  logic                 credit_free, resp_pop;

  assign accepted    = req_q & ~(is_wr_q ? m_cpuif_req_stall_wr_i : m_cpuif_req_stall_rd_i);
  assign credit_free = credits_q != CreditW'(Depth);
  assign load        = (~req_q | accepted) & credit_free;
  assign rd_ready    = ar_q;
  assign wr_ready    = aw_q & w_q;
  // Alternate when both wait: a write goes first after a read, and vice versa.
  assign take_rd     = load & rd_ready & (~wr_ready | is_wr_q);
  assign take_wr     = load & wr_ready & ~take_rd;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      req_q     <= 1'b0;
      is_wr_q   <= 1'b1;       // a read goes first after reset
      credits_q <= '0;
    end else begin
      if (take_rd || take_wr) begin
        req_q     <= 1'b1;
        is_wr_q   <= take_wr;
      end else if (accepted) begin
        req_q <= 1'b0;
      end
      credits_q <= credits_q + CreditW'(take_rd | take_wr) - CreditW'(resp_pop);
    end
  end

  always_ff @(posedge clk_i) begin
    if (take_rd) addr_q <= {araddr_q, 2'b00};
    if (take_wr) begin
      addr_q      <= {awaddr_q, 2'b00};
      req_wdata_q <= wdata_q;
      req_wstrb_q <= wstrb_q;
    end
  end

  assign m_cpuif_req_o       = req_q;
  assign m_cpuif_req_is_wr_o = is_wr_q;
  assign m_cpuif_addr_o      = addr_q;
  assign m_cpuif_wr_data_o   = req_wdata_q;
  for (genvar b = 0; b < 4; b++) begin : gen_biten
    assign m_cpuif_wr_biten_o[8*b +: 8] = {8{req_wstrb_q[b]}};
  end

  // ---------------------------------------------------------------------------------
  // Responses: {is_wr, err, rdata}, in order
  // ---------------------------------------------------------------------------------
  logic        resp_valid, resp_is_wr, resp_err;
  logic [31:0] resp_rdata;
  logic        push_ready;
  logic        ack_q, ack_is_wr_q, ack_err_q;
  logic [31:0] ack_rdata_q;
  logic [$clog2(Depth+1)-1:0] resp_count;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) ack_q <= 1'b0;
    else         ack_q <= m_cpuif_rd_ack_i | m_cpuif_wr_ack_i;
  end

  always_ff @(posedge clk_i) begin
    ack_is_wr_q <= m_cpuif_wr_ack_i;
    ack_err_q   <= m_cpuif_wr_ack_i ? m_cpuif_wr_err_i : m_cpuif_rd_err_i;
    ack_rdata_q <= m_cpuif_rd_data_i;
  end

  sf_fifo #(.Width(34), .Depth(Depth)) u_resp (
    .clk_i,
    .rst_ni,
    .s_axis_tvalid(ack_q),
    .s_axis_tready(push_ready),
    .s_axis_tdata ({ack_is_wr_q, ack_err_q, ack_rdata_q}),
    .m_axis_tvalid(resp_valid),
    .m_axis_tready(resp_is_wr ? s_axil_bready : s_axil_rready),
    .m_axis_tdata ({resp_is_wr, resp_err, resp_rdata}),
    .count_o      (resp_count)
  );

  assign resp_pop      = resp_valid & (resp_is_wr ? s_axil_bready : s_axil_rready);
  assign s_axil_bvalid = resp_valid & resp_is_wr;
  assign s_axil_bresp  = resp_err ? RespSlvErr : RespOkay;
  assign s_axil_rvalid = resp_valid & ~resp_is_wr;
  assign s_axil_rresp  = resp_err ? RespSlvErr : RespOkay;
  assign s_axil_rdata  = resp_rdata;

  // Unused: AXI4-Lite protection and byte-in-word address bits; the FIFO's ready and
  // count (the credits keep the FIFO from filling)
  logic unused;
  assign unused = ^{s_axil_awprot, s_axil_arprot, s_axil_awaddr[1:0], s_axil_araddr[1:0],
                    push_ready, resp_count};

endmodule
