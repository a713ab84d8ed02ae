"""The small test network of the whole-design testbenches (tb/network, tb/soc): every
feature of a SemifreddoNet (3x3 and 1x1 blocks, a stride-2 block so later trainable
blocks time-share their multipliers: by output channel, and core b's blocks 1 and 3 (2
channels at T = 4) and dense head also by tap phase, Fold 2; blends, a core shuffle at three boundaries incl.
the tail entry, a repeatable tail, a classification and a dense head), 16x12 frames.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np

NET_DESC = {
    "format": "semifreddo-net/1", "name": "nettest",
    "input": {"width": 16, "height": 12, "channels": 3, "bits": 8},
    "frozen": {"weights": "nettest.frozen.npz", "sha256": "0" * 64, "adder_levels_per_stage": 2, "blocks": [
        {"kernel": 3, "stride": 1, "out_channels": 4, "weight_bits": 4, "requant": {"shift": 6}},
        {"kernel": 3, "stride": 2, "out_channels": 6, "weight_bits": 5, "requant": {"shift": 7},
         "strategy": "csd"},
        {"kernel": 1, "stride": 1, "out_channels": 6, "weight_bits": 4, "requant": {"shift": 5}},
        {"kernel": 3, "stride": 1, "out_channels": 6, "weight_bits": 4, "requant": {"shift": 7}}]},
    "trainable": {"alpha_bits": 6,
                  "block_defaults": {"weight_bits": 6, "bias_bits": 12, "requant": {"shift": 8}},
                  "cores": [
                      {"name": "a", "blocks": [{"out_channels": 3}, {"out_channels": 3, "blend_map": [0, 2, 3]},
                                               {"out_channels": 3, "blend_map": [1, 3, 5]},
                                               {"out_channels": 3, "blend_map": [0, 1, 2]}]},
                      {"name": "b", "blocks": [{"out_channels": 2}, {"out_channels": 2, "blend_map": [3, 2]},
                                               {"out_channels": 4, "blend_map": [5, 4]},
                                               {"out_channels": 2, "blend_map": [0, 0, 5, 5]}]}]},
    "shuffle": {"after_blocks": [0, 1, 2], "channels": 2},
    "repeat": {"first_block": 2, "max_repeats": 3},
    "heads": {"a": {"type": "classification", "classes": 3},
              "b": {"type": "dense", "out_channels": 2, "requant": {"shift": 6}, "activation": "none"}},
}


def write_network(out_dir: Path):
    """Write NET_DESC and seeded frozen weights (seed 2026) into *out_dir*; returns
    ``(description path, loaded Network)``.  Files are rewritten only when they change."""
    from semifreddo import weights
    from semifreddo.netdesc import load_description, parse_description, sha256_file

    out_dir.mkdir(parents=True, exist_ok=True)
    desc = copy.deepcopy(NET_DESC)
    net = parse_description(copy.deepcopy(desc), verify_weights=False)
    frozen = weights.random_frozen(net, np.random.default_rng(2026))
    npz = out_dir / desc["frozen"]["weights"]
    weights.save_npz(npz, weights.frozen_arrays(frozen))
    desc["frozen"]["sha256"] = sha256_file(npz)
    path = out_dir / "nettest.json"
    text = json.dumps(desc, indent=1)
    if not (path.is_file() and path.read_text() == text):
        path.write_text(text)
    return path, load_description(path)
