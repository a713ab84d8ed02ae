"""The training flow's fake-quantised forward pass equals golden.run bit for bit.

Needs PyTorch (the optional ``train`` extra: ``make train`` installs it); skipped without.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is the optional 'train' extra (make train installs it)")

from semifreddo import REPO_ROOT, golden, weights  # noqa: E402
from semifreddo.netdesc import ClassificationHead, load_description  # noqa: E402
from semifreddo.train.quant import QNet, to_numpy_hwc, to_tensor  # noqa: E402

torch.set_num_threads(1)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_fake_quant_forward_equals_golden(seed):
    """Random frozen weights, a random weight set (shuffle on/off, every R) and a random
    frame: every head output of the fake-quantised model equals golden.run exactly."""
    net = load_description(REPO_ROOT / "weights" / "reference.yaml", verify_weights=False)
    rng = np.random.default_rng(seed)
    frozen = weights.random_frozen(net, rng)
    cfg = weights.random_config(net, rng)
    cfg.shuffle = bool(seed % 2) and net.shuffle is not None
    cfg.repeats = 1 + seed % net.max_repeats
    image = rng.integers(0, 256, size=(net.input_height, net.input_width, net.input_channels))
    want = golden.run(net, frozen, cfg, image)

    model = QNet(net)
    model.load_frozen(frozen)
    model.load_config(cfg)
    with torch.no_grad():
        out = model(to_tensor(image), quant=True, shuffle=cfg.shuffle, repeats=cfg.repeats)
    for name, head in net.heads.items():
        got = out["heads"][name]
        if isinstance(head, ClassificationHead):
            assert got.dtype == torch.float64
            np.testing.assert_array_equal(got[0].numpy().astype(np.int64), want.heads[name])
        else:
            np.testing.assert_array_equal(to_numpy_hwc(got)[0], want.heads[name])
    for name, feat in out["features"].items():
        np.testing.assert_array_equal(to_numpy_hwc(feat)[0], want.features[name])
    # export gives back the very integers that were loaded
    again = model.export_config(cfg.shuffle, cfg.repeats)
    assert weights.config_arrays(net, again).keys() == weights.config_arrays(net, cfg).keys()
    for k, v in weights.config_arrays(net, again).items():
        np.testing.assert_array_equal(v, weights.config_arrays(net, cfg)[k], err_msg=k)
    for a, b in zip(model.export_frozen(), frozen):
        np.testing.assert_array_equal(a.weight, b.weight)
        np.testing.assert_array_equal(a.bias, b.bias)
