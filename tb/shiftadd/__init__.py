"""cocotb testbench of the generated shift-add layers (a package, so its test module
name does not clash with tests/test_shiftadd.py)."""
