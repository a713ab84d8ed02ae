"""Per-layer figures: the chosen adder graph next to the CSD-tree baseline."""

from __future__ import annotations

import time

import numpy as np

from .build import Strategy, as_weight_matrix, build
from .csd import nonzero_digits
from .graph import AdderGraph


def graph_metrics(graph: AdderGraph, max_levels_per_stage: int) -> dict[str, int]:
    """Cost, depth and pipelining figures of *graph*."""
    schedule = graph.pipeline(max_levels_per_stage)
    return {
        "adders": graph.adders,
        "negations": graph.negations,
        "adder_bits": graph.adder_bits,
        "depth": graph.depth,
        "max_levels_per_stage": max_levels_per_stage,
        "stages": schedule.latency,
        "latency": schedule.latency,
        "register_bits": schedule.register_bits,
        "delay_register_bits": schedule.delay_register_bits,
    }


def layer_report(W: np.ndarray, in_bits: int, in_signed: bool, *, strategy: Strategy = "cmvm",
                 max_levels_per_stage: int = 3, depth_slack: int | None = None,
                 name: str = "layer") -> dict:
    """Figures of *strategy* on ``W`` and of the CSD tree on the same weights.

    ``build_seconds`` is the wall time of the chosen strategy's build (with verification).
    """
    W = as_weight_matrix(W)
    start = time.perf_counter()
    graph = build(W, in_bits, in_signed, strategy, depth_slack=depth_slack)
    seconds = time.perf_counter() - start
    csd = graph if strategy == "csd" else build(W, in_bits, in_signed, "csd")
    chosen = graph_metrics(graph, max_levels_per_stage)
    baseline = graph_metrics(csd, max_levels_per_stage)
    return {
        "layer": name,
        "shape": list(W.shape),
        "inputs": {"bits": in_bits, "signed": in_signed},
        "weights": {
            "count": int(W.size),
            "nonzero": int(np.count_nonzero(W)),
            "csd_digits": int(sum(nonzero_digits(int(w)) for w in W.flat)),
        },
        "strategy": strategy,
        "depth_slack": depth_slack,
        "build_seconds": round(seconds, 3),
        **chosen,
        "csd": baseline,
        "adder_saving": round(1 - chosen["adders"] / baseline["adders"], 4) if baseline["adders"] else 0.0,
    }
