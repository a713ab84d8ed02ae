// SemifreddoNets-HW: AXI4-Lite address decoder, one master (s_axil_*) to two slaves
// (m0_axil_*, m1_axil_*).  Address bit SelBit chooses the slave (0 -> m0, 1 -> m1); the
// slave gets the low M0AddrWidth / M1AddrWidth address bits.
//
//   s_axil_*addr:  [AddrWidth-1 .. SelBit+1] | SelBit | [SelBit-1 .. Mk] | [Mk-1 .. 0]
//                   must be 0                  slave k   must be 0          -> mk_axil_*addr
//
// Behaviour
// ---------
//   * An address with any bit other than SelBit set at or above the selected slave's
//     width Mk is a decode error: the split answers it itself with SLVERR (a write's data
//     is consumed and dropped; a read returns RDATA 0) and nothing reaches any slave.
//   * AW and AR are captured into holding registers (s_axil_awready / s_axil_arready are
//     "register empty"), and the address is decoded while it is captured: the slave
//     select and the error flag are registers.  W is captured into its own holding
//     register; AW and W may arrive in either order or in the same cycle.
//   * A write goes out once AW is held (m*_awvalid) and once both AW and W are held
//     (m*_wvalid), each from a register, each dropped after its own handshake.  The
//     selected slave's B and R are registered (the slave sees bready/rready while the
//     response register is empty); a decode error's B / R is generated from the holding
//     registers.  The holding registers are freed by the B / R handshake on the master
//     side, so one write and one read are outstanding at a time, independently of each
//     other.  Latency: two clocks more than the slave on each transaction.
//   * Every valid and ready driven by the split comes from registers only: no
//     combinational path crosses the split (timing: the slaves' read-data muxes and the
//     master's response logic meet only at a flop).
//   * WDATA/WSTRB/AWPROT/ARPROT go to both slaves (only the selected one sees a valid).
//     Slave responses (OKAY, SLVERR, DECERR) reach the master unchanged.
//
// Reset: rst_ni active-low asynchronous; all holding registers are emptied, so every
// channel is idle after a reset even in the middle of a transaction.  The slaves must be
// reset with the split (AXI: a response to a transaction lost in the reset must not
// arrive afterwards).
module sf_axil_split #(
  parameter int unsigned AddrWidth   = 32,  // s_axil address bits, 2..32
  parameter int unsigned SelBit      = 30,  // address bit choosing the slave: 0 -> m0, 1 -> m1
  parameter int unsigned M0AddrWidth = 16,  // address bits slave 0 decodes, 1..SelBit
  parameter int unsigned M1AddrWidth = 14   // address bits slave 1 decodes, 1..SelBit
) (
  input  logic                   clk_i,
  input  logic                   rst_ni,

  // AXI4-Lite slave port (from the master)
  input  logic                   s_axil_awvalid,
  output logic                   s_axil_awready,
  input  logic [AddrWidth-1:0]   s_axil_awaddr,
  input  logic [2:0]             s_axil_awprot,
  input  logic                   s_axil_wvalid,
  output logic                   s_axil_wready,
  input  logic [31:0]            s_axil_wdata,
  input  logic [3:0]             s_axil_wstrb,
  output logic                   s_axil_bvalid,
  input  logic                   s_axil_bready,
  output logic [1:0]             s_axil_bresp,
  input  logic                   s_axil_arvalid,
  output logic                   s_axil_arready,
  input  logic [AddrWidth-1:0]   s_axil_araddr,
  input  logic [2:0]             s_axil_arprot,
  output logic                   s_axil_rvalid,
  input  logic                   s_axil_rready,
  output logic [31:0]            s_axil_rdata,
  output logic [1:0]             s_axil_rresp,

  // AXI4-Lite master port to slave 0
  output logic                   m0_axil_awvalid,
  input  logic                   m0_axil_awready,
  output logic [M0AddrWidth-1:0] m0_axil_awaddr,
  output logic [2:0]             m0_axil_awprot,
  output logic                   m0_axil_wvalid,
  input  logic                   m0_axil_wready,
  output logic [31:0]            m0_axil_wdata,
  output logic [3:0]             m0_axil_wstrb,
  input  logic                   m0_axil_bvalid,
  output logic                   m0_axil_bready,
  input  logic [1:0]             m0_axil_bresp,
  output logic                   m0_axil_arvalid,
  input  logic                   m0_axil_arready,
  output logic [M0AddrWidth-1:0] m0_axil_araddr,
  output logic [2:0]             m0_axil_arprot,
  input  logic                   m0_axil_rvalid,
  output logic                   m0_axil_rready,
  input  logic [31:0]            m0_axil_rdata,
  input  logic [1:0]             m0_axil_rresp,

  // AXI4-Lite master port to slave 1
  output logic                   m1_axil_awvalid,
  input  logic                   m1_axil_awready,
  output logic [M1AddrWidth-1:0] m1_axil_awaddr,
  output logic [2:0]             m1_axil_awprot,
  output logic                   m1_axil_wvalid,
  input  logic                   m1_axil_wready,
  output logic [31:0]            m1_axil_wdata,
  output logic [3:0]             m1_axil_wstrb,
  input  logic                   m1_axil_bvalid,
  output logic                   m1_axil_bready,
  input  logic [1:0]             m1_axil_bresp,
  output logic                   m1_axil_arvalid,
  input  logic                   m1_axil_arready,
  output logic [M1AddrWidth-1:0] m1_axil_araddr,
  output logic [2:0]             m1_axil_arprot,
  input  logic                   m1_axil_rvalid,
  output logic                   m1_axil_rready,
  input  logic [31:0]            m1_axil_rdata,
  input  logic [1:0]             m1_axil_rresp
);

  if (AddrWidth < 2 || AddrWidth > 32) begin : gen_bad_addr_width
    $fatal(1, "sf_axil_split: AddrWidth must be 2..32, got %0d", AddrWidth);
  end
  if (SelBit >= AddrWidth) begin : gen_bad_sel_bit
    $fatal(1, "sf_axil_split: SelBit must be < AddrWidth, got %0d", SelBit);
  end
  if (M0AddrWidth < 1 || M0AddrWidth > SelBit || M1AddrWidth < 1 || M1AddrWidth > SelBit)
  begin : gen_bad_slave_width
    $fatal(1, "sf_axil_split: M0AddrWidth and M1AddrWidth must be 1..SelBit, got %0d, %0d",
           M0AddrWidth, M1AddrWidth);
  end

  localparam logic [1:0]          RespSlverr = 2'b10;
  localparam int unsigned         HeldWidth  = (M0AddrWidth > M1AddrWidth) ? M0AddrWidth
                                                                           : M1AddrWidth;
  localparam logic [AddrWidth-1:0] SelMask   = AddrWidth'(1) << SelBit;
  // address bits that must be 0 for slave 0 / slave 1
  localparam logic [AddrWidth-1:0] M0Zero    = ({AddrWidth{1'b1}} << M0AddrWidth) & ~SelMask;
  localparam logic [AddrWidth-1:0] M1Zero    = ({AddrWidth{1'b1}} << M1AddrWidth) & ~SelMask;

  function automatic logic decode_error(logic [AddrWidth-1:0] addr);
    return addr[SelBit] ? |(addr & M1Zero) : |(addr & M0Zero);
  endfunction

  // ---------------------------------------------------------------------------------
  // Write: AW and W holding registers
  // ---------------------------------------------------------------------------------
  logic                 aw_full_q, aw_sel_q, aw_err_q, aw_sent_q;
  logic [HeldWidth-1:0] awaddr_q;
  logic [2:0]           awprot_q;
  logic                 w_full_q, w_sent_q;
  logic [31:0]          wdata_q;
  logic [3:0]           wstrb_q;
  logic                 wr_fwd, aw_go, w_go, aw_done, w_done, b_slave_valid, b_done;

  assign s_axil_awready = ~aw_full_q;
  assign s_axil_wready  = ~w_full_q;

  // a held, decodable write goes to the selected slave
  assign wr_fwd  = aw_full_q && !aw_err_q;
  assign aw_go   = wr_fwd && !aw_sent_q;
  assign w_go    = wr_fwd && w_full_q && !w_sent_q;
  assign aw_done = aw_sel_q ? m1_axil_awready : m0_axil_awready;
  assign w_done  = aw_sel_q ? m1_axil_wready : m0_axil_wready;

  assign m0_axil_awvalid = aw_go && !aw_sel_q;
  assign m1_axil_awvalid = aw_go && aw_sel_q;
  assign m0_axil_wvalid  = w_go && !aw_sel_q;
  assign m1_axil_wvalid  = w_go && aw_sel_q;
  assign m0_axil_awaddr  = awaddr_q[M0AddrWidth-1:0];
  assign m1_axil_awaddr  = awaddr_q[M1AddrWidth-1:0];
  assign m0_axil_awprot  = awprot_q;
  assign m1_axil_awprot  = awprot_q;
  assign m0_axil_wdata   = wdata_q;
  assign m1_axil_wdata   = wdata_q;
  assign m0_axil_wstrb   = wstrb_q;
  assign m1_axil_wstrb   = wstrb_q;

  // B: the selected slave's response is registered (b_full_q), or SLVERR for a decode error
  logic       b_full_q;
  logic [1:0] bresp_q;
  assign b_slave_valid  = aw_sel_q ? m1_axil_bvalid : m0_axil_bvalid;
  assign s_axil_bvalid  = aw_full_q && w_full_q && (aw_err_q || b_full_q);
  assign s_axil_bresp   = aw_err_q ? RespSlverr : bresp_q;
  assign m0_axil_bready = wr_fwd && w_full_q && !aw_sel_q && !b_full_q;
  assign m1_axil_bready = wr_fwd && w_full_q && aw_sel_q && !b_full_q;
  assign b_done         = s_axil_bvalid && s_axil_bready;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      b_full_q <= 1'b0;
      bresp_q  <= '0;
    end else if (b_done) begin
      b_full_q <= 1'b0;
    end else if (wr_fwd && w_full_q && !b_full_q && b_slave_valid) begin
      b_full_q <= 1'b1;
      bresp_q  <= aw_sel_q ? m1_axil_bresp : m0_axil_bresp;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      aw_full_q <= 1'b0;
      aw_sel_q  <= 1'b0;
      aw_err_q  <= 1'b0;
      aw_sent_q <= 1'b0;
      awaddr_q  <= '0;
      awprot_q  <= '0;
      w_full_q  <= 1'b0;
      w_sent_q  <= 1'b0;
      wdata_q   <= '0;
      wstrb_q   <= '0;
    end else begin
      if (s_axil_awvalid && !aw_full_q) begin
        aw_full_q <= 1'b1;
        aw_sel_q  <= s_axil_awaddr[SelBit];
        aw_err_q  <= decode_error(s_axil_awaddr);
        awaddr_q  <= s_axil_awaddr[HeldWidth-1:0];
        awprot_q  <= s_axil_awprot;
      end else if (b_done) begin
        aw_full_q <= 1'b0;
      end
      if (s_axil_wvalid && !w_full_q) begin
        w_full_q <= 1'b1;
        wdata_q  <= s_axil_wdata;
        wstrb_q  <= s_axil_wstrb;
      end else if (b_done) begin
        w_full_q <= 1'b0;
      end
      if (b_done) begin
        aw_sent_q <= 1'b0;
        w_sent_q  <= 1'b0;
      end else begin
        if (aw_go && aw_done) begin
          aw_sent_q <= 1'b1;
        end
        if (w_go && w_done) begin
          w_sent_q <= 1'b1;
        end
      end
    end
  end

  // ---------------------------------------------------------------------------------
  // Read: AR holding register
  // ---------------------------------------------------------------------------------
  logic                 ar_full_q, ar_sel_q, ar_err_q, ar_sent_q;
  logic [HeldWidth-1:0] araddr_q;
  logic [2:0]           arprot_q;
  logic                 rd_fwd, ar_go, ar_done, r_slave_valid, r_done;

  assign s_axil_arready = ~ar_full_q;

  assign rd_fwd  = ar_full_q && !ar_err_q;
  assign ar_go   = rd_fwd && !ar_sent_q;
  assign ar_done = ar_sel_q ? m1_axil_arready : m0_axil_arready;

  assign m0_axil_arvalid = ar_go && !ar_sel_q;
  assign m1_axil_arvalid = ar_go && ar_sel_q;
  assign m0_axil_araddr  = araddr_q[M0AddrWidth-1:0];
  assign m1_axil_araddr  = araddr_q[M1AddrWidth-1:0];
  assign m0_axil_arprot  = arprot_q;
  assign m1_axil_arprot  = arprot_q;

  // R: the selected slave's response is registered (r_full_q), or SLVERR with data 0 for
  // a decode error
  logic        r_full_q;
  logic [1:0]  rresp_q;
  logic [31:0] rdata_q;
  assign r_slave_valid  = ar_sel_q ? m1_axil_rvalid : m0_axil_rvalid;
  assign s_axil_rvalid  = ar_full_q && (ar_err_q || r_full_q);
  assign s_axil_rresp   = ar_err_q ? RespSlverr : rresp_q;
  assign s_axil_rdata   = ar_err_q ? '0 : rdata_q;
  assign m0_axil_rready = rd_fwd && !ar_sel_q && !r_full_q;
  assign m1_axil_rready = rd_fwd && ar_sel_q && !r_full_q;
  assign r_done         = s_axil_rvalid && s_axil_rready;

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      r_full_q <= 1'b0;
      rresp_q  <= '0;
      rdata_q  <= '0;
    end else if (r_done) begin
      r_full_q <= 1'b0;
    end else if (rd_fwd && !r_full_q && r_slave_valid) begin
      r_full_q <= 1'b1;
      rresp_q  <= ar_sel_q ? m1_axil_rresp : m0_axil_rresp;
      rdata_q  <= ar_sel_q ? m1_axil_rdata : m0_axil_rdata;
    end
  end

  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ar_full_q <= 1'b0;
      ar_sel_q  <= 1'b0;
      ar_err_q  <= 1'b0;
      ar_sent_q <= 1'b0;
      araddr_q  <= '0;
      arprot_q  <= '0;
    end else begin
      if (s_axil_arvalid && !ar_full_q) begin
        ar_full_q <= 1'b1;
        ar_sel_q  <= s_axil_araddr[SelBit];
        ar_err_q  <= decode_error(s_axil_araddr);
        araddr_q  <= s_axil_araddr[HeldWidth-1:0];
        arprot_q  <= s_axil_arprot;
      end else if (r_done) begin
        ar_full_q <= 1'b0;
      end
      if (r_done) begin
        ar_sent_q <= 1'b0;
      end else if (ar_go && ar_done) begin
        ar_sent_q <= 1'b1;
      end
    end
  end

endmodule
