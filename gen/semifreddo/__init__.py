"""SemifreddoNets-HW: generator for partially frozen CNN hardware."""

from pathlib import Path

__version__ = "0.1.0"

#: Repository root (the package is installed in editable mode from ``gen/``).
REPO_ROOT = Path(__file__).resolve().parents[2]
RTL_DIR = REPO_ROOT / "rtl"
#: FPGA-vendor primitive wrappers, read by the FPGA flow with Yosys' own frontend.
ECP5_RTL_DIR = REPO_ROOT / "fpga" / "ecp5"
BUILD_DIR = REPO_ROOT / "build"
