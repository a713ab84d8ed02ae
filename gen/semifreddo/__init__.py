"""SemifreddoNets-HW: generator for partially frozen CNN hardware."""

from pathlib import Path

__version__ = "0.1.0"

#: Repository root (the package is installed in editable mode from ``gen/``).
REPO_ROOT = Path(__file__).resolve().parents[2]
RTL_DIR = REPO_ROOT / "rtl"
BUILD_DIR = REPO_ROOT / "build"
