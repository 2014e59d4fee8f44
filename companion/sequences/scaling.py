"""Standardisation fitted on the training part only."""

import numpy as np

from companion.checks import as_numeric_array, check_finite


class StandardScaler:
    r"""Per-feature standardisation fitted on the training part only.

    .. math::

        \mu_f = \frac{1}{T} \sum_t x_{t,f}, \qquad
        \sigma_f = \sqrt{\frac{1}{T} \sum_t (x_{t,f} - \mu_f)^2}, \qquad
        z_{t,f} = \frac{x_{t,f} - \mu_f}{\sigma_f}

    (population standard deviation, as in scikit-learn). Fit it on the
    training part and transform validation and test with the *training*
    statistics, so no information flows from the future into the inputs.

    A constant feature has :math:`\sigma_f = 0`; its divisor is set to `1`
    instead (so it is only centred, to zeros, not divided by zero) and
    ``std_`` stores that `1`, as scikit-learn's ``scale_`` does.

    Attributes:
        mean_: array of shape (F,) (or () for a 1-D series), the means.
        std_: array of the same shape, the divisors (standard deviations,
            with `1` for constant features).

    Example:

    >>> import numpy as np
    >>> scaler = StandardScaler().fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
    >>> scaler.mean_, scaler.std_
    (array([2., 5.]), array([1., 1.]))
    >>> scaler.transform(np.array([[5.0, 6.0]]))
    array([[3., 1.]], dtype=float32)
    """

    def __init__(self):
        self.mean_ = None
        self.std_ = None

    def fit(self, train):
        """Computes the per-feature mean and standard deviation over axis 0.

        Args:
            train: array-like of shape (T,) or (T, F), finite numbers, T >= 1.

        Returns:
            The scaler itself.
        """
        x = as_numeric_array("train", train)
        if x.ndim not in (1, 2):
            raise ValueError(
                f"train must be 1-D (T,) or 2-D (T, F) (got a {x.ndim}-D array of shape {x.shape})"
            )
        if x.shape[0] == 0:
            raise ValueError("train must hold at least one time step (got len(train)=0)")
        check_finite("train", x)
        x = x.astype(np.float64)  # accumulate in double precision
        self.mean_ = x.mean(axis=0)  # (F,) or ()
        std = x.std(axis=0)  # (F,) or ()
        self.std_ = np.where(std > 0.0, std, 1.0)  # constant feature: divide by 1
        return self

    def _check_fitted_and_shape(self, name, x):
        if self.mean_ is None:
            raise ValueError("StandardScaler must be fitted first: call fit(train)")
        x = as_numeric_array(name, x)
        features = self.mean_.shape
        if features and (x.ndim == 0 or x.shape[-1] != features[0]):
            raise ValueError(
                f"{name} must have {features[0]} features on its last axis, as the fitted "
                f"data (got shape {x.shape})"
            )
        return x

    def transform(self, x):
        """Returns ``(x - mean_) / std_`` as float32 (any leading shape, (..., F))."""
        x = self._check_fitted_and_shape("x", x)
        return ((x - self.mean_) / self.std_).astype(np.float32)

    def inverse_transform(self, x):
        """Returns ``x * std_ + mean_`` as float32 (undoes :meth:`transform`)."""
        x = self._check_fitted_and_shape("x", x)
        return (x * self.std_ + self.mean_).astype(np.float32)

    def fit_transform(self, x):
        """Fits on ``x`` and returns it transformed."""
        return self.fit(x).transform(x)
