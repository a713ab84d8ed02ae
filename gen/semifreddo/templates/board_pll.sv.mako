${header}
// Core clock PLL of the ${board.name} board top: ${pll.fin_mhz} MHz in,
// ${"%.6g" % pll.fout_mhz} MHz out (${pll.requested_mhz} MHz requested).  The EHXPLLL settings
// below were computed by ecppll at build time (${pll.command}); this file only lays them out.
// locked_o is asynchronous: the board top feeds it into the reset synchroniser.
module ${pll.module} (
  input  logic clk_i,     // ${pll.fin_mhz} MHz board oscillator
  output logic clk_o,     // core clock
  output logic locked_o   // PLL lock (asynchronous)
);

% for key, value in pll.attributes:
  (* ${key}=${value} *)
% endfor
  EHXPLLL #(
% for name, value in pll.parameters:
    .${name}(${value})${"," if not loop.last else ""}
% endfor
  ) u_pll (
% for port, expr in pll.ports:
    .${port}(${expr})${"," if not loop.last else ""}
% endfor
  );

endmodule
