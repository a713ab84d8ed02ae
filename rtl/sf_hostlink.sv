// SemifreddoNets-HW: host link = UART receiver + RX FIFO + protocol bridge + TX FIFO +
// UART transmitter, with an AXI4-Lite master towards the chip (board top: wire
// uart_rx_i / uart_tx_o to the FT231X TXD / RXD pins).
//
//   uart_rx_i -> sf_uart_rx -> sf_fifo (RxFifoDepth x 9) -> sf_uart_axil -> m_axil_*
//   uart_tx_o <- sf_uart_tx <- sf_fifo (TxFifoDepth x 8) <-'
//
// * The RX FIFO carries {line_error, byte}: a frame error or break of the receiver is
//   queued as a marker in order with the bytes, so the bridge aborts exactly the frame
//   it happened in (NAK LINE_ERROR, nothing written).
// * RxFifoDepth (default 2048 = one ECP5 DP16KD) is what lets the host pipeline: while
//   the bridge executes a request or sends a read response, the following request is
//   queued here.  With at most two requests outstanding (docs/host-protocol.md) and
//   MaxWords = 256 the queue never holds more than one maximum request (1034 B) plus
//   the bytes arriving during one AXI burst, so nothing is lost.
// * TimeoutBytes: frame inter-byte timeout in byte times (10 bits at Baud).
// * rx_overrun_o pulses when a received byte had to be dropped (RX FIFO full): only
//   possible if the host breaks the pipelining rule.
//
// Clocking: ClkHz >= 16 * Baud (3 Mbaud needs >= 48 MHz). Reset: rst_ni active-low async.
module sf_hostlink #(
  parameter int unsigned ClkHz            = 48_000_000,
  parameter int unsigned Baud             = 3_000_000,
  parameter int unsigned AddrWidth        = 32,
  parameter int unsigned MaxWords         = 256,
  parameter int unsigned RxFifoDepth      = 2048,
  parameter int unsigned TxFifoDepth      = 16,
  parameter int unsigned TimeoutBytes     = 64,
  parameter int unsigned AxiTimeoutCycles = 4_096
) (
  input  logic                 clk_i,
  input  logic                 rst_ni,

  input  logic                 uart_rx_i,
  output logic                 uart_tx_o,
  output logic                 rx_overrun_o,

  output logic [AddrWidth-1:0] m_axil_awaddr,
  output logic [2:0]           m_axil_awprot,
  output logic                 m_axil_awvalid,
  input  logic                 m_axil_awready,
  output logic [31:0]          m_axil_wdata,
  output logic [3:0]           m_axil_wstrb,
  output logic                 m_axil_wvalid,
  input  logic                 m_axil_wready,
  input  logic [1:0]           m_axil_bresp,
  input  logic                 m_axil_bvalid,
  output logic                 m_axil_bready,
  output logic [AddrWidth-1:0] m_axil_araddr,
  output logic [2:0]           m_axil_arprot,
  output logic                 m_axil_arvalid,
  input  logic                 m_axil_arready,
  input  logic [31:0]          m_axil_rdata,
  input  logic [1:0]           m_axil_rresp,
  input  logic                 m_axil_rvalid,
  output logic                 m_axil_rready
);

  localparam longint unsigned TimeoutCyclesL =
      64'(TimeoutBytes) * 10 * 64'(ClkHz) / 64'(Baud);
  localparam int unsigned TimeoutCycles = int'(TimeoutCyclesL);

  // --- receive ------------------------------------------------------------------------
  logic [7:0] rx_data;
  logic       rx_valid, rx_ready, rx_ferr, rx_break;

  sf_uart_rx #(.ClkHz(ClkHz), .Baud(Baud)) u_rx (
    .clk_i, .rst_ni,
    .rxd_i        (uart_rx_i),
    .m_axis_tdata (rx_data),
    .m_axis_tvalid(rx_valid),
    .m_axis_tready(rx_ready),
    .frame_err_o  (rx_ferr),
    .break_o      (rx_break),
    .overrun_o    (rx_overrun_o)
  );

  logic       rxq_in_valid;
  logic [8:0] rxq_in_data, rxq_out_data;
  logic       rxq_out_valid, rxq_out_ready;
  logic [$clog2(RxFifoDepth+1)-1:0] unused_rxq_count;

  // a byte and a line-error pulse never coincide (the pulses come >= 1/2 bit later)
  assign rxq_in_valid = rx_valid || rx_ferr || rx_break;
  assign rxq_in_data  = rx_valid ? {1'b0, rx_data} : {1'b1, 8'h00};

  sf_fifo #(.Width(9), .Depth(RxFifoDepth)) u_rx_fifo (
    .clk_i, .rst_ni,
    .s_axis_tvalid(rxq_in_valid),
    .s_axis_tready(rx_ready),
    .s_axis_tdata (rxq_in_data),
    .m_axis_tvalid(rxq_out_valid),
    .m_axis_tready(rxq_out_ready),
    .m_axis_tdata (rxq_out_data),
    .count_o      (unused_rxq_count)
  );

  // --- bridge -------------------------------------------------------------------------
  logic [7:0] txq_in_data, tx_data;
  logic       txq_in_valid, txq_in_ready, tx_valid, tx_ready;

  sf_uart_axil #(
    .AddrWidth       (AddrWidth),
    .MaxWords        (MaxWords),
    .TimeoutCycles   (TimeoutCycles),
    .AxiTimeoutCycles(AxiTimeoutCycles)
  ) u_bridge (
    .clk_i, .rst_ni,
    .s_axis_tdata (rxq_out_data[7:0]),
    .s_axis_tuser (rxq_out_data[8]),
    .s_axis_tvalid(rxq_out_valid),
    .s_axis_tready(rxq_out_ready),
    .m_axis_tdata (txq_in_data),
    .m_axis_tvalid(txq_in_valid),
    .m_axis_tready(txq_in_ready),
    .m_axil_awaddr, .m_axil_awprot, .m_axil_awvalid, .m_axil_awready,
    .m_axil_wdata, .m_axil_wstrb, .m_axil_wvalid, .m_axil_wready,
    .m_axil_bresp, .m_axil_bvalid, .m_axil_bready,
    .m_axil_araddr, .m_axil_arprot, .m_axil_arvalid, .m_axil_arready,
    .m_axil_rdata, .m_axil_rresp, .m_axil_rvalid, .m_axil_rready
  );

  // --- transmit -----------------------------------------------------------------------
  logic [$clog2(TxFifoDepth+1)-1:0] unused_txq_count;
  logic                             unused_tx_busy;

  sf_fifo #(.Width(8), .Depth(TxFifoDepth)) u_tx_fifo (
    .clk_i, .rst_ni,
    .s_axis_tvalid(txq_in_valid),
    .s_axis_tready(txq_in_ready),
    .s_axis_tdata (txq_in_data),
    .m_axis_tvalid(tx_valid),
    .m_axis_tready(tx_ready),
    .m_axis_tdata (tx_data),
    .count_o      (unused_txq_count)
  );

  sf_uart_tx #(.ClkHz(ClkHz), .Baud(Baud)) u_tx (
    .clk_i, .rst_ni,
    .s_axis_tdata (tx_data),
    .s_axis_tvalid(tx_valid),
    .s_axis_tready(tx_ready),
    .txd_o        (uart_tx_o),
    .busy_o       (unused_tx_busy)
  );

endmodule
