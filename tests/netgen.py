"""Hypothesis strategies for valid network descriptions (as raw dicts)."""

from __future__ import annotations

from hypothesis import strategies as st

from semifreddo.netdesc import CLASS_HEAD_EXTRA_PIXELS

ZERO_SHA = "0" * 64


@st.composite
def conv_fields(draw, out_channels, out_bits, activation):
    wb = draw(st.integers(2, 8))
    return {
        "out_channels": out_channels,
        "weight_bits": wb,
        "bias_bits": draw(st.integers(2, 20)),
        "requant": {"mult": draw(st.integers(0, 300)), "shift": draw(st.integers(0, 14))},
        "activation": activation,
        "out_bits": out_bits,
    }


@st.composite
def descriptions(draw, max_size=7, max_blocks=3, max_channels=4):
    """A random valid description; the frozen file is not checked (verify_weights=False)."""
    h, w = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    cin = draw(st.integers(1, 3))
    nblk = draw(st.integers(1, max_blocks))
    use_repeat = nblk >= 2 and draw(st.booleans())
    r0 = draw(st.integers(1, nblk - 1)) if use_repeat else nblk
    # Types per block (shared by all cores so blending and shuffling are always legal).
    types = [(draw(st.integers(2, 10)), draw(st.sampled_from(["relu", "none"]))) for _ in range(nblk)]
    if use_repeat:
        for n in range(r0, nblk):
            types[n] = types[r0 - 1]
    kernels = [draw(st.sampled_from([1, 3])) for _ in range(nblk)]
    strides = [1 if n >= r0 else draw(st.sampled_from([1, 2])) for n in range(nblk)]

    def chain(prefix_channels):
        chans = [draw(st.integers(1, max_channels)) for _ in range(nblk)]
        if use_repeat:
            for n in range(r0, nblk):
                chans[n] = chans[r0 - 1]
        return chans

    fch = chain(None)
    frozen_blocks = []
    for n in range(nblk):
        b = draw(conv_fields(fch[n], *types[n]))
        b.update(kernel=kernels[n], stride=strides[n], strategy=draw(st.sampled_from(["csd", "cmvm"])))
        frozen_blocks.append(b)
    cores = []
    tch = {}
    for name in ("a", "b"):
        ch = chain(None)
        tch[name] = ch
        blocks = []
        for n in range(nblk):
            b = draw(conv_fields(ch[n], *types[n]))
            if n > 0:
                b["blend_map"] = [draw(st.integers(0, fch[n - 1] - 1)) for _ in range(ch[n - 1])]
            blocks.append(b)
        cores.append({"name": name, "blocks": blocks})
    desc = {
        "format": "semifreddo-net/1",
        "name": "prop",
        "input": {"width": w, "height": h, "channels": cin, "bits": draw(st.integers(2, 8))},
        "frozen": {"weights": "unused.npz", "sha256": ZERO_SHA, "blocks": frozen_blocks},
        "trainable": {"alpha_bits": draw(st.integers(1, 10)), "cores": cores},
        "heads": {},
    }
    boundaries = list(range(nblk - 1))
    if boundaries and draw(st.booleans()):
        after = draw(st.lists(st.sampled_from(boundaries), min_size=1, unique=True))
        smax = min(min(tch["a"][n], tch["b"][n]) for n in after)
        desc["shuffle"] = {"after_blocks": after, "channels": draw(st.integers(1, smax))}
    if use_repeat:
        desc["repeat"] = {"first_block": r0, "max_repeats": draw(st.integers(1, 3))}
    # A classification head needs Classes*Channels + Classes + 6 pixels per frame
    # (netdesc.CLASS_HEAD_EXTRA_PIXELS); on smaller last maps core a gets a dense head.
    ph, pw = h, w
    for stride in strides:
        ph, pw = -(-ph // stride), -(-pw // stride)
    fits = [c for c in range(1, 4) if c * (tch["a"][-1] + 1) + CLASS_HEAD_EXTRA_PIXELS <= ph * pw]
    if fits:
        desc["heads"]["a"] = {"type": "classification", "classes": draw(st.sampled_from(fits))}
    else:
        desc["heads"]["a"] = {"type": "dense", "out_channels": 1, "requant": {"shift": 4}}
    if draw(st.booleans()):
        desc["heads"]["b"] = {"type": "dense", "out_channels": draw(st.integers(1, 2)),
                              "requant": {"shift": draw(st.integers(0, 10))},
                              "activation": draw(st.sampled_from(["relu", "none"]))}
    return desc
