"""A second, deliberately naive implementation of docs/arithmetic.md: plain Python loops
over Python integers, written from the document alone.  The golden model must agree with
it exactly; it is far too slow for anything but small frames."""

from __future__ import annotations


def conv(x, weight, bias, spec):
    """x: nested lists [y][x][c] of ints; weight [co][ci][ky][kx]; returns [i][j][co]."""
    h, w, cin = len(x), len(x[0]), len(x[0][0])
    k, s = spec.kernel, spec.stride
    p = (k - 1) // 2
    ho, wo = (h + s - 1) // s, (w + s - 1) // s
    out = []
    for i in range(ho):
        row = []
        for j in range(wo):
            pix = []
            for co in range(spec.out_channels):
                acc = int(bias[co])
                for ci in range(cin):
                    for ky in range(k):
                        for kx in range(k):
                            yy, xx = s * i + ky - p, s * j + kx - p
                            if 0 <= yy < h and 0 <= xx < w:
                                acc += int(weight[co][ci][ky][kx]) * int(x[yy][xx][ci])
                pix.append(requant(acc, spec.requant.mult[co], spec.requant.shift,
                                   spec.activation, spec.out_bits))
            row.append(pix)
        out.append(row)
    return out


def requant(acc, mult, shift, activation, out_bits):
    t = acc * mult
    if shift > 0:
        t = (t + 2 ** (shift - 1)) // 2 ** shift  # floor division = arithmetic shift
    if activation == "relu":
        lo, hi = 0, 2 ** out_bits - 1
    else:
        lo, hi = -(2 ** (out_bits - 1)), 2 ** (out_bits - 1) - 1
    return min(max(t, lo), hi)


def blend_pixelwise(f_map, t_map, bmap, alpha, alpha_bits):
    one = 2 ** alpha_bits
    out = []
    for y in range(len(t_map)):
        row = []
        for x in range(len(t_map[0])):
            pix = []
            for c in range(len(t_map[0][0])):
                a = min(int(alpha[c]), one)
                f = f_map[y][x][bmap[c]]
                t = t_map[y][x][c]
                pix.append((a * f + (one - a) * t + one // 2) // one)
            row.append(pix)
        out.append(row)
    return out


def run(net, frozen, cfg, image):
    """Returns (features {core: map}, heads {core: list or map})."""
    img = image.tolist()
    nblk = net.num_blocks
    order = list(range(nblk))
    if net.repeat:
        for _ in range(cfg.repeats - 1):
            order += list(range(net.repeat.first_block, nblk))
    names = [c.name for c in net.cores]
    f_out, t_out = None, {}
    for n in order:
        if n == 0:
            f_in, t_in = img, {k: img for k in names}
        else:
            f_in = f_out
            t_in = {}
            for core in net.cores:
                t_in[core.name] = blend_pixelwise(f_out, t_out[core.name], core.blend_maps[n],
                                                  cfg.alpha[core.name][n], net.alpha_bits)
            if cfg.shuffle and net.shuffle and n - 1 in net.shuffle.after_blocks:
                a, b = names
                s = net.shuffle.channels
                for y in range(len(t_in[a])):
                    for x in range(len(t_in[a][0])):
                        pa, pb = t_in[a][y][x], t_in[b][y][x]
                        for c in range(s):
                            pa[c], pb[c] = pb[c], pa[c]
        fw = frozen[n]
        f_out = conv(f_in, fw.weight.tolist(), fw.bias.tolist(), net.frozen[n])
        t_out = {}
        for core in net.cores:
            cw = cfg.cores[core.name][n]
            t_out[core.name] = conv(t_in[core.name], cw.weight.tolist(), cw.bias.tolist(), core.blocks[n])
    heads = {}
    for name, head in net.heads.items():
        hw = cfg.heads[name]
        t = t_out[name]
        if hasattr(head, "conv"):
            heads[name] = conv(t, hw.weight.tolist(), hw.bias.tolist(), head.conv)
        else:
            pool = [sum(t[y][x][c] for y in range(len(t)) for x in range(len(t[0])))
                    for c in range(len(t[0][0]))]
            heads[name] = [int(hw.bias[n]) + sum(int(hw.weight[n][c]) * pool[c] for c in range(len(pool)))
                           for n in range(head.classes)]
    return t_out, heads
