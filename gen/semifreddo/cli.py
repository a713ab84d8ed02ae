"""Command-line entry point: ``semifreddo <command>`` (the Makefile targets call these).

Every command that reads a description or weight file reports a mistake as one line,
``semifreddo: error: <file>: <field>: <problem>``, exits with status 2, and writes nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from . import REPO_ROOT
from .netdesc import DescriptionError, Network, load_description

EXIT_BAD_INPUT = 2


class CliError(Exception):
    """A user-facing failure: printed as one line, exit status 2."""


def _load_net(path: str) -> Network:
    try:
        return load_description(path)
    except DescriptionError as exc:
        raise CliError(f"{path}: {exc}") from None


def _load_frozen_and_config(net: Network, config: str | None, seed: int):
    from . import weights

    try:
        frozen = weights.load_frozen(net)
        cfg = (weights.load_config(net, config) if config
               else weights.random_config(net, np.random.default_rng(seed)))
    except DescriptionError as exc:
        raise CliError(f"{config or net.frozen_weights}: {exc}") from None
    return frozen, cfg


def load_image(path: str | None, net: Network, seed: int) -> np.ndarray:
    """An image file resized to the network's input, or a seeded random frame."""
    shape = (net.input_height, net.input_width, net.input_channels)
    if path is None:
        return np.random.default_rng(seed).integers(0, 1 << net.input_bits, size=shape)
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(path)
    except FileNotFoundError:
        raise CliError(f"{path}: file not found") from None
    except UnidentifiedImageError:
        raise CliError(f"{path}: not an image file") from None
    mode = {1: "L", 3: "RGB"}.get(net.input_channels)
    if mode is None or net.input_bits != 8:
        raise CliError(f"{path}: images need a network with 1 or 3 channels of 8 bits")
    img = img.convert(mode).resize((net.input_width, net.input_height), Image.Resampling.BILINEAR)
    return np.asarray(img, dtype=np.int64).reshape(shape)


# --------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------

def cmd_validate(args: argparse.Namespace) -> int:
    net = _load_net(args.net)
    if args.config:
        _load_frozen_and_config(net, args.config, 0)
    else:
        from . import weights

        try:
            weights.load_frozen(net)
        except DescriptionError as exc:
            raise CliError(f"{net.frozen_weights}: {exc}") from None
    print(f"{args.net}: ok — {net.name}, {net.num_blocks} blocks, "
          f"{100 * net.frozen_weight_fraction():.1f}% of conv weights frozen, build ID {net.build_id:016x}")
    return 0


def cmd_golden(args: argparse.Namespace) -> int:
    from . import golden, weights

    net = _load_net(args.net)
    frozen, cfg = _load_frozen_and_config(net, args.config, args.seed)
    image = load_image(args.image, net, args.seed)
    start = time.perf_counter()
    result = golden.run(net, frozen, cfg, image)
    elapsed = time.perf_counter() - start
    for name, out in result.heads.items():
        desc = f"scores {out.tolist()}" if out.ndim == 1 else f"image {out.shape}"
        print(f"head {name}: {desc}")
    print(f"golden model: {elapsed:.3f} s for a {image.shape[1]}x{image.shape[0]} frame")
    if args.out:
        weights.save_npz(args.out, {f"head.{k}": v for k, v in result.heads.items()})
    return 0


def cmd_random_weights(args: argparse.Namespace) -> int:
    """Seeded random weights for a description (tests, examples, placeholders)."""
    from . import weights

    rng = np.random.default_rng(args.seed)
    if args.frozen_out:
        try:
            net = load_description(args.net, verify_weights=False)
        except DescriptionError as exc:
            raise CliError(f"{args.net}: {exc}") from None
        weights.save_npz(args.frozen_out, weights.frozen_arrays(weights.random_frozen(net, rng)))
        from .netdesc import sha256_file

        print(f"{args.frozen_out}: sha256 {sha256_file(Path(args.frozen_out))}")
    if args.config_out:
        net = _load_net(args.net)
        weights.save_npz(args.config_out, weights.config_arrays(net, weights.random_config(net, rng)))
        print(f"{args.config_out}: written for build ID {net.build_id:016x}")
    return 0


def cmd_sim(args: argparse.Namespace) -> int:
    from .sim import simulate_network

    net = _load_net(args.net)
    frozen, cfg = _load_frozen_and_config(net, args.config, args.seed)
    if args.image:
        paths = [args.image]
    else:  # the bundled photographs (weights/images), else one seeded random frame
        paths = sorted(str(p) for p in (REPO_ROOT / "weights" / "images").glob("*.png"))[:args.max_images]
    images = [(Path(p).stem, load_image(p, net, args.seed)) for p in paths] or \
        [("random", load_image(None, net, args.seed))]
    return simulate_network(net, frozen, cfg, images, waves=args.waves, seed=args.seed)


def cmd_bench(args: argparse.Namespace) -> int:
    from . import bench

    try:
        report = bench.run(Path(args.net), args.section or None, Path(args.out), quick=args.quick)
    except DescriptionError as exc:
        raise CliError(f"{args.net}: {exc}") from None
    print(bench.to_markdown(report))
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    """Generate the RTL of a network (or its UART SoC) without simulating it."""
    from . import network, soc, weights

    net = _load_net(args.net)
    frozen = weights.load_frozen(net)
    out = Path(args.out) if args.out else Path("build") / "gen" / net.name
    try:
        design = (soc.generate(net, frozen, out, clk_hz=args.clk_hz) if args.soc
                  else network.generate(net, frozen, out))
    except DescriptionError as exc:
        raise CliError(f"{args.net}: {exc}") from None
    print(f"{design.top}: {len(design.files)} generated files in {out} (compile with the rtl/ library: "
          f"{', '.join(s.name for s in design.sources if s.parent.name == 'rtl')})")
    for row in network.time_sharing(net):
        print(f"  {row['block']}: T={row['rate_divisor_T']} G={row['groups_G']} F={row['fold_F']} "
              f"{row['multipliers']} multipliers "
              f"busy {100 * row['multiplier_busy_fraction']:.0f}% (without time-sharing "
              f"{row['untimeshared_multipliers']})")
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    from .lint import lint_library

    return lint_library()


def cmd_fpga(args: argparse.Namespace) -> int:
    """Network -> ECP5 bitstream + report (gen/semifreddo/fpga.py); with --frozen-blocks,
    the out-of-context Fmax of each frozen block instead."""
    from . import fpga, weights

    mhz = args.mhz if args.mhz is not None else (fpga.FROZEN_TARGET_MHZ if args.frozen_blocks else 100.0)
    opt = fpga.FpgaOptions(board=args.board, seed=args.seed, seeds=args.seeds, jobs=args.jobs, mhz=mhz,
                           dsp_budget=args.dsp_budget, router=args.router,
                           placer=args.placer or fpga.DEFAULT_PLACER,
                           timing_weight=(fpga.DEFAULT_TIMING_WEIGHT if args.timing_weight is None
                                          else args.timing_weight),
                           ooc_timeout=(fpga.DEFAULT_OOC_TIMEOUT if args.ooc_timeout is None
                                        else args.ooc_timeout), out=Path(args.out))
    try:
        fpga.check_options(opt)          # bad options fail before any file is read
    except fpga.BadInput as exc:
        raise CliError(str(exc)) from None
    net = _load_net(args.net)
    try:
        frozen = weights.load_frozen(net)
    except DescriptionError as exc:
        raise CliError(f"{net.frozen_weights}: {exc}") from None
    try:
        if args.frozen_blocks:
            rep = fpga.frozen_blocks_fmax(net, frozen, opt, blocks=args.blocks, datapath_only=args.datapath_only)
            print(f"frozen blocks of {net.name}: fmax (datapath / whole block) "
                  + ", ".join(f"{b['block']} {fpga.fmax_text(b['datapath'])} / "
                              + (fpga.fmax_text(b["whole_block"]) if "whole_block" in b else "-")
                              for b in rep["blocks"])
                  + f" (target {mhz:g}); {rep['wall_seconds']:g} s; report {Path(args.out) / 'frozen_fmax.md'}")
            return 0 if rep["timing_met"] else 1
        report = fpga.build(net, frozen, opt)
    except fpga.BadInput as exc:
        raise CliError(str(exc)) from None
    except fpga.ToolError as exc:
        print(f"semifreddo: fpga: {exc}", file=sys.stderr)
        return 1
    print(f"{report['bitstream']}: {report['lut4']} LUT4, {report['ff']} FF, {report['ebr']} EBR, "
          f"{report['mult18']} MULT18; fmax " + ", ".join(f"{c} {v:g} MHz" for c, v in report["fmax_mhz"].items())
          + f" (target {report['target_mhz']:g}); {report['wall_seconds']:g} s; report {Path(args.out) / 'report.md'}")
    if not report["timing_met"]:
        print(f"semifreddo: fpga: timing NOT met at {report['target_mhz']:g} MHz "
              f"(try --seeds, or a lower --mhz)", file=sys.stderr)
        return 1
    return 0


def cmd_prog(args: argparse.Namespace) -> int:
    """Load a bitstream with openFPGALoader (untested on hardware: no board here)."""
    import subprocess

    from . import fpga

    try:
        board = fpga.get_board(args.board)
    except fpga.BadInput as exc:
        raise CliError(str(exc)) from None
    bit = Path(args.bit) if args.bit else Path(args.out) / f"{board.name}.bit"
    if not bit.is_file():
        raise CliError(f"--bit: {bit}: file not found (run `make fpga BOARD={board.name}` first)")
    try:
        cmd = fpga.programmer_command(board, bit, flash=args.flash)
    except fpga.ToolError as exc:
        print(f"semifreddo: prog: {exc}", file=sys.stderr)
        return 1
    print(" ".join(cmd))
    if args.dry_run:
        return 0
    return subprocess.run(cmd).returncode


def cmd_results(args: argparse.Namespace) -> int:
    """docs/results.md from the trained weight sets (gen/semifreddo/train/results.py; no PyTorch)."""
    from .train import results

    folder = Path(args.trained)
    if not (folder / "provenance.json").is_file():
        raise CliError(f"{folder / 'provenance.json'}: file not found (run `make train` first)")
    try:
        return results.run(folder, simulate=not args.no_sim, k=args.sim_images, out=Path(args.out))
    except DescriptionError as exc:
        raise CliError(f"{folder}: {exc}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="semifreddo", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    def net_arg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--net", default="weights/reference.yaml", help="network description (YAML/JSON)")

    sp = sub.add_parser("validate", help="check a description and its weight files")
    net_arg(sp)
    sp.add_argument("--config", help="a configurable weight set (.npz) to check too")
    sp.set_defaults(func=cmd_validate)

    sp = sub.add_parser("golden", help="run the golden model on one image")
    net_arg(sp)
    sp.add_argument("--config", help="configurable weight set (.npz); default: seeded random")
    sp.add_argument("--image", help="image file; default: the photographs in weights/images")
    sp.add_argument("--max-images", type=int, default=2, help="bundled images to stream (default 2)")
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--out", help="write head outputs to this .npz")
    sp.set_defaults(func=cmd_golden)

    sp = sub.add_parser("random-weights", help="write seeded random weight files")
    net_arg(sp)
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--frozen-out", help="write frozen weights here (prints their SHA-256)")
    sp.add_argument("--config-out", help="write a configurable weight set here")
    sp.set_defaults(func=cmd_random_weights)

    sp = sub.add_parser("sim", help="generate, simulate and compare with the golden model")
    net_arg(sp)
    sp.add_argument("--config", help="configurable weight set (.npz); default: seeded random")
    sp.add_argument("--image", help="image file; default: the photographs in weights/images")
    sp.add_argument("--max-images", type=int, default=2, help="bundled images to stream (default 2)")
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--waves", action="store_true", help="write an FST waveform")
    sp.set_defaults(func=cmd_sim)

    sp = sub.add_parser("bench", help="measure figures into build/bench/report.{json,md}")
    net_arg(sp)
    sp.add_argument("--section", action="append", choices=["golden", "frozen_layers", "area", "power", "speed",
                                                           "tool_speed", "whole_design"],
                    help="run only this section (repeatable)")
    sp.add_argument("--quick", action="store_true",
                    help="CI variant: shrunken network (2 frozen channels, 16x16), small suite, no x*W synthesis")
    sp.add_argument("--out", default="build/bench", help="output folder (default build/bench)")
    sp.set_defaults(func=cmd_bench)

    sp = sub.add_parser("generate", help="generate the network's RTL (and report the multiplier time-sharing)")
    net_arg(sp)
    sp.add_argument("--out", help="output folder (default build/gen/<name>)")
    sp.add_argument("--soc", action="store_true", help="the UART-controlled SoC around the network")
    sp.add_argument("--clk-hz", type=int, default=50_000_000, help="SoC clock for the UART divider")
    sp.set_defaults(func=cmd_generate)

    sp = sub.add_parser("lint", help="verilator --lint-only -Wall over the RTL library")
    sp.set_defaults(func=cmd_lint)

    sp = sub.add_parser("fpga", help="ECP5 bitstream + utilisation/timing report into build/fpga/")
    net_arg(sp)
    sp.add_argument("--board", default="ulx3s-85f", help="ulx3s-85f (default), ulx3s-12f, ulx3s-25f, ulx3s-45f")
    sp.add_argument("--seed", type=int, default=1, help="nextpnr placement seed (first one tried)")
    sp.add_argument("--seeds", type=int, default=1, help="try this many seeds, keep the best timing")
    sp.add_argument("--jobs", type=int, default=1,
                    help="nextpnr runs at a time with --seeds (each uses one core and a few GB)")
    sp.add_argument("--mhz", type=float, default=None,
                    help="core clock (PLL), >= 48 for the host link (default 100; with --frozen-blocks: "
                         "the constraint, default 150)")
    sp.add_argument("--router", default="router2", help="nextpnr router: router2 (default) or router1")
    sp.add_argument("--placer", default=None, help="nextpnr placer for the SoC: heap or static "
                    "(default: fpga.DEFAULT_PLACER, see fpga/README.md)")
    sp.add_argument("--timing-weight", type=int, default=None,
                    help="nextpnr placer timing weight (--placer-heap-timingweight; default 40)")
    sp.add_argument("--ooc-timeout", type=float, default=None,
                    help="with --frozen-blocks: nextpnr time limit per part in seconds (default 1200); "
                         "a part not routed by then is reported as such")
    sp.add_argument("--blocks", type=lambda v: [int(x) for x in v.split(",")], default=None,
                    help="with --frozen-blocks: only these frozen block indices, e.g. 0,1")
    sp.add_argument("--datapath-only", action="store_true",
                    help="with --frozen-blocks: only the shift-add datapaths, not the whole blocks")
    sp.add_argument("--frozen-blocks", action="store_true",
                    help="instead of the SoC: each frozen block out of context (nextpnr --out-of-context), "
                         "Fmax into <out>/frozen_fmax.{json,md}")
    sp.add_argument("--dsp-budget", type=int, default=None,
                    help="MULT18X18D the design may use (default: all of the device's); the "
                         "multipliers beyond it go to LUTs, whole modules, largest first")
    sp.add_argument("--out", default="build/fpga", help="output folder")
    sp.set_defaults(func=cmd_fpga)

    sp = sub.add_parser("prog", help="load build/fpga/<board>.bit with openFPGALoader (untested on hardware)")
    sp.add_argument("--board", default="ulx3s-85f")
    sp.add_argument("--bit", help="bitstream; default: <out>/<board>.bit")
    sp.add_argument("--out", default="build/fpga", help="folder of `semifreddo fpga`")
    sp.add_argument("--flash", action="store_true", help="write the SPI flash instead of SRAM")
    sp.add_argument("--dry-run", action="store_true", help="print the command only")
    sp.set_defaults(func=cmd_prog)

    sp = sub.add_parser("results", help="regenerate docs/results.md: trained weight sets, golden model, hardware")
    sp.add_argument("--trained", default=str(REPO_ROOT / "weights" / "trained"), help="folder of `make train`")
    sp.add_argument("--out", default=str(REPO_ROOT / "docs" / "results.md"))
    sp.add_argument("--sim-images", type=int, default=2,
                    help="simulate this many face images and this many photographs per weight set (default 2)")
    sp.add_argument("--no-sim", action="store_true", help="skip the hardware simulation")
    sp.set_defaults(func=cmd_results)

    from .hostlink.commands import add_subcommands as add_hostlink_subcommands

    add_hostlink_subcommands(sub)   # load, status, read, write, infer (docs/host-protocol.md)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"semifreddo: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
