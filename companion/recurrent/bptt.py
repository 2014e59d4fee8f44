"""Backpropagation through time by hand (deck 004) and the parameter counts of the cells.

NumPy only: the hand-written gradients are checked against autodiff.
"""

import dataclasses

import numpy as np

from companion.checks import check_bool, check_choice, check_int


def parameter_count(
    kind, units, input_dim, use_bias=True, reset_after=False, peephole=False, coupled=False
):
    """Number of trainable parameters of a recurrent layer (deck 004).

    A SimpleRNN has :math:`U(D + U + 1)` parameters (:math:`W_{xh}`,
    :math:`W_{hh}`, :math:`b`). An LSTM repeats that block for each of its
    four gates (:math:`4 U (D + U + 1)`), a GRU for its three
    (:math:`3 U (D + U + 1)`; :math:`3 U (D + U + 2)` with
    ``reset_after``'s second bias row).

    Args:
        kind: str. ``"simple_rnn"``, ``"lstm"`` or ``"gru"``.
        units: int. Size of the state :math:`U`.
        input_dim: int. Size of each input vector :math:`D`.
        use_bias: bool. Defaults to `True`.
        reset_after: bool. GRU only. Defaults to `False`.
        peephole: bool. LSTM only: adds one weight per unit and peeking gate.
        coupled: bool. LSTM only: three gate blocks instead of four.

    Returns:
        int.
    """
    kind = check_choice("kind", kind, ("simple_rnn", "lstm", "gru"))
    units = check_int("units", units, minimum=1)
    input_dim = check_int("input_dim", input_dim, minimum=1)
    use_bias, reset_after = check_bool("use_bias", use_bias), check_bool("reset_after", reset_after)
    peephole, coupled = check_bool("peephole", peephole), check_bool("coupled", coupled)
    block = units * (input_dim + units + (1 if use_bias else 0))
    if kind == "simple_rnn":
        return block
    if kind == "lstm":
        gates = 3 if coupled else 4
        return gates * block + ((gates - 1) * units if peephole else 0)
    return 3 * block + (3 * units if (use_bias and reset_after) else 0)  # GRU


@dataclasses.dataclass
class BPTTResult:
    """What :func:`rnn_bptt_numpy` returns.

    Attributes:
        loss: float. :math:`L = \\sum_t w_t l_t`, with :math:`l_t` the mean
            over the batch of :math:`\\tfrac12 \\lVert \\hat y_t - y_t \\rVert^2`.
        gradients: dict of arrays, keys ``"w_xh"``, ``"w_hh"``, ``"b_h"``,
            ``"w_hy"``, ``"b_y"`` (the shapes of the weights).
        w_hh_terms: array ``(T, H, H)``: the term of :math:`\\partial L /
            \\partial W_{hh}` that comes from step :math:`t`'s use of
            :math:`W_{hh}`; they sum to ``gradients["w_hh"]``.
        state_gradients: array ``(B, T, H)``: :math:`\\partial L / \\partial
            h_t`, through every later step.
        states: array ``(B, T + 1, H)``: :math:`h_0 .. h_T`.
        outputs: array ``(B, T, O)``: :math:`\\hat y_1 .. \\hat y_T`.
    """

    loss: float
    gradients: dict
    w_hh_terms: np.ndarray
    state_gradients: np.ndarray
    states: np.ndarray
    outputs: np.ndarray


def rnn_forward_numpy(inputs, w_xh, w_hh, b_h, w_hy, b_y, h0=None):
    """The forward pass of deck 004's vanilla RNN, in NumPy.

    .. math::

        h_t = \\tanh(W_{xh}^\\top x_t + W_{hh}^\\top h_{t-1} + b_h), \\qquad
        \\hat y_t = W_{hy}^\\top h_t + b_y

    Weights use Keras's layout (``w_xh`` is ``SimpleRNN``'s kernel, ``w_hy``
    a ``Dense`` kernel), so rows are inputs and columns outputs.

    Args:
        inputs: array ``(B, T, D)``.
        w_xh: ``(D, H)``. w_hh: ``(H, H)``. b_h: ``(H,)``.
        w_hy: ``(H, O)``. b_y: ``(O,)``.
        h0: array ``(B, H)`` or `None` (zeros).

    Returns:
        ``(states, outputs)``: ``(B, T + 1, H)`` with :math:`h_0` first, and
        ``(B, T, O)``.
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    if inputs.ndim != 3:
        raise ValueError(f"inputs must have shape (batch, time, features) (got {inputs.shape})")
    batch, steps, _ = inputs.shape
    hidden = np.asarray(w_hh).shape[0]
    states = np.zeros((batch, steps + 1, hidden))
    if h0 is not None:
        states[:, 0] = h0
    for t in range(steps):
        # h_t = tanh(W_xh^T x_t + W_hh^T h_{t-1} + b_h)
        states[:, t + 1] = np.tanh(inputs[:, t] @ w_xh + states[:, t] @ w_hh + b_h)
    outputs = states[:, 1:] @ w_hy + b_y  # (B, T, O): y_t = W_hy^T h_t + b_y
    return states, outputs


def rnn_bptt_numpy(inputs, targets, w_xh, w_hh, b_h, w_hy, b_y, h0=None, loss_weights=None):
    """Backpropagation through time by hand, following deck 004.

    The loss is a sum over time, :math:`L = \\sum_t w_t l_t` with
    :math:`l_t = \\frac{1}{B}\\sum_b \\tfrac12 \\lVert \\hat y_t - y_t
    \\rVert^2` (all :math:`w_t = 1` by default). Going backwards from
    :math:`t = T`, the error reaching :math:`h_t` is its own loss's plus what
    comes back from :math:`h_{t+1}`:

    .. math::

        \\frac{\\partial L}{\\partial h_t} = W_{hy} \\frac{\\partial L}{\\partial \\hat y_t}
        + \\Big(\\frac{\\partial h_{t+1}}{\\partial h_t}\\Big)^\\top
          \\frac{\\partial L}{\\partial h_{t+1}}, \\qquad
        \\frac{\\partial h_{t+1}}{\\partial h_t} = \\mathrm{diag}(1 - h_{t+1}^2)\\, W_{hh}^\\top

    and each use of a weight at step :math:`t` adds one term, so
    :math:`\\partial L / \\partial W_{hh} = \\sum_t h_{t-1}\\, \\delta_t^\\top`
    with :math:`\\delta_t = (1 - h_t^2) \\odot \\partial L / \\partial h_t`:
    deck 004's sum over :math:`i` of products of :math:`\\partial h_{k+1} /
    \\partial h_k`, computed right to left once instead of once per term.

    Args:
        inputs: array ``(B, T, D)``.
        targets: array ``(B, T, O)``.
        w_xh, w_hh, b_h, w_hy, b_y, h0: as in :func:`rnn_forward_numpy`.
        loss_weights: array ``(T,)`` or `None`: the weight :math:`w_t` of each
            step's loss (for instance one-hot to keep a single :math:`l_t`).

    Returns:
        A :class:`BPTTResult`.
    """
    states, outputs = rnn_forward_numpy(inputs, w_xh, w_hh, b_h, w_hy, b_y, h0)
    inputs = np.asarray(inputs, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    if targets.shape != outputs.shape:
        raise ValueError(
            f"targets must have the outputs' shape {outputs.shape} (got {targets.shape})"
        )
    batch, steps, _ = inputs.shape
    weights = np.ones(steps) if loss_weights is None else np.asarray(loss_weights, np.float64)
    if weights.shape != (steps,):
        raise ValueError(f"loss_weights must have shape ({steps},) (got {weights.shape})")
    w_xh, w_hh, w_hy = (np.asarray(w, np.float64) for w in (w_xh, w_hh, w_hy))
    errors = outputs - targets  # (B, T, O)
    loss = float(np.sum(weights * 0.5 * np.sum(errors**2, axis=(0, 2)) / batch))

    grads = {
        name: np.zeros_like(np.asarray(w, np.float64))
        for name, w in (("w_xh", w_xh), ("w_hh", w_hh), ("b_h", b_h), ("w_hy", w_hy), ("b_y", b_y))
    }
    hidden = w_hh.shape[0]
    w_hh_terms = np.zeros((steps, hidden, hidden))
    state_gradients = np.zeros((batch, steps, hidden))
    from_later = np.zeros((batch, hidden))  # dL/dh_t through h_{t+1}; zero after the last step
    for t in reversed(range(steps)):
        h_t, h_prev = states[:, t + 1], states[:, t]  # (B, H)
        d_y = weights[t] * errors[:, t] / batch  # dL/dy_t, (B, O)
        grads["w_hy"] += h_t.T @ d_y  # dL/dW_hy = sum_t h_t (dL/dy_t)^T
        grads["b_y"] += d_y.sum(axis=0)
        d_h = d_y @ w_hy.T + from_later  # dL/dh_t: own loss + the future's
        state_gradients[:, t] = d_h
        delta = d_h * (1.0 - h_t**2)  # through tanh: dL/da_t, (B, H)
        w_hh_terms[t] = h_prev.T @ delta  # step t's use of W_hh
        grads["w_xh"] += inputs[:, t].T @ delta
        grads["b_h"] += delta.sum(axis=0)
        from_later = delta @ w_hh.T  # (dh_t/dh_{t-1})^T dL/dh_t
    grads["w_hh"] = w_hh_terms.sum(axis=0)
    return BPTTResult(loss, grads, w_hh_terms, state_gradients, states, outputs)
