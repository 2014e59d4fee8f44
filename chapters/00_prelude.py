"""
Chapter 0: Prelude — from the perceptron to convolution
========================================================

Before sequence models, the course's deep-learning session (deck
``002_4712b714cb24e56d``, "Course 4: Deep Learning") builds the tools every later
chapter uses: the perceptron and its loss, gradient descent and its learning
rate, the multi-layer perceptron, backpropagation and mini-batches, and the two
operations of a convolutional network, convolution and pooling. This chapter
runs each of them in Keras 3 on small data sets, checks a gradient derived by
hand against Keras's own, and recomputes the deck's worked convolution and
max-pooling examples to compare them with the results printed on the slides.
"""

# %%
# Setup
# -----
#
# The backend (JAX, TensorFlow or PyTorch) is chosen before Keras is imported,
# from ``KERAS_BACKEND`` or ``--backend``. The hyper-parameters sit here, read
# from the scale of the run: ``--quick`` runs every section at toy size (a
# smoke test), the default fits the book's time budget, ``--full`` trains
# longer.

from companion import runtime

args = runtime.parse_args(__doc__)  # sets KERAS_BACKEND before keras loads

import keras  # after the backend is chosen
import numpy as np
from keras import ops

from companion import plotting

runtime.set_seed(args.seed)
rng = np.random.default_rng(args.seed)

POINTS_PER_BLOB = 100  # section 1: two Gaussian blobs of this many points each
GRADIENT_STEPS = args.pick(quick=20, default=100, full=300)  # section 2, full batch
XOR_TRAIN, XOR_TEST = 1000, 1000  # section 3: points in the XOR task
MLP_HIDDEN_UNITS = 8
MLP_EPOCHS = args.pick(quick=3, default=40, full=120)
BATCH_SIZE = 64

# %%
# 1. The perceptron and its loss
# ------------------------------
#
# The deck (slide "Deep Neural Networks (2/7)") writes the perceptron as a
# weighted sum of the inputs followed by a non-linear function :math:`f`, and
# measures its error with a loss:
#
# .. math::
#
#    y = f\Big(\sum_{d=0}^{D} x_d W_d\Big), \qquad
#    \mathcal{L}(x, W, \hat y) = \lVert y - \hat y \rVert_2^2, \qquad
#    J(W) = \sum_i \mathcal{L}(x^{(i)}, W, \hat y^{(i)}).
#
# Here :math:`\hat y` is the ground truth (the deck's notation; many books swap
# the hats). The sum starts at :math:`d = 0`: we set :math:`x_0 = 1` for every
# example, so :math:`W_0` is the bias. We take :math:`f` to be the logistic
# sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`, so :math:`y \in (0, 1)` reads as
# the probability of class 1.
#
# The data set is **synthetic**: two Gaussian blobs in the plane, class 0
# around :math:`(-1, -1)` and class 1 around :math:`(1, 1)`, drawn with the
# chapter's seed.

blob_centres = np.array([[-1.0, -1.0], [1.0, 1.0]])
blob_points = np.concatenate(
    [rng.normal(centre, 0.8, size=(POINTS_PER_BLOB, 2)) for centre in blob_centres]
)  # (N, 2)
blob_labels = np.repeat([0.0, 1.0], POINTS_PER_BLOB)  # (N,)
# x_0 = 1 in front of every example, so W_0 plays the role of the bias.
ones = np.ones((len(blob_points), 1))  # (N, 1)
blob_inputs = np.concatenate([ones, blob_points], axis=1).astype("float32")  # (N, 3)
blob_labels = blob_labels.astype("float32")


def perceptron(inputs, weights):
    """The deck's perceptron y = f(sum_d x_d W_d), with f the sigmoid.

    Args:
        inputs: tensor of shape ``(N, D + 1)`` whose first column is 1.
        weights: tensor of shape ``(D + 1,)``.

    Returns:
        Tensor of shape ``(N,)``: the predictions y.
    """
    return ops.sigmoid(ops.matmul(inputs, weights))  # (N,)


def total_loss(predictions, targets):
    """The deck's total loss J(W) = sum_i ||y_i - y_hat_i||^2 (sum, not mean)."""
    return ops.sum(ops.square(ops.subtract(predictions, targets)))


zero_weights = ops.zeros((3,))
hand_weights = ops.convert_to_tensor(np.array([0.0, 2.0, 2.0], dtype="float32"))
example_weights = {
    "W = 0 (y = 0.5 everywhere)": zero_weights,
    "W = (0, 2, 2)": hand_weights,
}
for name, weights in example_weights.items():
    loss = total_loss(perceptron(blob_inputs, weights), blob_labels)
    loss = float(ops.convert_to_numpy(loss))
    print(f"J({name}) = {loss:.3f} over {len(blob_labels)} examples")

# %%
# With :math:`W = 0` every prediction is 0.5 and each example costs
# :math:`0.5^2 = 0.25`, so :math:`J = 0.25 N`. A hand-picked :math:`W` that
# points from one blob to the other already lowers the loss a lot. Finding a
# good :math:`W` without guessing is the job of gradient descent, next.

figure, axes = plotting.new_axes(width=5.0, height=4.0)
for label_value, colour in [(0, "tab:blue"), (1, "tab:orange")]:
    chosen = blob_labels == label_value
    axes.scatter(
        *blob_points[chosen].T, s=12, color=colour, label=f"class {label_value}"
    )
plotting.label(
    axes,
    "Synthetic data: two Gaussian blobs",
    "feature $x_1$",
    "feature $x_2$",
    legend=True,
)
runtime.show(figure, "gaussian_blobs")

# %%
# 2. Gradient descent and the learning rate
# -----------------------------------------
#
# The deck's update rule (slides "Deep Neural Networks (2/7)" and "(3/7)"):
#
# .. math::
#
#    W \leftarrow W - \eta \, \frac{\partial J(W)}{\partial W}.
#
# The gradient gives the direction, the learning rate :math:`\eta` the size of
# the step. The deck's pictures show :math:`J` as a bowl. To get exactly that
# bowl we take :math:`f` to be the identity in this section (a linear neuron,
# Widrow and Hoff's Adaline): with :math:`y = XW`, :math:`J(W) = \lVert XW -
# \hat y \rVert^2` is a quadratic in :math:`W`, and the chain rule gives
#
# .. math::
#
#    \frac{\partial J}{\partial W_d}
#    = \sum_i \frac{\partial \mathcal{L}_i}{\partial y_i}
#             \frac{\partial y_i}{\partial W_d}
#    = \sum_i 2 (y_i - \hat y_i)\, x_{id},
#    \qquad\text{i.e.}\qquad
#    \frac{\partial J}{\partial W} = 2 X^\top (XW - \hat y).
#
# The curvature of the bowl is the constant matrix :math:`H = 2 X^\top X`, so
# the learning rates need no trial and error: gradient descent converges only
# for :math:`\eta < 2 / \lambda_{\max}(H)`, and the fastest fixed rate is
# :math:`\eta = 2 / (\lambda_{\max} + \lambda_{\min})`. We call that rate
# "right", a hundredth of it "too small", and 5 % above the stability limit
# "too large", and run full-batch gradient descent from :math:`W = 0` with each.


def linear_neuron_gradient(inputs, weights, targets):
    """dJ/dW = 2 X^T (X W - y_hat): the linear neuron, summed squared error."""
    residuals = ops.subtract(ops.matmul(inputs, weights), targets)  # (N,)
    return 2.0 * ops.matmul(ops.transpose(inputs), residuals)  # (D + 1,)


def gradient_descent(learning_rate, steps):
    """Full-batch gradient descent from W = 0; returns J before and after each step."""
    weights = ops.zeros((blob_inputs.shape[1],))
    losses = [total_loss(ops.matmul(blob_inputs, weights), blob_labels)]
    for _ in range(steps):
        weights = weights - learning_rate * linear_neuron_gradient(
            blob_inputs, weights, blob_labels
        )
        losses.append(total_loss(ops.matmul(blob_inputs, weights), blob_labels))
    return np.array([float(ops.convert_to_numpy(loss)) for loss in losses])


curvature = 2.0 * blob_inputs.T.astype("float64") @ blob_inputs  # H: (D + 1, D + 1)
eigenvalues = np.linalg.eigvalsh(curvature)
right_rate = 2.0 / (eigenvalues.max() + eigenvalues.min())
learning_rates = {
    "too small": right_rate / 100.0,
    "right": right_rate,
    "too large": 1.05 * 2.0 / eigenvalues.max(),
}
loss_curves = {
    name: gradient_descent(rate, GRADIENT_STEPS)
    for name, rate in learning_rates.items()
}
least_squares_weights = np.linalg.lstsq(blob_inputs, blob_labels, rcond=None)[0]
lowest_loss = np.sum((blob_inputs @ least_squares_weights - blob_labels) ** 2)
print(f"stability limit 2 / lambda_max = {2.0 / eigenvalues.max():.2e}")
print(f"bottom of the bowl (least squares, solved directly): J = {lowest_loss:.4g}")
for name, rate in learning_rates.items():
    print(f"eta {name:>9} = {rate:.2e}: final J = {loss_curves[name][-1]:.4g}")

figure, axes = plotting.new_axes(width=6.0, height=3.8)
for name, rate in learning_rates.items():
    axes.plot(loss_curves[name], label=rf"{name}: $\eta$ = {rate:.1e}")
axes.set_yscale("log")
plotting.label(
    axes,
    "Gradient descent on a linear neuron, three learning rates",
    "gradient-descent step",
    "total loss $J(W)$ (log scale)",
    legend=True,
)
runtime.show(figure, "learning_rates")

# %%
# The small rate creeps down the slope of the bowl; the right one reaches the
# bottom (the least-squares loss) in a few steps; the large one overshoots
# along the steepest direction, lands higher on the other side of the valley
# each time, and diverges (the deck's "large step" picture). For the sigmoid
# perceptron of section 1 the story is the same but less tidy: the curvature
# changes with :math:`W`, which is why, in practice, "setting the learning rate
# is not easy" (deck, "Deep Neural Networks (3/7)").

runtime.check_bar(
    "final J: too-large rate / right rate (above 1: too large ends worse)",
    loss_curves["too large"][-1] / loss_curves["right"][-1],
    ">",
    1.0,
)
runtime.check_bar(
    "final J: right rate / too-small rate (below 1: right rate ends lower)",
    loss_curves["right"][-1] / loss_curves["too small"][-1],
    "<",
    1.0,
)
runtime.check_bar(
    "final J: right rate / least-squares minimum (1 at the bottom of the bowl)",
    loss_curves["right"][-1] / lowest_loss,
    "<",
    1.001,
)

# %%
# 3. The multi-layer perceptron
# -----------------------------
#
# Stacking perceptrons gives the multi-layer perceptron (slide "Deep Neural
# Networks (4/7)"), here with one hidden layer:
#
# .. math::
#
#    y = f\big(W^{(2)} f(W^{(1)} x)\big)
#
# (the deck drops the biases "for simplicity"; Keras's ``Dense`` layers keep
# them). One perceptron draws a single straight line between the classes, so it
# cannot solve XOR: the **synthetic** task below draws points uniformly in the
# square :math:`[-1, 1]^2` and labels a point 1 when :math:`x_1 x_2 > 0`
# (first and third quadrants), 0 otherwise. No straight line separates the
# quadrants; a hidden layer can bend the boundary.
#
# Training uses mini-batches (slide "Deep Neural Networks (6/7)"): each
# gradient step sees ``BATCH_SIZE`` examples rather than the whole set, which
# keeps memory small and gives many more steps per pass over the data.


def make_xor(count):
    """Draws the synthetic XOR task: (points (count, 2), labels (count,))."""
    points = rng.uniform(-1.0, 1.0, size=(count, 2)).astype("float32")
    labels = (points[:, 0] * points[:, 1] > 0).astype("float32")
    return points, labels


xor_train_points, xor_train_labels = make_xor(XOR_TRAIN)
xor_test_points, xor_test_labels = make_xor(XOR_TEST)


def make_classifier(hidden_units):
    """A perceptron (hidden_units=None) or a one-hidden-layer MLP with tanh."""
    layers = [keras.Input(shape=(2,))]
    if hidden_units is not None:
        layers.append(
            keras.layers.Dense(hidden_units, activation="tanh", name="hidden")
        )
    layers.append(keras.layers.Dense(1, activation="sigmoid", name="output"))
    model = keras.Sequential(layers, name="mlp" if hidden_units else "perceptron")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.02),
        loss="mean_squared_error",  # the deck's squared error, averaged over the batch
        metrics=["binary_accuracy"],
    )
    return model


classifiers = {
    "perceptron": make_classifier(None),
    "MLP": make_classifier(MLP_HIDDEN_UNITS),
}
test_accuracy = {}
for name, model in classifiers.items():
    model.fit(
        xor_train_points,
        xor_train_labels,
        batch_size=BATCH_SIZE,
        epochs=MLP_EPOCHS,
        verbose=args.verbose,
    )
    _, test_accuracy[name] = model.evaluate(xor_test_points, xor_test_labels, verbose=0)
    print(f"{name:>10}: XOR test accuracy {test_accuracy[name]:.3f}")

# %%
# We train with Adam, a gradient-descent variant that rescales the step for
# each weight from running averages of its gradients, so it is less touchy
# about :math:`\eta` than the fixed-rate descent of section 2; each update is
# still a step against the mini-batch gradient. The decision regions show what
# each model learnt.

grid_axis = np.linspace(-1.0, 1.0, 101, dtype="float32")
grid_points = np.stack(np.meshgrid(grid_axis, grid_axis), axis=-1)  # (101, 101, 2)
grid_points = grid_points.reshape(-1, 2)  # (G, 2)
figure, all_axes = plotting.new_axes(ncols=2, width=4.2, height=4.0)
for axes, (name, model) in zip(all_axes, classifiers.items(), strict=True):
    probabilities = ops.convert_to_numpy(model(grid_points)).reshape(len(grid_axis), -1)
    axes.contourf(
        grid_axis,
        grid_axis,
        probabilities,
        levels=[0.0, 0.5, 1.0],
        alpha=0.3,
        colors=["tab:blue", "tab:orange"],
    )
    point_colours = np.where(xor_test_labels[:300] > 0.5, "tab:orange", "tab:blue")
    axes.scatter(
        *xor_test_points[:300].T,
        c=point_colours,
        s=10,
        edgecolors="black",
        linewidths=0.3,
    )
    plotting.label(
        axes, f"{name}: test accuracy {test_accuracy[name]:.2f}", "$x_1$", "$x_2$"
    )
runtime.show(figure, "xor_decision_regions")

runtime.check_bar(
    "MLP test accuracy on XOR", test_accuracy["MLP"], ">", 0.9, needs_training=True
)
# Enforced at every scale: no straight line separates the quadrants, trained or not.
runtime.check_bar(
    "perceptron test accuracy on XOR", test_accuracy["perceptron"], "<", 0.8
)

# %%
# 4. Backpropagation, by hand and by Keras
# ----------------------------------------
#
# The deck (slide "Deep Neural Networks (5/7)") describes backpropagation as
# the chain rule applied layer after layer, from the loss back to the input,
# and warns that its one-line equation is "conveniently simplified". Here is
# the exact version for the network of section 3. Keras's ``Dense`` computes
# ``x @ kernel + bias`` on row vectors, so :math:`W^{(1)}` has shape
# :math:`(2, H)` and :math:`W^{(2)}` shape :math:`(H, 1)`. For a batch
# :math:`X` of shape :math:`(N, 2)`:
#
# .. math::
#
#    A_1 = X W^{(1)} + b_1, \quad
#    Z = \tanh(A_1), \quad
#    A_2 = Z W^{(2)} + b_2, \quad
#    y = \sigma(A_2), \quad
#    J = \sum_i (y_i - \hat y_i)^2.
#
# Going backwards, each line is one use of the chain rule, with
# :math:`\sigma' = \sigma (1 - \sigma)` and :math:`\tanh' = 1 - \tanh^2`:
#
# .. math::
#
#    \delta_2 = \frac{\partial J}{\partial A_2} = 2 (y - \hat y) \odot y \odot (1 - y),
#    \qquad
#    \frac{\partial J}{\partial W^{(2)}} = Z^\top \delta_2, \quad
#    \frac{\partial J}{\partial b_2} = \textstyle\sum_i \delta_{2,i},
#
#    \delta_1 = \frac{\partial J}{\partial A_1}
#             = \big(\delta_2 \, W^{(2)\top}\big) \odot (1 - Z \odot Z),
#    \qquad
#    \frac{\partial J}{\partial W^{(1)}} = X^\top \delta_1, \quad
#    \frac{\partial J}{\partial b_1} = \textstyle\sum_i \delta_{1,i}.
#
# The error :math:`\delta` flows backwards through the network: that is the
# "back" in backpropagation.


def mlp_gradients_by_hand(inputs, targets, kernel_1, bias_1, kernel_2, bias_2):
    """The chain-rule gradients above, in NumPy (float64).

    Args:
        inputs: array (N, 2). targets: array (N,).
        kernel_1: (2, H), bias_1: (H,), kernel_2: (H, 1), bias_2: (1,).

    Returns:
        List of the gradients of J with respect to kernel_1, bias_1, kernel_2,
        bias_2, in that order (the order of ``model.get_weights()``).
    """
    inputs = inputs.astype("float64")
    targets = targets.astype("float64").reshape(-1, 1)  # (N, 1)
    hidden = np.tanh(inputs @ kernel_1 + bias_1)  # Z: (N, H)
    outputs = 1.0 / (1.0 + np.exp(-(hidden @ kernel_2 + bias_2)))  # y: (N, 1)
    delta_2 = 2.0 * (outputs - targets) * outputs * (1.0 - outputs)  # (N, 1)
    delta_1 = (delta_2 @ kernel_2.T) * (1.0 - hidden**2)  # (N, H)
    return [
        inputs.T @ delta_1,
        delta_1.sum(axis=0),
        hidden.T @ delta_2,
        delta_2.sum(axis=0),
    ]


# %%
# Keras computes the same gradients by automatic differentiation, but each
# backend exposes them differently (``jax.grad``, ``tf.GradientTape``,
# ``torch.autograd``). A backend-agnostic way to read them: one step of plain
# SGD with learning rate 1 changes each weight by exactly minus its gradient,
# so :math:`\partial J / \partial W = W_{\text{before}} - W_{\text{after}}`.
# The loss is ``MeanSquaredError(reduction="sum")``, i.e. the deck's
# :math:`J = \sum_i (y_i - \hat y_i)^2`.

gradient_model = keras.Sequential(
    [
        keras.Input(shape=(2,)),
        keras.layers.Dense(MLP_HIDDEN_UNITS, activation="tanh", name="hidden"),
        keras.layers.Dense(1, activation="sigmoid", name="output"),
    ],
    name="gradient_check",
)
gradient_model.compile(
    # No momentum, so one step changes each weight by minus its gradient.
    optimizer=keras.optimizers.SGD(learning_rate=1.0),
    loss=keras.losses.MeanSquaredError(reduction="sum"),
)
check_points, check_labels = xor_train_points[:32], xor_train_labels[:32]
weights_before = [w.astype("float64") for w in gradient_model.get_weights()]
hand_gradients = mlp_gradients_by_hand(check_points, check_labels, *weights_before)
gradient_model.train_on_batch(check_points, check_labels)
weights_after = [w.astype("float64") for w in gradient_model.get_weights()]
keras_gradients = [
    before - after for before, after in zip(weights_before, weights_after, strict=True)
]  # SGD, learning rate 1: W_after = W_before - dJ/dW

names = ["W1 (kernel_1)", "b1 (bias_1)", "W2 (kernel_2)", "b2 (bias_2)"]
largest_difference = 0.0
for name, by_hand, by_keras in zip(names, hand_gradients, keras_gradients, strict=True):
    difference = np.abs(by_hand - by_keras).max()
    largest_difference = max(largest_difference, difference)
    print(
        f"dJ/d{name:<14} shape {str(by_hand.shape):<7} "
        f"max |grad| {np.abs(by_hand).max():.4f}  max |hand - keras| {difference:.2e}"
    )
runtime.check_bar("max |hand gradient - Keras gradient|", largest_difference, "<", 1e-5)

# %%
# The differences are at the level of float32 rounding: the hand-derived
# chain rule and Keras's automatic differentiation agree.

# %%
# 5. Convolution and pooling: the deck's worked examples
# ------------------------------------------------------
#
# A multi-layer perceptron treats an image as a flat vector: many weights and
# no notion of neighbourhood (slide "Deep Neural Networks (7/7)"). A
# convolutional layer slides one small kernel :math:`K` over the input
# :math:`I`; the kernel's weights are learnt and shared across positions
# (slide "Convolutional Neural Network (1/5)"). What deep learning calls
# convolution is, strictly, cross-correlation (the kernel is not flipped):
#
# .. math::
#
#    (I * K)_{r, c} = \sum_{u=0}^{2} \sum_{v=0}^{2} I_{r+u,\, c+v} \, K_{u, v}.
#
# The deck's kernel is symmetric under a 180° rotation, so here the two
# definitions give the same result (checked below).
#
# The input :math:`I` and kernel :math:`K` are typed exactly as on slide
# "Convolutional Neural Network (2/5)". The slide appears several times; one
# copy prints a 6-column :math:`I` (first row ``0 1 1 0 0 0``), a typo: a 3×3
# kernel shrinks each side by 2, so a 7×6 input cannot give the 5×5 result
# printed next to it (the shape it does give is printed below). We use the
# 7-column version that the other copies show. The matrix ``deck_result`` is
# the **slide's claim**, typed from the deck; ``our_result`` is computed.

deck_input = np.array(
    [
        [0, 1, 1, 1, 0, 0, 0],
        [0, 0, 1, 1, 1, 0, 0],
        [0, 0, 0, 1, 1, 1, 0],
        [0, 0, 0, 1, 1, 0, 0],
        [0, 0, 1, 1, 0, 0, 0],
        [0, 1, 1, 0, 0, 0, 0],
        [1, 1, 0, 0, 0, 0, 0],
    ],
    dtype="float32",
)  # I: (7, 7)
deck_kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype="float32")  # K: (3, 3)
deck_result = np.array(
    [
        [1, 4, 3, 4, 1],
        [1, 2, 4, 3, 3],
        [1, 2, 3, 4, 1],
        [1, 3, 3, 1, 1],
        [3, 3, 1, 1, 0],
    ],
    dtype="float32",
)  # the slide's I * K: (5, 5)
deck_input_typo = np.array(
    [
        [0, 1, 1, 0, 0, 0],
        [0, 0, 1, 1, 0, 0],
        [0, 0, 0, 1, 1, 0],
        [0, 0, 0, 1, 1, 0],
        [0, 0, 1, 1, 0, 0],
        [0, 1, 1, 0, 0, 0],
        [1, 1, 0, 0, 0, 0],
    ],
    dtype="float32",
)  # the 6-column copy of I: (7, 6)

convolution = keras.layers.Conv2D(
    filters=1, kernel_size=3, padding="valid", use_bias=False
)
convolution.build((None, *deck_input.shape, 1))
convolution.set_weights([deck_kernel.reshape(3, 3, 1, 1)])  # (height, width, in, out)


def apply_to_matrix(layer, matrix):
    """Runs a 2-D layer on one single-channel matrix: (H, W) -> (H', W')."""
    batch = matrix[None, :, :, None]  # (1, H, W, 1)
    return ops.convert_to_numpy(layer(batch))[0, :, :, 0]


our_result = apply_to_matrix(convolution, deck_input)  # (5, 5)
typo_result = apply_to_matrix(convolution, deck_input_typo)

# An independent reference: the sum above, written as loops in NumPy.
loop_rows, loop_columns = np.subtract(deck_input.shape, deck_kernel.shape) + 1
loop_result = np.array(
    [
        [
            np.sum(deck_input[r : r + 3, c : c + 3] * deck_kernel)
            for c in range(loop_columns)
        ]
        for r in range(loop_rows)
    ]
)
print("Deck's result (typed from the slide):")
print(deck_result.astype(int))
print("Our result (keras.layers.Conv2D, valid padding, no bias):")
print(our_result.astype(int))
differing_cells = [(int(r), int(c)) for r, c in np.argwhere(our_result != deck_result)]
print(f"cells where the deck differs from Keras: {differing_cells or 'none'}")
print(f"Conv2D equals the NumPy loop: {np.array_equal(our_result, loop_result)}")
print(
    "kernel equals its 180-degree rotation (so convolution = cross-correlation here): "
    f"{np.array_equal(deck_kernel, deck_kernel[::-1, ::-1])}"
)
print(
    f"output shape with the 6-column typo of I: {typo_result.shape} "
    f"(the slide shows {deck_result.shape})"
)
runtime.check_bar(
    "cells where the deck's convolution differs from Keras",
    len(differing_cells),
    "<=",
    0,
)

# %%
# The three matrices, as on the slide:

figure, all_axes = plotting.new_axes(ncols=3, width=3.6, height=3.6)
for axes, matrix, title in zip(
    all_axes,
    [deck_input, deck_kernel, our_result],
    ["input $I$", "kernel $K$", "$I * K$ by Conv2D"],
    strict=True,
):
    rows, columns = matrix.shape
    plotting.plot_matrix(axes, matrix, f"{title} ({rows} × {columns})", "column", "row")
runtime.show(figure, "convolution")

# %%
# Max pooling (slide "Convolutional Neural Network (3/5)") keeps the largest
# value of each 2×2 window, moving by a stride of 2, which halves each side:
#
# .. math::
#
#    P_{r, c} = \max_{0 \le u, v < 2} I_{2r+u,\, 2c+v}.

pooling_input = np.array(
    [[1, 2, 3, 1], [1, 1, 1, 1], [2, 3, 1, 6], [8, 1, 4, 5]], dtype="float32"
)  # (4, 4)
deck_pooled = np.array([[2, 3], [8, 6]], dtype="float32")  # the slide's result: (2, 2)
max_pooling = keras.layers.MaxPooling2D(pool_size=2, strides=2)
our_pooled = apply_to_matrix(max_pooling, pooling_input)  # (2, 2)
print("Deck's max-pooling result:")
print(deck_pooled.astype(int))
print("Our result (keras.layers.MaxPooling2D, pool 2, stride 2):")
print(our_pooled.astype(int))
pooling_differences = int(np.sum(our_pooled != deck_pooled))
runtime.check_bar(
    "cells where the deck's max pooling differs from Keras",
    pooling_differences,
    "<=",
    0,
)

figure, all_axes = plotting.new_axes(ncols=2, width=3.6, height=3.6)
for axes, matrix, title in zip(
    all_axes,
    [pooling_input, our_pooled],
    ["input", "after max pooling"],
    strict=True,
):
    rows, columns = matrix.shape
    plotting.plot_matrix(axes, matrix, f"{title} ({rows} × {columns})", "column", "row")
runtime.show(figure, "max_pooling")

# %%
# A convolutional network repeats convolution and pooling (slide
# "Convolutional Neural Network (4/5)"); the kernels, learnt rather than typed
# in, come to detect edges and then more complex shapes. The later chapters
# use the same building blocks (dense layers, losses, gradient descent on
# mini-batches) for sequences.

# %%
# Run report
# ----------

runtime.report()
