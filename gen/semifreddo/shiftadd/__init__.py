"""Multiplier-less hardware for frozen layers: constant matrix-vector products as adder graphs.

Typical use from a layer generator::

    from semifreddo.shiftadd import generate
    mod = generate(W, name="conv3_frozen", in_bits=8, in_signed=False,
                   strategy="cmvm", max_levels_per_stage=3, out_dir=build_dir)
    mod.path, mod.module, mod.latency, mod.out_width

Modules: :mod:`.csd` (digit recoding), :mod:`.graph` (the data structure, metrics,
pipelining), :mod:`.build` (strategies), :mod:`.emit` (SystemVerilog), :mod:`.report`,
:mod:`.synth` (yosys cell counts), :mod:`.measure` (the reference-layer measurement).
"""

from .build import STRATEGIES, Strategy, build, scalar, verify
from .graph import AdderGraph, Schedule

__all__ = ["AdderGraph", "Schedule", "STRATEGIES", "Strategy", "build", "scalar", "verify"]
