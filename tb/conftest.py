"""pytest configuration shared by every ``tb/<module>/test_<module>.py``.

Puts ``tb/`` itself on ``sys.path`` so the shared helpers (``import sfstream``) import
both in the pytest process and in the cocotb simulation process: the cocotb runner
passes this process's ``sys.path`` to the simulator as ``PYTHONPATH``.
"""

import sys
from pathlib import Path

TB_DIR = str(Path(__file__).resolve().parent)
if TB_DIR not in sys.path:
    sys.path.insert(0, TB_DIR)
