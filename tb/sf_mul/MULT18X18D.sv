// Simulation model of the Lattice ECP5 MULT18X18D, written for this project's tests from
// the sysDSP behaviour in Lattice TN1267 (Lattice's own model is not free to ship).  It
// covers what rtl/sf_mul.sv uses: 18x18 multiply with per-operand sign (SIGNEDA/SIGNEDB),
// input registers A and B and the output register, each clocked by CLK0..CLK3 or
// bypassed ("NONE") and enabled by CE0..CE3, synchronous reset RST0..RST3.  Not modelled:
// the C input, the pipeline register, shift-in/-out and cascade ports, GSR, clock dividers.
// Only the tests compile it (rtl/sf_mul.sv with SF_ECP5_DSP); synthesis uses Yosys'
// black box of the primitive.
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off UNUSEDPARAM */
module MULT18X18D #(
  parameter REG_INPUTA_CLK = "NONE", parameter REG_INPUTA_CE = "CE0", parameter REG_INPUTA_RST = "RST0",
  parameter REG_INPUTB_CLK = "NONE", parameter REG_INPUTB_CE = "CE0", parameter REG_INPUTB_RST = "RST0",
  parameter REG_INPUTC_CLK = "NONE", parameter REG_INPUTC_CE = "CE0", parameter REG_INPUTC_RST = "RST0",
  parameter REG_PIPELINE_CLK = "NONE", parameter REG_PIPELINE_CE = "CE0", parameter REG_PIPELINE_RST = "RST0",
  parameter REG_OUTPUT_CLK = "NONE", parameter REG_OUTPUT_CE = "CE0", parameter REG_OUTPUT_RST = "RST0",
  parameter CLK0_DIV = "ENABLED", parameter CLK1_DIV = "ENABLED", parameter CLK2_DIV = "ENABLED",
  parameter CLK3_DIV = "ENABLED", parameter HIGHSPEED_CLK = "NONE", parameter GSR = "ENABLED",
  parameter CAS_MATCH_REG = "FALSE", parameter SOURCEB_MODE = "B_SHIFT",
  parameter MULT_BYPASS = "DISABLED", parameter RESETMODE = "SYNC"
) (
  input  logic A17, A16, A15, A14, A13, A12, A11, A10, A9,
  input  logic A8, A7, A6, A5, A4, A3, A2, A1, A0,
  input  logic B17, B16, B15, B14, B13, B12, B11, B10, B9,
  input  logic B8, B7, B6, B5, B4, B3, B2, B1, B0,
  input  logic C17, C16, C15, C14, C13, C12, C11, C10, C9,
  input  logic C8, C7, C6, C5, C4, C3, C2, C1, C0,
  input  logic SIGNEDA, SIGNEDB, SOURCEA, SOURCEB,
  input  logic CLK0, CLK1, CLK2, CLK3, CE0, CE1, CE2, CE3, RST0, RST1, RST2, RST3,
  output logic P35, P34, P33, P32, P31, P30, P29, P28, P27,
  output logic P26, P25, P24, P23, P22, P21, P20, P19, P18,
  output logic P17, P16, P15, P14, P13, P12, P11, P10, P9,
  output logic P8, P7, P6, P5, P4, P3, P2, P1, P0
);

  if (REG_PIPELINE_CLK != "NONE" || RESETMODE != "SYNC") begin : gen_unsupported
    $fatal(1, "MULT18X18D model: only REG_PIPELINE_CLK = NONE and RESETMODE = SYNC");
  end
  if (REG_INPUTA_CLK != "NONE" && REG_INPUTA_CLK != "CLK0") begin : gen_clk_a
    $fatal(1, "MULT18X18D model: registers clocked by CLK0 only");
  end
  if (REG_INPUTB_CLK != "NONE" && REG_INPUTB_CLK != "CLK0") begin : gen_clk_b
    $fatal(1, "MULT18X18D model: registers clocked by CLK0 only");
  end
  if (REG_OUTPUT_CLK != "NONE" && REG_OUTPUT_CLK != "CLK0") begin : gen_clk_p
    $fatal(1, "MULT18X18D model: registers clocked by CLK0 only");
  end

  function automatic logic pick(input string name, input logic [3:0] v);
    case (name)
      "CE0", "RST0": pick = v[0];
      "CE1", "RST1": pick = v[1];
      "CE2", "RST2": pick = v[2];
      default:       pick = v[3];
    endcase
  endfunction

  logic [3:0]  ce, rst;
  logic [17:0] a, b, a_q, b_q, a_m, b_m;
  logic        sa_q, sb_q, sa_m, sb_m;
  logic [35:0] p, p_q, p_m;
  assign ce  = {CE3, CE2, CE1, CE0};
  assign rst = {RST3, RST2, RST1, RST0};
  assign a = {A17, A16, A15, A14, A13, A12, A11, A10, A9, A8, A7, A6, A5, A4, A3, A2, A1, A0};
  assign b = {B17, B16, B15, B14, B13, B12, B11, B10, B9, B8, B7, B6, B5, B4, B3, B2, B1, B0};

  always_ff @(posedge CLK0) begin
    if (pick(REG_INPUTA_RST, rst))     begin a_q <= '0; sa_q <= 1'b0; end
    else if (pick(REG_INPUTA_CE, ce))  begin a_q <= a;  sa_q <= SIGNEDA; end
    if (pick(REG_INPUTB_RST, rst))     begin b_q <= '0; sb_q <= 1'b0; end
    else if (pick(REG_INPUTB_CE, ce))  begin b_q <= b;  sb_q <= SIGNEDB; end
    if (pick(REG_OUTPUT_RST, rst))     p_q <= '0;
    else if (pick(REG_OUTPUT_CE, ce))  p_q <= p;
  end

  assign a_m  = (REG_INPUTA_CLK == "NONE") ? a : a_q;
  assign sa_m = (REG_INPUTA_CLK == "NONE") ? SIGNEDA : sa_q;
  assign b_m  = (REG_INPUTB_CLK == "NONE") ? b : b_q;
  assign sb_m = (REG_INPUTB_CLK == "NONE") ? SIGNEDB : sb_q;
  assign p    = (sa_m ? {{18{a_m[17]}}, a_m} : {18'b0, a_m}) *
                (sb_m ? {{18{b_m[17]}}, b_m} : {18'b0, b_m});
  assign p_m  = (REG_OUTPUT_CLK == "NONE") ? p : p_q;
  assign {P35, P34, P33, P32, P31, P30, P29, P28, P27, P26, P25, P24, P23, P22, P21, P20, P19, P18, P17, P16, P15, P14, P13, P12, P11, P10, P9, P8, P7, P6, P5, P4, P3, P2, P1, P0} = p_m;

endmodule
/* verilator lint_on UNUSEDPARAM */
/* verilator lint_on UNUSEDSIGNAL */
