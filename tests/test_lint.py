"""Every hand-written RTL module passes `verilator --lint-only -Wall`."""

import pytest

from semifreddo.lint import library_modules, lint_module


@pytest.mark.parametrize("path", library_modules(), ids=lambda p: p.name)
def test_rtl_lints_clean(path):
    assert lint_module(path) == ""
