"""Host link: the framed UART command protocol of ``rtl/sf_uart_axil.sv``.

:mod:`.protocol` is the byte-level codec (requests, responses, CRC), shared by the
cocotb tests and the host tool.  The protocol itself is written down in
``docs/host-protocol.md``.
"""

from .protocol import *  # noqa: F401,F403
from .protocol import __all__  # noqa: F401
