"""Canonical signed digit (CSD) recoding, i.e. the non-adjacent form (NAF).

Every integer ``v`` has exactly one representation ``v = sum(d_k * 2**k)`` with digits
``d_k`` in ``{-1, 0, +1}`` and no two adjacent non-zero digits.  It has the minimal
number of non-zero digits of all signed-binary representations, which makes it the
baseline for multiplier-less constant multiplication: ``c * x`` costs
``nonzero_digits(c) - 1`` adders.
"""

from __future__ import annotations

from typing import NamedTuple


class Term(NamedTuple):
    """One non-zero CSD digit: ``sign * 2**shift``."""

    shift: int
    sign: int  # +1 or -1


def csd_digits(value: int) -> list[int]:
    """CSD digits of *value*, least significant first (``[]`` for zero).

    >>> csd_digits(7)
    [-1, 0, 0, 1]
    """
    value = int(value)
    digits: list[int] = []
    while value:
        if value & 1:
            # value mod 4 == 1 -> digit +1, == 3 -> digit -1: leaves value-digit = 0 mod 4,
            # so the next digit is zero (non-adjacency).
            digit = 2 - (value & 3)
            value -= digit
        else:
            digit = 0
        digits.append(digit)
        value >>= 1
    return digits


def csd_terms(value: int) -> list[Term]:
    """The non-zero CSD digits of *value* as (shift, sign) terms, lowest shift first."""
    return [Term(k, d) for k, d in enumerate(csd_digits(value)) if d]


def nonzero_digits(value: int) -> int:
    """Number of non-zero CSD digits of *value* (its adder cost plus one)."""
    return len(csd_terms(value))
