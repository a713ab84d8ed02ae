"""Every hand-written RTL module passes `verilator --lint-only -Wall`, and the library
elaborates with slang (yosys' frontend in `make fpga`)."""

import pytest

from semifreddo.lint import library_modules, lint_module, slang_errors


@pytest.mark.parametrize("path", library_modules(), ids=lambda p: p.name)
def test_rtl_lints_clean(path):
    assert lint_module(path) == ""


def test_rtl_elaborates_with_slang():
    assert slang_errors(library_modules()) == ""


def test_slang_rejects_use_before_declaration(tmp_path):
    """Session 13: such a module passed Verilator's lint and stopped `make fpga` in yosys."""
    bad = tmp_path / "sf_bad.sv"
    bad.write_text("module sf_bad (input logic a_i, output logic y_o);\n"
                   "  assign y_o = b & a_i;\n"
                   "  logic b;\n"
                   "  assign b = 1'b1;\n"
                   "endmodule\n")
    msg = slang_errors([bad])
    assert "used before its declaration" in msg and "sf_bad.sv:2" in msg
