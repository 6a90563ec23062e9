"""Bad input to the regression fitters: a DataError / ValueError that names the argument, shows the value."""

import datetime

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from mlelib import DataError, fit_linear, fit_logistic, fit_poisson

FITTERS = [fit_linear, fit_logistic, fit_poisson]
X_OK = np.column_stack([np.ones(6), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]])
Y_OK = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0])


@pytest.mark.parametrize("fitter", FITTERS)
@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (X_OK + 1j * np.eye(6, 2), Y_OK, r"X must be real, got a complex array \(dtype complex128; first non-zero "
                                         r"imaginary part at flat position 0: np.complex128\(1\+1j\)|\(1\+1j\)"),
        (X_OK.astype(complex), Y_OK, r"X must be real, got a complex array .*all imaginary parts are zero"),
        (X_OK, Y_OK + 0j, r"y must be real, got a complex array"),
        (X_OK, np.array([0.0, 1.0, 1j, 1.0, 1.0, 0.0], dtype=object), r"y must contain real numbers only; entry \(2,\) is 1j"),
        (X_OK.astype(str), Y_OK, r"X must be numeric, got strings \(dtype <U\d+, e.g. '1.0'\)"),
        (X_OK, Y_OK.astype(str), r"y must be numeric, got strings"),
        (X_OK, np.array([0, 1, None, 1, 1, 0], dtype=object), r"y must contain real numbers only; entry \(2,\) is None"),
        ([[1.0, 2.0], [1.0]], [0.0, 1.0], r"X must be a rectangular array of real numbers"),
        (np.column_stack([np.ones(6), np.arange(6)]).astype("datetime64[D]"), Y_OK, r"X must be numeric, got dates"),
        (X_OK, Y_OK[:4], r"X has 6 rows but y has 4 entries \(shapes \(6, 2\) and \(4,\)\)"),
        (np.empty((0, 2)), np.empty(0), r"X is empty \(shape \(0, 2\)\)"),
    ],
)
def test_bad_input_names_the_argument_and_the_value(fitter, X, y, message):
    with pytest.raises(DataError, match=message):
        fitter(X, y)


@pytest.mark.parametrize("fitter", FITTERS)
def test_integer_and_boolean_arrays_are_converted_to_float64(fitter):
    """int and bool designs/responses give exactly the fit on their float64 copies."""
    X_int = np.column_stack([np.ones(8, dtype=int), np.arange(8), np.arange(8) % 3 == 0])
    y_int = np.array([0, 1, 0, 1, 1, 0, 1, 1])
    res = fitter(X_int, y_int)
    ref = fitter(X_int.astype(float), y_int.astype(float))
    assert_array_equal(res.params, ref.params)
    assert_array_equal(res.cov, ref.cov)


@pytest.mark.parametrize("fitter", FITTERS)
def test_a_dataframe_with_integer_columns_is_accepted(fitter):
    frame = pd.DataFrame({"const": np.ones(8, dtype=int), "dose": np.arange(8)})
    res = fitter(frame, pd.Series([0, 1, 0, 1, 1, 0, 1, 1]))
    assert res.param_names == ("const", "dose")


@pytest.mark.parametrize("fitter", FITTERS)
def test_a_dataframe_with_a_date_column_is_refused(fitter):
    frame = pd.DataFrame({"const": 1.0, "day": [datetime.date(2020, 1, d) for d in range(1, 7)]})
    with pytest.raises(DataError, match=r"X must contain real numbers only; entry \(0, 1\) is datetime.date\(2020, 1, 1\) \(date\)"):
        fitter(frame, Y_OK)


@pytest.mark.parametrize("fitter", FITTERS)
@pytest.mark.parametrize(
    ("names", "message"),
    [
        ("ab", r"param_names must be a sequence of 2 names .* got the single string 'ab'"),
        (["a"], r"param_names has 1 entries \['a'\] but X has 2 columns"),
        (3, r"param_names must be a sequence of 2 names .* got 3"),
    ],
)
def test_bad_param_names(fitter, names, message):
    with pytest.raises(DataError, match=message):
        fitter(X_OK, Y_OK, param_names=names)


@pytest.mark.parametrize("fitter", [fit_logistic, fit_poisson])
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tol": None}, r"tol must be a positive finite number .* got None"),
        ({"tol": "1e-8"}, r"tol must be a positive finite number .* got '1e-8'"),
        ({"tol": -1.0}, r"tol must be a positive finite number .* got -1.0"),
        ({"tol": np.inf}, r"tol must be a positive finite number .* got inf"),
        ({"maxiter": 1.5}, r"maxiter must be a positive integer \(e.g. 100\), got 1.5"),
        ({"maxiter": True}, r"maxiter must be a positive integer \(e.g. 100\), got True"),
        ({"maxiter": None}, r"maxiter must be a positive integer \(e.g. 100\), got None"),
    ],
)
def test_bad_options(fitter, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fitter(X_OK, Y_OK, **kwargs)


@pytest.mark.parametrize("fitter", [fit_logistic, fit_poisson])
def test_integral_float_maxiter_is_still_accepted(fitter):
    assert fitter(X_OK, Y_OK, maxiter=100.0).converged
