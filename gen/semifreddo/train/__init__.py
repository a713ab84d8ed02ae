"""Quantisation-aware training of a SemifreddoNet (``make train``; docs/training.md).

``quant`` and ``flow`` import PyTorch, an optional extra (``pip install -e '.[train]'``);
``data`` and ``results`` are NumPy-only, so the shipped trained weights can be checked and
the results table regenerated without PyTorch.
"""
