"""The GPT benchmark's reference: nanoGPT's model and training step, written in plain PyTorch.

The issue's anchor ("nanoGPT's small CPU configuration trains at about
15,000 characters per second on this machine") was measured once, on an idle
machine. This module measures the same thing in the same run as our GPT, so
that the two share the machine's load: the model and step of Karpathy's
nanoGPT (github.com/karpathy/nanoGPT, ``model.py`` and ``train.py``), not
imported but rewritten here with its settings for that configuration:

* token and position embeddings, 4 pre-norm blocks of 128 features, a final
  layer norm and an output layer that shares the token embedding's matrix;
* each block: one ``Linear(128, 384)`` for the queries, keys and values
  together, ``torch.nn.functional.scaled_dot_product_attention`` with
  ``is_causal=True`` (one fused kernel), an output projection, then a
  ``128 -> 512 -> 128`` GELU feed-forward; no biases, no dropout;
* the step: cross-entropy, backward, gradients clipped to norm 1, AdamW;
  eager, float32, as many threads as the machine has cores (2 here).

The same model and step are also written in plain JAX (:func:`make_jax_step`,
one ``jax.jit`` of the loss, its gradient and AdamW), to tell what our code
costs from what XLA's CPU compiler costs. Both run whatever ``KERAS_BACKEND``
is: they are the references' own frameworks, not Keras.
"""

import numpy as np


def _block(torch, width, heads):
    nn = torch.nn
    functional = torch.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.attention_norm = nn.LayerNorm(width, bias=False)
            self.qkv = nn.Linear(width, 3 * width, bias=False)  # W^Q, W^K, W^V side by side
            self.attention_output = nn.Linear(width, width, bias=False)
            self.feedforward_norm = nn.LayerNorm(width, bias=False)
            self.feedforward = nn.Sequential(
                nn.Linear(width, 4 * width, bias=False),
                nn.GELU(),
                nn.Linear(4 * width, width, bias=False),
            )

        def attend(self, x):
            batch, time, _ = x.shape
            q, k, v = self.qkv(x).split(width, dim=2)  # (B, T, D) each
            q, k, v = (
                t.view(batch, time, heads, width // heads).transpose(1, 2) for t in (q, k, v)
            )  # (B, H, T, D / H)
            mixed = functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            return self.attention_output(mixed.transpose(1, 2).reshape(batch, time, width))

        def forward(self, x):
            x = x + self.attend(self.attention_norm(x))
            return x + self.feedforward(self.feedforward_norm(x))

    return Block()


def build_model(vocabulary_size, context, width, layers, heads, seed=0):
    """nanoGPT's ``GPT`` with ``bias=False, dropout=0.0``: returns a ``torch.nn.Module``."""
    import torch

    torch.manual_seed(seed)
    nn = torch.nn

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.token_embedding = nn.Embedding(vocabulary_size, width)
            self.position_embedding = nn.Embedding(context, width)
            self.blocks = nn.ModuleList(_block(torch, width, heads) for _ in range(layers))
            self.final_norm = nn.LayerNorm(width, bias=False)
            self.output = nn.Linear(width, vocabulary_size, bias=False)
            self.output.weight = self.token_embedding.weight  # weight tying, as nanoGPT
            for name, parameter in self.named_parameters():  # nanoGPT's initialisation
                if parameter.dim() == 2:
                    projection = name.endswith(("attention_output.weight", "feedforward.2.weight"))
                    std = 0.02 / (2 * layers) ** 0.5 if projection else 0.02
                    nn.init.normal_(parameter, 0.0, std)

        def forward(self, ids):
            positions = torch.arange(ids.shape[1])
            x = self.token_embedding(ids) + self.position_embedding(positions)  # (B, T, D)
            for block in self.blocks:
                x = block(x)
            return self.output(self.final_norm(x))  # (B, T, V)

    return GPT()


def make_step(vocabulary_size, context, width, layers, heads, batch, threads, seed=0):
    """One of nanoGPT's training steps on a fixed random batch, as a zero-argument callable."""
    import torch

    torch.set_num_threads(threads)
    model = build_model(vocabulary_size, context, width, layers, heads, seed)
    decayed = [p for p in model.parameters() if p.dim() >= 2]  # nanoGPT: decay matrices only
    kept = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decayed, "weight_decay": 0.1}, {"params": kept, "weight_decay": 0.0}],
        lr=1e-3,
        betas=(0.9, 0.99),
    )
    rng = np.random.default_rng(seed)
    ids = torch.from_numpy(rng.integers(0, vocabulary_size, (batch, context + 1)).astype("int64"))
    inputs, targets = ids[:, :-1], ids[:, 1:]

    def step():
        logits = model(inputs)  # (B, T, V)
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, vocabulary_size), targets.reshape(-1)
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss.item()

    return step


def jax_parameters(vocabulary_size, context, width, layers, seed):
    """:func:`build_model`'s weights as a dict of JAX arrays, initialised as nanoGPT does."""
    import jax

    keys = iter(jax.random.split(jax.random.PRNGKey(seed), 2 + 4 * layers))
    projection_std = 0.02 / (2 * layers) ** 0.5

    def normal(shape, std=0.02):
        return std * jax.random.normal(next(keys), shape)

    def block():
        return {
            "attention_norm": jax.numpy.ones(width),
            "qkv": normal((width, 3 * width)),
            "attention_output": normal((width, width), projection_std),
            "feedforward_norm": jax.numpy.ones(width),
            "feedforward_in": normal((width, 4 * width)),
            "feedforward_out": normal((4 * width, width), projection_std),
        }

    return {
        "token_embedding": normal((vocabulary_size, width)),  # also the output layer
        "position_embedding": normal((context, width)),
        "blocks": [block() for _ in range(layers)],
        "final_norm": jax.numpy.ones(width),
    }


def _layer_norm(x, gamma):
    import jax

    mean = x.mean(-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(variance + 1e-5) * gamma


def _jax_attend(x, block, heads):
    import jax
    import jax.numpy as jnp

    batch, time, width = x.shape
    q, k, v = jnp.split(x @ block["qkv"], 3, axis=-1)  # (B, T, D) each
    q, k, v = (t.reshape(batch, time, heads, width // heads) for t in (q, k, v))
    scores = jnp.einsum("bqhd,bkhd->bhqk", q, k) / (width // heads) ** 0.5  # (B, H, T, T)
    causal = jnp.tril(jnp.ones((time, time), bool))  # (T, T)
    weights = jax.nn.softmax(jnp.where(causal, scores, -jnp.inf), axis=-1)
    mixed = jnp.einsum("bhqk,bkhd->bqhd", weights, v).reshape(batch, time, width)
    return mixed @ block["attention_output"]


def jax_logits(parameters, ids, heads):
    """The plain-JAX GPT's logits ``(B, T, V)`` for int ids ``(B, T)``."""
    import jax

    x = parameters["token_embedding"][ids] + parameters["position_embedding"][: ids.shape[1]]
    for block in parameters["blocks"]:
        x = x + _jax_attend(_layer_norm(x, block["attention_norm"]), block, heads)
        hidden = jax.nn.gelu(
            _layer_norm(x, block["feedforward_norm"]) @ block["feedforward_in"],
            approximate=False,
        )  # (B, T, 4D)
        x = x + hidden @ block["feedforward_out"]
    x = _layer_norm(x, parameters["final_norm"])
    return x @ parameters["token_embedding"].T  # (B, T, V), the tied output layer


def make_jax_step(vocabulary_size, context, width, layers, heads, batch, seed=0):
    """:func:`make_step`'s model and AdamW step in plain JAX, compiled once with ``jax.jit``."""
    import jax
    import jax.numpy as jnp

    def loss(parameters, inputs, targets):
        log_probs = jax.nn.log_softmax(jax_logits(parameters, inputs, heads), axis=-1)
        return -jnp.take_along_axis(log_probs, targets[..., None], axis=-1).mean()

    @jax.jit
    def train_step(parameters, moments, count, inputs, targets):
        value, gradients = jax.value_and_grad(loss)(parameters, inputs, targets)
        norm = jnp.sqrt(sum(jnp.sum(g**2) for g in jax.tree.leaves(gradients)))
        gradients = jax.tree.map(lambda g: g * jnp.minimum(1.0, 1.0 / (norm + 1e-6)), gradients)
        first, second = moments
        first = jax.tree.map(lambda m, g: 0.9 * m + 0.1 * g, first, gradients)
        second = jax.tree.map(lambda v, g: 0.99 * v + 0.01 * g**2, second, gradients)
        count = count + 1
        correction = jnp.sqrt(1 - 0.99**count) / (1 - 0.9**count)

        def update(p, m, v):
            decay = 0.1 if p.ndim >= 2 else 0.0  # nanoGPT: decay matrices only
            return p * (1 - 1e-3 * decay) - 1e-3 * correction * m / (jnp.sqrt(v) + 1e-8)

        parameters = jax.tree.map(update, parameters, first, second)
        return parameters, (first, second), count, value

    parameters = jax_parameters(vocabulary_size, context, width, layers, seed)
    state = [parameters, jax.tree.map(jnp.zeros_like, (parameters, parameters)), jnp.asarray(0)]
    rng = np.random.default_rng(seed)
    ids = jnp.asarray(rng.integers(0, vocabulary_size, (batch, context + 1)).astype("int32"))
    inputs, targets = ids[:, :-1], ids[:, 1:]

    def step():
        parameters, moments, count, value = train_step(*state, inputs, targets)
        state[:] = [parameters, moments, count]
        return float(value)

    return step
