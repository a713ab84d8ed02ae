"""Register access by name and the weight loader, on top of :class:`.client.Client`.

Names come from :func:`semifreddo.regmap.build_map`: a register (``ctrl``), one element
of a register array or region (``a_blk1_alpha[2]``, ``a_blk0_weight[5]``), or a field
(``ctrl.enable``, ``status.active_bank``).  Addresses are offsets inside the register
slave, which sits at :data:`.addrmap.REGS_BASE` on the bus.
"""

from __future__ import annotations

import re
import struct
import time
import zlib
from dataclasses import dataclass

from ..regmap import MAGIC, FORMAT_MAJOR, Field, Region, Register, RegisterMap
from .addrmap import REGS_BASE
from .client import Client

MASK32 = 0xFFFF_FFFF


class NameError_(KeyError):
    """Unknown register / field name or index (message is user-facing)."""

    def __str__(self) -> str:
        return str(self.args[0])


class LoadError(Exception):
    """Verification or commit failed (user-facing message)."""


@dataclass(frozen=True)
class Target:
    name: str                   # canonical: "ctrl", "a_blk1_alpha[2]", "ctrl.enable"
    addr: int                   # offset in the register slave
    reg: Register | None = None
    region: Region | None = None
    field: Field | None = None

    def value_range(self) -> tuple[int, int]:
        if self.field is not None:
            return 0, (1 << self.field.width) - 1
        if self.region is not None and self.region.kind == "mem" and self.region.signed:
            w = self.region.value_width
            return -(1 << (w - 1)), (1 << (w - 1)) - 1
        return 0, MASK32

    def describe(self, word: int) -> str:
        """Human-readable value of the 32-bit *word* read from this target."""
        if self.field is not None:
            return str((word >> self.field.lsb) & ((1 << self.field.width) - 1))
        if self.region is not None and self.region.kind == "mem":
            v = word - (1 << 32) if word >> 31 else word
            return f"{v} ({word:#010x})"
        text = f"{word:#010x}"
        if self.reg is not None and len(self.reg.fields) > 1:
            parts = [f"{f.name}={(word >> f.lsb) & ((1 << f.width) - 1)}" for f in self.reg.fields]
            text += "  " + " ".join(parts)
        return text


def resolve(m: RegisterMap, name: str) -> Target:
    """Look up *name* in the map (raises NameError_ naming what is wrong)."""
    mm = re.fullmatch(r"([a-z_][a-z0-9_]*)(?:\[(\d+)\])?(?:\.([a-z_][a-z0-9_]*))?", name.strip().lower())
    if not mm:
        raise NameError_(f"{name!r}: not a register name (expected NAME, NAME[i] or NAME.FIELD)")
    base, idx, fld = mm.group(1), mm.group(2), mm.group(3)
    index = int(idx) if idx is not None else None
    if base in m.regions and m.regions[base].kind == "mem":
        reg = m.regions[base]
        if fld:
            raise NameError_(f"{name}: memory {base} has no fields")
        if index is None and reg.count > 1:
            raise NameError_(f"{name}: {base} holds {reg.count} values, give an index {base}[0..{reg.count - 1}]")
        i = index or 0
        if i >= reg.count:
            raise NameError_(f"{name}: index {i} out of range, {base} holds {reg.count} values")
        return Target(f"{base}[{i}]", reg.address(i), region=reg)
    if base in m.registers:
        reg = m.registers[base]
        if index is None and reg.count > 1:
            raise NameError_(f"{name}: {base} is an array of {reg.count}, give an index {base}[0..{reg.count - 1}]")
        i = index or 0
        if i >= reg.count:
            raise NameError_(f"{name}: index {i} out of range, {base} has {reg.count} elements")
        addr = reg.address + i * reg.stride
        canon = f"{base}[{i}]" if reg.count > 1 else base
        region = m.regions.get(base)
        if fld:
            try:
                f = reg.field(fld)
            except KeyError:
                raise NameError_(f"{name}: {base} has no field {fld!r} (fields: "
                                 f"{', '.join(x.name for x in reg.fields)})") from None
            return Target(f"{canon}.{fld}", addr, reg=reg, region=region, field=f)
        return Target(canon, addr, reg=reg, region=region)
    raise NameError_(f"{name}: no register or memory named {base!r} in this map")


def runs_of(writes: list[tuple[int, int]]) -> list[tuple[int, list[int]]]:
    """Group (address, word) writes into runs of consecutive word addresses (order kept)."""
    runs: list[tuple[int, list[int]]] = []
    for a, w in writes:
        if runs and runs[-1][0] + 4 * len(runs[-1][1]) == a:
            runs[-1][1].append(w)
        else:
            runs.append((a, [w]))
    return runs


def crc32_words(words) -> int:
    return zlib.crc32(struct.pack(f"<{len(words)}I", *(w & MASK32 for w in words)))


@dataclass
class LoadReport:
    words: int
    requests: int
    crc32: int
    upload_s: float
    verify_s: float
    commit_s: float | None
    retransmits: int


class Device:
    """The register slave of one network, reached through a host-link client."""

    def __init__(self, client: Client, m: RegisterMap, base: int = REGS_BASE):
        self.client, self.m, self.base = client, m, base

    # -- single registers ------------------------------------------------------------------
    def read_word(self, offset: int) -> int:
        return self.client.read(self.base + offset, 1)[0]

    def write_word(self, offset: int, word: int) -> None:
        self.client.write(self.base + offset, [word & MASK32])

    def read(self, name: str) -> tuple[Target, int]:
        t = resolve(self.m, name)
        return t, self.read_word(t.addr)

    def write(self, name: str, value: int) -> Target:
        """Write *value* (range-checked by the caller via Target.value_range)."""
        t = resolve(self.m, name)
        if t.field is not None:
            old = self.read_word(t.addr)
            f = t.field
            word = old & ~f.mask | (value << f.lsb) & f.mask
            # never re-trigger a pulse or clear sticky bits by writing back what was read
            for other in t.reg.fields:
                if other is not f and other.access in ("pulse", "w1c", "w1s_hwclr"):
                    word &= ~other.mask
        else:
            word = value & MASK32
        self.write_word(t.addr, word)
        return t

    # -- identity --------------------------------------------------------------------------
    def identify(self) -> tuple[int, int, int]:
        """(magic, version word, build ID) read in one burst."""
        magic, version, lo, hi = self.client.read(self.base + self.m.address("magic"), 4)
        return magic, version, hi << 32 | lo

    def check_identity(self) -> int:
        magic, version, bid = self.identify()
        if magic != MAGIC:
            raise LoadError(f"no SemifreddoNets register slave at {self.base:#010x} (MAGIC reads {magic:#010x}, "
                            f"expected {MAGIC:#010x})")
        if version >> 16 != FORMAT_MAJOR:
            raise LoadError(f"register map version {version >> 16}.{version & 0xFFFF} on the device, this tool "
                            f"speaks {FORMAT_MAJOR}.x")
        return bid

    # -- weight loading --------------------------------------------------------------------
    def load(self, writes: list[tuple[int, int]], *, verify: bool = True, commit: bool = True,
             commit_timeout: float = 5.0, progress=None) -> LoadReport:
        """Write the shadow bank, read it back (CRC-32 over the image), commit, wait.

        *progress(words_done_delta)* is called as requests complete (writes, then reads).
        """
        ctrl = self.m.address("ctrl")
        if self.read_word(ctrl) & self.m.field("ctrl", "commit").mask:
            raise LoadError("CTRL.commit is still pending from an earlier load: the shadow bank becomes active "
                            "at the next input frame and old frames may still use it; send a frame (e.g. "
                            "`semifreddo infer`) before loading again")
        runs = runs_of([(self.base + a, w) for a, w in writes])
        cb = (lambda req: progress(req.length + 1)) if progress else None
        r0 = self.client.stats.retransmits
        t0 = time.monotonic()
        self.client.write_runs(runs, cb)
        t1 = time.monotonic()
        want = [w for _, ws in runs for w in ws]
        crc = crc32_words(want)
        if verify:
            got_runs = self.client.read_runs([(a, len(ws)) for a, ws in runs], cb)
            got = [w for ws in got_runs for w in ws]
            if crc32_words(got) != crc:
                addrs = [a + 4 * i for a, ws in runs for i in range(len(ws))]
                k = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
                where = self.m.mapped_words().get(addrs[k] - self.base)
                label = f"{where[0]}[{where[1]}]" if where else f"{addrs[k]:#010x}"
                bad = sum(g != w for g, w in zip(got, want))
                raise LoadError(f"read-back CRC-32 {crc32_words(got):08x} != written {crc:08x}: {bad} words differ, "
                                f"first {label}: wrote {want[k]:#010x}, read {got[k]:#010x}; not committed")
        t2 = time.monotonic()
        t_commit = None
        if commit:
            t_commit = self.commit(commit_timeout)
        return LoadReport(len(want), len(runs), crc, t1 - t0, t2 - t1, t_commit,
                          self.client.stats.retransmits - r0)

    def commit(self, timeout: float = 5.0) -> float | None:
        """Request the bank swap and enable the datapath (read-modify-write of CTRL, no START pulse)
        and wait up to *timeout* seconds until CTRL.commit reads 0 (the swap happens at the
        next input frame, and CTRL.commit clears once the frames of the old bank are done).
        Returns the seconds waited, or None if it is still pending (no frames flowing): the
        new weights then take effect with the next input frame."""
        ctrl = self.m.address("ctrl")
        commit = self.m.field("ctrl", "commit")
        start = self.m.field("ctrl", "start")
        enable = self.m.field("ctrl", "enable")
        old = self.read_word(ctrl)
        # A committed weight set is meant to run: set ENABLE too (frames are accepted from now on).
        self.write_word(ctrl, (old | commit.mask | enable.mask) & ~start.mask)
        t0 = time.monotonic()
        while True:
            if not self.read_word(ctrl) & commit.mask:
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                return None
            time.sleep(0.002)
