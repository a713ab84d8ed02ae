${header}
// FPGA top of the ${board.name} board (${board.device}, package ${board.package},
// speed grade ${board.speed}): PLL, reset synchroniser and one UART-controlled design.
//
//   clk_25mhz_i -> ${pll_module} -> clk (${"%.6g" % clk_mhz} MHz) ------------------+
//   btn_i[0] (PWR, active low) & PLL lock -> sf_reset_sync -> global buffer -> rst_n -> ${design}
//   ftdi_txd_i (FT231X -> FPGA) -> uart_rx_i   uart_tx_o -> ftdi_rxd_o (FPGA -> FT231X)
//   led_o <- design's led_o
//
// Pin sites: ${lpf_name}.  Design provider: ${provider}.
module ${top} (
  input  logic       clk_25mhz_i,
  input  logic [6:0] btn_i,        // [0] PWR (active low): reset; [6:1] unused
  input  logic       ftdi_txd_i,
  output logic       ftdi_rxd_o,
  output logic [7:0] led_o
);

  logic clk, pll_locked, rst_n_async, rst_n_sync, rst_n;

  ${pll_module} u_pll (
    .clk_i   (clk_25mhz_i),
    .clk_o   (clk),
    .locked_o(pll_locked)
  );

  // Reset while the PWR button is pressed or the PLL is not locked; released
  // synchronously to the core clock.
  assign rst_n_async = btn_i[0] & pll_locked;

  sf_reset_sync #(.Stages(${reset_stages})) u_reset_sync (
    .clk_i (clk),
    .rst_ni(rst_n_async),
    .rst_no(rst_n_sync)
  );

  // The reset root reaches the first flop of every reset-tree leaf, all over the die:
  // a global net, not fabric routing (fpga/ecp5/sf_ecp5_gbuf.v).
  sf_ecp5_gbuf u_rst_gbuf (
    .i(rst_n_sync),
    .o(rst_n)
  );

  ${design}${" #(" + ", ".join(f".{k}({v})" for k, v in design_params) + ")" if design_params else ""} u_design (
    .clk_i    (clk),
    .rst_ni   (rst_n),
    .uart_rx_i(ftdi_txd_i),
    .uart_tx_o(ftdi_rxd_o),
    .led_o    (led_o)
  );

  logic unused_btn;
  assign unused_btn = ^btn_i[6:1];

endmodule
