"""Argument checks shared by every colorkit module (the one home for them).

Each check returns the value converted (``int`` / ``float`` / ``str``) or raises ``TypeError``
for a wrong type and ``ValueError`` for a wrong value, in the keras form
``"<name> must be ... Received: <name>=<value>"``. NumPy only: importing this module is cheap.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Sequence
from typing import Any


def check_int(name: str, value: Any, minimum: int = 1, maximum: int | None = None) -> int:
    """An int in ``[minimum, maximum]`` (bools are not ints here).

    Example:
        >>> check_int("depth", 3, maximum=4)
        3
        >>> check_int("depth", 0)
        Traceback (most recent call last):
        ...
        ValueError: depth must be an int in [1, inf). Received: depth=0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int. Received: {name}={value!r}")
    upper = "inf)" if maximum is None else f"{maximum}]"
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an int in [{minimum}, {upper}. Received: {name}={value}")
    return int(value)


def check_bool(name: str, value: Any) -> bool:
    """True or False (no other truthy values): anything else is a ``TypeError``.

    Example:
        >>> check_bool("in_memory", "no")
        Traceback (most recent call last):
        ...
        TypeError: in_memory must be True or False. Received: in_memory='no'
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False. Received: {name}={value!r}")
    return value


def check_number(
    name: str, value: Any, low: float = -math.inf, high: float = math.inf, *, open_low=False
) -> float:
    """A finite real number in ``[low, high]`` (``(low, high]`` when ``open_low``).

    Example:
        >>> check_number("blend", 0.5, 0.0, 1.0)
        0.5
        >>> check_number("blend", 2, 0.0, 1.0)
        Traceback (most recent call last):
        ...
        ValueError: blend must be a finite number in [0, 1]. Received: blend=2
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number. Received: {name}={value!r}")
    number = float(value)
    too_low = number <= low if open_low else number < low
    if not math.isfinite(number) or too_low or number > high:
        if high == math.inf:  # a bound below only: "> 0", ">= 0"
            allowed = f"{'>' if open_low else '>='} {low:g}"
        else:
            allowed = f"in {'(' if open_low else '['}{low:g}, {high:g}]"
        raise ValueError(f"{name} must be a finite number {allowed}. Received: {name}={value!r}")
    return number


def check_temperature(temperature: Any) -> float:
    """An annealed-mean temperature: a finite number > 0.

    Example:
        >>> check_temperature(0)
        Traceback (most recent call last):
        ...
        ValueError: temperature must be a finite number > 0. Received: temperature=0
    """
    return check_number("temperature", temperature, 0.0, open_low=True)


def check_saturation(saturation: Any) -> float:
    """A chroma multiplier: a finite number >= 0.

    Example:
        >>> check_saturation(-1)
        Traceback (most recent call last):
        ...
        ValueError: saturation must be a finite number >= 0. Received: saturation=-1
    """
    return check_number("saturation", saturation, 0.0)


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """One of ``choices``.

    Example:
        >>> check_choice("space", "hsv", ("lab", "yuv"))
        Traceback (most recent call last):
        ...
        ValueError: Unknown space: expected one of ['lab', 'yuv']. Received: space='hsv'
    """
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"Unknown {name}: expected one of {list(choices)}. Received: {name}={value!r}"
        )
    return value


def check_paths(name: str, paths: Any) -> list[str]:
    """A non-empty sequence of paths (str or os.PathLike), as a list of str.

    A single path is refused (wrap it in a list): iterating a str would give its characters.

    Example:
        >>> check_paths("paths", ["a.jpg"])
        ['a.jpg']
        >>> check_paths("paths", [])
        Traceback (most recent call last):
        ...
        ValueError: paths is empty: expected at least one image path. Received: paths=[]
    """
    if isinstance(paths, str | os.PathLike):
        raise TypeError(
            f"{name} must be a sequence of paths, not a single path (wrap it in a list). "
            f"Received: {name}={paths!r}"
        )
    if not isinstance(paths, Iterable):
        raise TypeError(f"{name} must be a sequence of paths. Received: {name}={paths!r}")
    result = []
    for path in paths:
        if not isinstance(path, str | os.PathLike):
            raise TypeError(
                f"{name} must hold str or os.PathLike items. Received: {name} item {path!r}"
            )
        result.append(os.fspath(path))
    if not result:
        raise ValueError(f"{name} is empty: expected at least one image path. Received: {name}=[]")
    return result


def check_scale_jitter(scale_jitter: Any) -> tuple[float, float]:
    """A pair ``(low, high)`` of finite numbers with ``1 <= low <= high`` (not a pair of
    numbers: ``TypeError``; another length or range: ``ValueError``).

    Example:
        >>> check_scale_jitter((1, 1.25))
        (1.0, 1.25)
        >>> check_scale_jitter((0.5, 1))
        Traceback (most recent call last):
        ...
        ValueError: scale_jitter must be a pair (low, high) with 1 <= low <= high. Received: scale_jitter=(0.5, 1)
    """  # noqa: E501 (a doctest line)
    message = (
        f"scale_jitter must be a pair (low, high) with 1 <= low <= high. "
        f"Received: scale_jitter={scale_jitter!r}"
    )
    if isinstance(scale_jitter, str) or not isinstance(scale_jitter, Iterable):
        raise TypeError(message)
    values = list(scale_jitter)
    if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in values):
        raise TypeError(message)
    if len(values) != 2:
        raise ValueError(message)
    low, high = (float(v) for v in values)
    if not (1.0 <= low <= high) or not math.isfinite(high):
        raise ValueError(message)
    return low, high


def check_seed(seed: Any) -> int:
    """A random seed: an int >= 0 (another type is a ``TypeError``, a negative int a
    ``ValueError``).

    Example:
        >>> check_seed(-1)
        Traceback (most recent call last):
        ...
        ValueError: seed must be a non-negative integer. Received: seed=-1
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be a non-negative integer. Received: seed={seed!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer. Received: seed={seed!r}")
    return int(seed)
