"""The fast small reductions equal numpy's bit for bit (the correlation to rounding)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cardiowatch._reduce import corr_1d, mean_1d, median_1d, median_axis, median_rows, percentile_axis

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(arrays(np.float64, st.integers(1, 70), elements=finite))
def test_mean_and_median_equal_numpy_bit_for_bit(a):
    assert mean_1d(a).hex() == float(np.mean(a)).hex()
    assert median_1d(a).hex() == float(np.median(a)).hex()


def test_median_of_an_array_with_nan_is_nan_as_numpy_says():
    a = np.array([1.0, np.nan, 3.0])
    assert np.isnan(median_1d(a)) and np.isnan(np.median(a))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: arrays(np.float64, (n, 7), elements=finite)))
def test_median_rows_equals_numpy_bit_for_bit(a):
    assert median_rows(a).tobytes() == np.median(a, axis=0).tobytes()


def test_signed_zeros_come_out_as_numpy_gives_them():
    for values in ([-0.0], [-0.0, -0.0], [1.0, -0.0, -0.0], [-0.0, 2.0]):
        a = np.array(values)
        assert median_1d(a).hex() == float(np.median(a)).hex()
        assert mean_1d(a).hex() == float(np.mean(a)).hex()
    rows = np.array([[-0.0, 1.0, -0.0], [-0.0, -0.0, 2.0], [-0.0, -0.0, -0.0]])
    for n in (1, 2, 3):
        assert median_rows(rows[:n]).tobytes() == np.median(rows[:n], axis=0).tobytes()


def test_empty_arrays_give_nan_as_numpy_does():
    assert np.isnan(mean_1d(np.zeros(0))) and np.isnan(median_1d(np.zeros(0)))


def test_correlation_equals_numpy_and_calls_constant_rows_alike():
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=37), rng.normal(size=37)
    assert np.isclose(corr_1d(a, b), np.corrcoef(a, b)[0, 1], rtol=0, atol=1e-12)
    assert np.isclose(corr_1d(a, 3 * a + 1), 1.0) and np.isclose(corr_1d(a, -a), -1.0)
    assert corr_1d(np.ones(5), b[:5]) == 1.0


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 40).flatmap(lambda n: arrays(np.float64, (n, 3), elements=finite)),
       st.sampled_from([0.0, 1.0, 20.0, 50.0, 99.0, 100.0, 37.5]))
def test_median_and_percentile_along_an_axis_equal_numpy_bit_for_bit(a, q):
    for axis in (0, 1):
        assert median_axis(a, axis=axis).tobytes() == np.median(a, axis=axis).tobytes()
        assert percentile_axis(a, q, axis=axis).tobytes() == np.percentile(a, q, axis=axis).tobytes()


def test_percentile_of_long_rows_equals_numpy_bit_for_bit():
    rng = np.random.default_rng(3)
    for n in (1079, 1080, 1081):
        a = np.abs(rng.normal(size=(3, n))).round(3)  # ties, as in a quantised signal
        assert percentile_axis(a, 99, axis=1).tobytes() == np.percentile(a, 99, axis=1).tobytes()
        assert median_axis(a, axis=1).tobytes() == np.median(a, axis=1).tobytes()
