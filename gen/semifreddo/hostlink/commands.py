"""Host-link subcommands of the CLI: ``load``, ``status``, ``read``, ``write``, ``infer``.

Registered by ``semifreddo.cli.build_parser`` through :func:`add_subcommands`.  Exit
status: 0 success; 2 bad input, including a weight file or description made for other
hardware than the device reports (refused before anything is written); 1 a device or
link failure (port cannot be opened, device not answering, read-back mismatch, commit
not completing, bus error).  Every failure is one line ``semifreddo: error: ...``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .addrmap import REGS_BASE, STREAM_BASE

EXIT_LINK = 1
DEFAULT_BAUD = 3_000_000


class LinkFailure(Exception):
    """Device / link failure: one line, exit status 1."""


def _cli_error(msg: str):
    from ..cli import CliError
    return CliError(msg)


def _net_and_map(args):
    from .. import regmap
    from ..cli import _load_net

    net = _load_net(args.net)
    return net, regmap.build_map(net)


def _connect(args):
    from .client import Client, LinkError, open_port

    try:
        port = open_port(args.port, args.baud)
    except LinkError as exc:
        raise LinkFailure(str(exc)) from None
    log = (lambda msg: print(msg, file=sys.stderr)) if args.verbose else None
    return Client(port, baud=args.baud, timeout=args.timeout, retries=args.retries, log=log)


def _run(handler):
    """Wrap a handler: link/bus/verification failures become one line and exit 1."""
    def wrapped(args):
        from .client import BusError, LinkError
        from .device import LoadError, NameError_
        from .infer import StreamError

        try:
            return handler(args)
        except NameError_ as exc:
            raise _cli_error(str(exc)) from None
        except (LinkError, BusError, LoadError, StreamError, LinkFailure) as exc:
            print(f"semifreddo: error: {args.port}: {exc}", file=sys.stderr)
            return EXIT_LINK
    return wrapped


def _parse_value(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise _cli_error(f"VALUE: {text!r} is not an integer (decimal, 0x.., 0b..)") from None


def _weights_build_id(path: str) -> str:
    import zipfile

    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as z:
            if "build_id" not in z.files:
                raise _cli_error(f"{path}: build_id: missing array")
            return str(z["build_id"])
    except FileNotFoundError:
        raise _cli_error(f"{path}: file not found") from None
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _cli_error(f"{path}: not a readable .npz weight file ({exc})") from None


# --------------------------------------------------------------------------------------
def cmd_load(args) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from .. import weights
    from ..netdesc import DescriptionError
    from .device import Device

    net, m = _net_and_map(args)
    file_id = _weights_build_id(args.weights)
    if file_id != f"{net.build_id:016x}":
        raise _cli_error(f"{args.weights}: build_id: weights were made for hardware {file_id}, "
                         f"{args.net} describes {net.build_id:016x}")
    try:
        cfg = weights.load_config(net, args.weights)
    except DescriptionError as exc:
        raise _cli_error(f"{args.weights}: {exc}") from None
    writes = m.encode_config(cfg)
    dev = Device(_connect(args), m, REGS_BASE)
    device_id = dev.check_identity()
    if device_id != net.build_id:
        raise _cli_error(f"{args.weights}: build_id: refusing to load: the weights are for hardware "
                         f"{net.build_id:016x}, the device at {args.port} is {device_id:016x}; nothing was written")
    total = len(writes) * (2 if args.verify else 1)
    cols = [TextColumn("[progress.description]{task.description}"), BarColumn(),
            TextColumn("{task.completed}/{task.total} words"), TimeRemainingColumn()]
    with Progress(*cols, disable=args.quiet or not sys.stderr.isatty(), transient=True) as bar:
        task = bar.add_task("load", total=total)
        report = dev.load(writes, verify=args.verify, commit=args.commit, commit_timeout=args.commit_timeout,
                          progress=lambda n: bar.advance(task, n))
    rate = 4 * report.words / report.upload_s if report.upload_s else float("inf")
    line = (f"{args.weights}: {report.words} words in {report.requests} runs written to the shadow bank "
            f"({report.upload_s:.3f} s, {rate / 1000:.1f} kB/s)")
    if args.verify:
        line += f"; read back in {report.verify_s:.3f} s, CRC-32 {report.crc32:08x} matches"
    if report.commit_s is not None:
        line += f"; committed (bank swap after {report.commit_s:.3f} s)"
    elif args.commit:
        line += ("; commit pending: the new weights take effect with the next input frame "
                 "(no frames arrived within --commit-timeout)")
    if report.retransmits:
        line += f"; {report.retransmits} frames retransmitted"
    print(line)
    return 0


def cmd_status(args) -> int:
    from ..regmap import MAGIC
    from .device import Device

    net, m = _net_and_map(args)
    client = _connect(args)
    st = client.status()
    print(f"host link: protocol v{st.version}, max {st.max_len + 1} words/request, {st.addr_width}-bit addresses, "
          f"{st.acks} ACKs, {st.naks} NAKs (last {st.last_nak:#04x}), {st.dropped} bytes dropped")
    dev = Device(client, m, REGS_BASE)
    magic, version, bid = dev.identify()
    if magic != MAGIC:
        print(f"register slave: none at {REGS_BASE:#010x} (MAGIC {magic:#010x})")
        return EXIT_LINK
    same = "matches" if bid == net.build_id else f"does NOT match {args.net} ({net.build_id:016x})"
    print(f"register slave: map v{version >> 16}.{version & 0xFFFF}, build ID {bid:016x} ({same})")
    for name in ("ctrl", "status", "frame_count", "err", "bus_err_count"):
        t, word = dev.read(name)
        print(f"  {name:<14} {t.describe(word)}")
    return 0


def cmd_read(args) -> int:
    from .device import Device, resolve

    net, m = _net_and_map(args)
    resolve(m, args.name)             # bad names fail before the port is opened
    t, word = Device(_connect(args), m, REGS_BASE).read(args.name)
    print(f"{t.name} = {t.describe(word)}")
    return 0


def cmd_write(args) -> int:
    from .device import Device, resolve

    net, m = _net_and_map(args)
    t = resolve(m, args.name)
    value = _parse_value(args.value)
    lo, hi = t.value_range()
    if not lo <= value <= hi:
        raise _cli_error(f"VALUE: {value} is out of range for {t.name} ({lo}..{hi})")
    Device(_connect(args), m, REGS_BASE).write(args.name, value)
    print(f"{t.name} <- {value}")
    return 0


def cmd_infer(args) -> int:
    import numpy as np

    from ..cli import load_image
    from .infer import output_specs, run_inference

    net, m = _net_and_map(args)
    image = load_image(args.image, net, args.seed)
    client = _connect(args)
    results = run_inference(client, net, image, base=STREAM_BASE, timeout=args.result_timeout)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez(out_dir / "infer.npz", **{k: np.asarray(v) for k, v in results.items()})
    for spec in output_specs(net):
        value = results[spec.name]
        if spec.kind == "classification":
            best = int(np.argmax(value))
            print(f"head {spec.name}: scores {value.tolist()} (class {best})")
        else:
            path = out_dir / f"infer_{spec.name}.png"
            _save_png(path, value, spec.bits, spec.signed)
            print(f"head {spec.name}: image {value.shape[1]}x{value.shape[0]}x{value.shape[2]} -> {path}")
    return 0


def _save_png(path: Path, value, bits: int, signed: bool) -> None:
    import numpy as np
    from PIL import Image

    v = np.asarray(value, dtype=np.int64)
    lo = -(1 << (bits - 1)) if signed else 0
    scaled = ((v - lo) * 255 // ((1 << bits) - 1)).astype(np.uint8)
    if scaled.shape[2] == 1:
        img = Image.fromarray(scaled[..., 0], "L")
    elif scaled.shape[2] == 3:
        img = Image.fromarray(scaled, "RGB")
    else:
        img = Image.fromarray(np.concatenate([scaled[..., c] for c in range(scaled.shape[2])], axis=1), "L")
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


# --------------------------------------------------------------------------------------
def _port_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--net", default="weights/reference.yaml", help="network description (YAML/JSON)")
    sp.add_argument("--port", required=True,
                    help="serial device (/dev/ttyUSB0) or pyserial URL (socket://host:port)")
    sp.add_argument("--baud", type=int, default=DEFAULT_BAUD, help="bit rate (default 3000000)")
    sp.add_argument("--timeout", type=float, default=0.5,
                    help="seconds allowed per response on top of its line time (default 0.5)")
    sp.add_argument("--retries", type=int, default=5, help="retransmissions per request before giving up")
    sp.add_argument("-v", "--verbose", action="store_true", help="log link errors and retries")


def _positive(kind):
    def parse(text):
        try:
            v = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if v <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return v
    return parse


def add_subcommands(sub) -> None:
    sp = sub.add_parser("load", help="load a weight set into the board: check build ID, write, verify, commit")
    sp.add_argument("weights", help="configurable weight set (.npz) made for the description")
    _port_args(sp)
    sp.add_argument("--no-verify", dest="verify", action="store_false", help="skip the read-back")
    sp.add_argument("--no-commit", dest="commit", action="store_false", help="write the shadow bank only")
    sp.add_argument("--commit-timeout", type=_positive(float), default=5.0,
                    help="seconds to wait for the bank swap (default 5)")
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=_run(cmd_load))

    sp = sub.add_parser("status", help="host-link counters and the register slave's identity and state")
    _port_args(sp)
    sp.set_defaults(func=_run(cmd_status))

    sp = sub.add_parser("read", help="read a register, field or memory word by name (e.g. ctrl, a_blk1_alpha[2])")
    sp.add_argument("name")
    _port_args(sp)
    sp.set_defaults(func=_run(cmd_read))

    sp = sub.add_parser("write", help="write a register, field or memory word by name")
    sp.add_argument("name")
    sp.add_argument("value", help="integer (decimal, 0x.., negative for signed memories)")
    _port_args(sp)
    sp.set_defaults(func=_run(cmd_write))

    sp = sub.add_parser("infer", help="send one image through the board, print scores / save dense output PNGs")
    _port_args(sp)
    sp.add_argument("--image", help="image file; default: seeded random frame")
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--out-dir", default="build/infer",
                    help="where dense head PNGs and infer.npz (every head's values) go (default build/infer)")
    sp.add_argument("--result-timeout", type=_positive(float), default=10.0,
                    help="seconds without progress before giving up (default 10)")
    sp.set_defaults(func=_run(cmd_infer))
