"""Exact decimal arithmetic inside the range DynamoDB can store.

DynamoDB numbers carry at most 38 significant digits with exponents from -130 to +125. Every
tally sum is computed in a context that traps instead of rounding, so a result DynamoDB could not
hold exactly is rejected rather than silently changed.
"""

from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    Clamped,
    Context,
    Decimal,
    DecimalException,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    Subnormal,
    Underflow,
)

EXACT = Context(
    prec=38,
    Emax=125,
    Emin=-130,
    traps=[InvalidOperation, Inexact, Rounded, Overflow, Underflow, Subnormal, Clamped],
)


class NumberOutOfRange(ValueError):
    """A number, or a sum, that DynamoDB cannot store exactly."""


def storable(value: Decimal) -> Decimal:
    """`value` unchanged if DynamoDB can store it exactly, else NumberOutOfRange."""
    if not value.is_finite():
        raise NumberOutOfRange(f"{value} is not a finite number")
    try:
        return EXACT.plus(value) if value else Decimal(0)
    except DecimalException as error:
        raise NumberOutOfRange(f"{value} does not fit 38 significant digits within 1E-130..1E+126") from error


def add(left: Decimal, right: Decimal) -> Decimal:
    """left + right, exactly, or NumberOutOfRange."""
    try:
        return EXACT.add(left, right)
    except DecimalException as error:
        raise NumberOutOfRange(f"{left} + {right} cannot be stored exactly") from error


def subtract(left: Decimal, right: Decimal) -> Decimal:
    """left - right, exactly, or NumberOutOfRange. (Not left + -right: unary minus rounds to the
    thread's context, 28 digits by default.)"""
    try:
        return EXACT.subtract(left, right)
    except DecimalException as error:
        raise NumberOutOfRange(f"{left} - {right} cannot be stored exactly") from error


def plain(value: Decimal) -> int | Decimal:
    """An int when `value` is integral, else the decimal without trailing zeros (108.50 -> 108.5)."""
    if value == value.to_integral_value():
        return int(value)
    # normalize() rounds to its context's precision, 28 digits by default: give it every digit.
    return value.normalize(Context(prec=len(value.as_tuple().digits), Emax=MAX_EMAX, Emin=MIN_EMIN))
