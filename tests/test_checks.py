"""Tests of companion.checks: each check returns the usable value or names what was wrong."""

import numpy as np
import pytest

from companion import checks


def test_check_int():
    assert checks.check_int("n", np.int64(3), minimum=1) == 3
    assert type(checks.check_int("n", np.int64(3))) is int
    with pytest.raises(TypeError, match=r"n must be an int \(got n=True of type bool\)"):
        checks.check_int("n", True)
    with pytest.raises(TypeError, match=r"n must be an int \(got n=2.0 of type float\)"):
        checks.check_int("n", 2.0)
    with pytest.raises(ValueError, match=r"n must be an int >= 1 \(got n=0\)"):
        checks.check_int("n", 0, minimum=1)
    with pytest.raises(ValueError, match=r"n must be an int <= 8 \(got n=9\)"):
        checks.check_int("n", 9, maximum=8)
    with pytest.raises(ValueError, match=r"n must be an int in \[1, 8\] \(got n=9\)"):
        checks.check_int("n", 9, minimum=1, maximum=8)


def test_check_float():
    assert checks.check_float("p", 1) == 1.0
    with pytest.raises(TypeError, match="p must be a number"):
        checks.check_float("p", "0.5")
    with pytest.raises(ValueError, match=r"p must be a finite number in \[0, 1\) \(got p=1.0\)"):
        checks.check_float("p", 1.0, minimum=0.0, maximum=1.0, open_maximum=True)
    with pytest.raises(ValueError, match=r"p must be a finite number in \(0, inf\)"):
        checks.check_float("p", 0.0, minimum=0.0, open_minimum=True)
    with pytest.raises(ValueError, match=r"p must be a finite number \(got p=nan\)"):
        checks.check_float("p", float("nan"))


def test_check_bool_and_choice():
    assert checks.check_bool("flag", np.True_) is True
    with pytest.raises(TypeError, match=r"flag must be a bool \(got flag=1 of type int\)"):
        checks.check_bool("flag", 1)
    assert checks.check_choice("mode", "pre", ("pre", "post")) == "pre"
    with pytest.raises(ValueError, match=r"mode must be one of 'pre', 'post' \(got mode='mid'\)"):
        checks.check_choice("mode", "mid", ("pre", "post"))


def test_text_checks():
    assert checks.check_text("text", "abc") == "abc"
    with pytest.raises(TypeError, match="text must be a str"):
        checks.check_text("text", b"abc")
    with pytest.raises(ValueError, match=r"lone surrogate '\\udc80' at index 1"):
        checks.check_text("text", "a\udc80")
    assert checks.check_texts("texts", "one") == ["one"]
    with pytest.raises(ValueError, match="at least one non-empty text"):
        checks.check_texts("texts", ["", ""])
    with pytest.raises(TypeError, match=r"texts\[1\] must be a str"):
        checks.check_texts("texts", ["a", 1])
    assert checks.check_tokens("tokens", ("a", "b")) == ["a", "b"]
    with pytest.raises(TypeError, match="not one str"):
        checks.check_tokens("tokens", "ab")


def test_check_ids():
    np.testing.assert_array_equal(checks.check_ids("ids", [[0, 2]], 3), [[0, 2]])
    with pytest.raises(ValueError, match=r"ids must be ids in \[0, 3\) \(got ids\[\(0, 1\)\]=3\)"):
        checks.check_ids("ids", [[0, 3]], 3)
    with pytest.raises(ValueError, match="ids must be 1-D"):
        checks.check_ids("ids", [[0]], 3, ndim=1)
    with pytest.raises(TypeError, match="ids must hold int ids"):
        checks.check_ids("ids", [0.5], 3)


def test_numeric_checks():
    assert checks.as_numeric_array("x", [1, 2]).dtype.kind == "i"
    with pytest.raises(TypeError, match="x must hold numbers"):
        checks.as_numeric_array("x", ["a"])
    with pytest.raises(ValueError, match="x must be a rectangular array"):
        checks.as_numeric_array("x", [[1], [2, 3]])
    with pytest.raises(ValueError, match=r"x must be finite.*index 1"):
        checks.check_finite("x", np.array([1.0, np.inf]))


def test_bfloat16_arrays_are_numbers_and_come_back_as_float32():
    bfloat16 = pytest.importorskip("ml_dtypes").bfloat16  # what JAX and TF return in bfloat16
    values = np.array([0.5, -1.25], bfloat16)
    assert checks.is_numeric(values.dtype)
    array = checks.as_numeric_array("x", values)
    assert array.dtype == np.float32 and array.tolist() == [0.5, -1.25]


def test_shape_checks():
    assert checks.check_rank("x", (2, 3), 2, "(batch, features)") == (2, 3)
    with pytest.raises(ValueError, match=r"x must have shape \(batch, features\) \(got rank 3"):
        checks.check_rank("x", (2, 3, 4), 2, "(batch, features)")
    assert checks.check_last_dim("x", (2, None), 4, "features") == (2, None)
    with pytest.raises(ValueError, match="x must have 4 features on its last axis"):
        checks.check_last_dim("x", (2, 3), 4, "features")


def test_keras_facing_checks():
    import keras

    assert checks.check_activation("activation", "tanh") is keras.activations.tanh
    with pytest.raises(ValueError, match="activation must be the name of a Keras activation"):
        checks.check_activation("activation", "tanhh")
    np.testing.assert_array_equal(checks.concrete_values(keras.ops.ones((2,))), [1.0, 1.0])
    assert checks.concrete_values(keras.KerasTensor((2,))) is None
