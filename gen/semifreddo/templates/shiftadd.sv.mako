<%def name="decl(sig)">\
% if sig["unused"]:
  /* verilator lint_off UNUSEDSIGNAL */
  ${sig["attr"]}logic [${sig["width"] - 1}:0] ${sig["name"]};  // top bits unused: readers truncate (modulo arithmetic)
  /* verilator lint_on UNUSEDSIGNAL */
% else:
  ${sig["attr"]}logic [${sig["width"] - 1}:0] ${sig["name"]};
% endif
</%def>\
<%def name="port(direction, name, width)">\
% if name in ports_unused:
  /* verilator lint_off UNUSEDSIGNAL */
  ${direction} logic [${width - 1}:0] ${name},
  /* verilator lint_on UNUSEDSIGNAL */
% else:
  ${direction} logic [${width - 1}:0] ${name},
% endif
</%def>\
% for line in header:
// ${line}
% endfor

module ${module} (
% if "clk_i" in ports_unused:
  /* verilator lint_off UNUSEDSIGNAL */
  input  logic clk_i,
  /* verilator lint_on UNUSEDSIGNAL */
% else:
  input  logic clk_i,
% endif
${port("input ", "x_i", n_x)}\
  output logic [${n_y - 1}:0] y_o
);
  /* verilator lint_off UNUSEDPARAM */
  localparam int unsigned Latency  = ${latency};  // cycles from x_i to y_o
  localparam int unsigned OutWidth = ${out_width};  // bits per element of y_o
  /* verilator lint_on UNUSEDPARAM */
% for sec in sections:
  % if sec["signals"] or sec["registers"]:

  // ${sec["title"]}
  % endif
  % for sig in sec["signals"]:
${decl(sig)}\
  assign ${sig["name"]} = ${sig["expr"]};${"  // " + sig["comment"] if "comment" in sig else ""}
  % endfor
  % for sig in sec["registers"]:
${decl(sig)}\
  % endfor
% endfor
% if registers:

  // Pipeline and delay registers: no reset, no enable
  always_ff @(posedge clk_i) begin
  % for sig in registers:
    ${sig["name"]} <= ${sig["src"]};
  % endfor
  end
% endif
% if copied_registers:

  // Registers with copies for fanout (kept: synthesis would merge them)
  (* keep *) always_ff @(posedge clk_i) begin
  % for sig in copied_registers:
    ${sig["name"]} <= ${sig["src"]};
  % endfor
  end
% endif

  // Outputs, sign-extended to OutWidth bits
% for out in outputs:
  assign ${out["lhs"]} = ${out["expr"]};
% endfor

endmodule
