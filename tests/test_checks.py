"""Tests for colorkit._checks: a wrong type is a TypeError, a wrong value a ValueError."""

from __future__ import annotations

import math

import numpy as np
import pytest

from colorkit import _checks


def test_check_number_ranges_and_messages():
    assert _checks.check_number("blend", np.float32(0.5), 0.0, 1.0) == 0.5
    with pytest.raises(ValueError, match=r"blend must be a finite number in \[0, 1\]"):
        _checks.check_number("blend", 2, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"width must be a finite number > 0\. Received: width=0"):
        _checks.check_number("width", 0, 0.0, open_low=True)
    with pytest.raises(ValueError, match=r"edge must be a finite number >= 0\."):
        _checks.check_number("edge", -1, 0.0)
    with pytest.raises(ValueError, match="finite"):
        _checks.check_number("width", math.inf, 0.0, open_low=True)
    with pytest.raises(TypeError, match="width must be a number"):
        _checks.check_number("width", "3", 0.0, open_low=True)
    with pytest.raises(TypeError, match="width must be a number"):
        _checks.check_number("width", True, 0.0, open_low=True)


@pytest.mark.parametrize(
    ("check", "good", "bad_type", "bad_value"),
    [
        (_checks.check_temperature, 0.38, "hot", 0.0),
        (_checks.check_saturation, 0.0, "full", -0.5),
        (_checks.check_seed, 3, 1.5, -1),
        (lambda value: _checks.check_int("depth", value), 2, "2", 0),
    ],
)
def test_wrong_type_is_type_error_wrong_value_is_value_error(check, good, bad_type, bad_value):
    assert check(good) == good
    with pytest.raises(TypeError, match="Received"):
        check(bad_type)
    with pytest.raises(ValueError, match="Received"):
        check(bad_value)


def test_check_bool_takes_only_bools():
    assert _checks.check_bool("in_memory", False) is False
    for value in (1, "no", None):
        with pytest.raises(TypeError, match="in_memory must be True or False"):
            _checks.check_bool("in_memory", value)


def test_check_scale_jitter_tells_type_from_value():
    assert _checks.check_scale_jitter((1, np.float32(1.25))) == (1.0, 1.25)
    for bad_type in ("ab", 1.2, (1.0, "2")):
        with pytest.raises(TypeError, match="scale_jitter must be a pair"):
            _checks.check_scale_jitter(bad_type)
    for bad_value in ((1.2,), (0.5, 1.0), (1.0, math.inf)):
        with pytest.raises(ValueError, match="scale_jitter must be a pair"):
            _checks.check_scale_jitter(bad_value)
