r"""Recurrent networks from scratch: SimpleRNN, LSTM, GRU, BPTT, bidirectional (decks 003, 004).

Each cell writes the course's equations with ``keras.ops`` and runs inside
``keras.layers.RNN`` as well as on the fast full-sequence path:

* :mod:`~companion.recurrent.cells`: :class:`RecurrentCell` (the shared
  input projection and dropout), :class:`SimpleRNNCell` and :func:`irnn_cell`;
* :mod:`~companion.recurrent.lstm`: :class:`LSTMCell`, with peepholes and
  coupled gates;
* :mod:`~companion.recurrent.gru`: :class:`GRUCell` and
  :func:`convert_gru_weights` (Keras's update-gate convention);
* :mod:`~companion.recurrent.loop`: :func:`run_recurrence`, the loop over time;
* :mod:`~companion.recurrent.fast`: :class:`FastRNN` and the layers
  :class:`SimpleRNN`, :class:`LSTM`, :class:`GRU` with Keras's arguments;
* :mod:`~companion.recurrent.bidirectional`: :class:`Bidirectional`, with
  deck 003's merge modes (max included);
* :mod:`~companion.recurrent.bptt`: backpropagation through time by hand in
  NumPy and :func:`parameter_count`;
* :mod:`~companion.recurrent.probes`: :class:`ProbedRNN` (the gradient that
  reaches each state) and :class:`Clock` (one-to-many decoder inputs).

Weight layouts are Keras's, so weights move between these layers and
``keras.layers.SimpleRNN`` / ``LSTM`` / ``GRU`` with ``set_weights``.
"""

from companion.recurrent.bidirectional import Bidirectional
from companion.recurrent.bptt import BPTTResult, parameter_count, rnn_bptt_numpy, rnn_forward_numpy
from companion.recurrent.cells import RecurrentCell, SimpleRNNCell, irnn_cell
from companion.recurrent.fast import GRU, LSTM, CellLayer, FastRNN, SimpleRNN
from companion.recurrent.gru import GRUCell, convert_gru_weights
from companion.recurrent.loop import run_recurrence
from companion.recurrent.lstm import LSTMCell
from companion.recurrent.probes import Clock, ProbedRNN

__all__ = [
    "GRU",
    "LSTM",
    "BPTTResult",
    "Bidirectional",
    "CellLayer",
    "Clock",
    "FastRNN",
    "GRUCell",
    "LSTMCell",
    "ProbedRNN",
    "RecurrentCell",
    "SimpleRNN",
    "SimpleRNNCell",
    "convert_gru_weights",
    "irnn_cell",
    "parameter_count",
    "rnn_bptt_numpy",
    "rnn_forward_numpy",
    "run_recurrence",
]
