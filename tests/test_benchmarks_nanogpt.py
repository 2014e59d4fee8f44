"""The GPT benchmark's references: nanoGPT's model in PyTorch and in plain JAX agree, and train."""

import numpy as np
import pytest

from benchmarks import nanogpt_reference

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")

VOCABULARY, CONTEXT, WIDTH, LAYERS, HEADS, BATCH = 11, 8, 16, 2, 4, 3


def _jax_weights_from_torch(model):
    def numpy(tensor):
        return tensor.detach().numpy()

    return {
        "token_embedding": numpy(model.token_embedding.weight),
        "position_embedding": numpy(model.position_embedding.weight),
        "final_norm": numpy(model.final_norm.weight),
        "blocks": [
            {
                "attention_norm": numpy(block.attention_norm.weight),
                "qkv": numpy(block.qkv.weight).T,  # torch keeps (out, in)
                "attention_output": numpy(block.attention_output.weight).T,
                "feedforward_norm": numpy(block.feedforward_norm.weight),
                "feedforward_in": numpy(block.feedforward[0].weight).T,
                "feedforward_out": numpy(block.feedforward[2].weight).T,
            }
            for block in model.blocks
        ],
    }


def test_the_jax_and_torch_references_are_the_same_model():
    model = nanogpt_reference.build_model(VOCABULARY, CONTEXT, WIDTH, LAYERS, HEADS)
    ids = np.random.default_rng(0).integers(0, VOCABULARY, (BATCH, CONTEXT))
    expected = model(torch.from_numpy(ids)).detach().numpy()  # (B, T, V)
    parameters = _jax_weights_from_torch(model)
    got = np.asarray(nanogpt_reference.jax_logits(parameters, ids, HEADS))
    assert got.shape == (BATCH, CONTEXT, VOCABULARY)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_the_torch_model_ties_its_output_layer_to_the_embedding():
    model = nanogpt_reference.build_model(VOCABULARY, CONTEXT, WIDTH, LAYERS, HEADS)
    assert model.output.weight is model.token_embedding.weight


@pytest.mark.parametrize("make", ["torch", "jax"])
def test_each_reference_step_trains(make):
    if make == "torch":
        step = nanogpt_reference.make_step(
            VOCABULARY, CONTEXT, WIDTH, LAYERS, HEADS, BATCH, threads=1
        )
    else:
        step = nanogpt_reference.make_jax_step(VOCABULARY, CONTEXT, WIDTH, LAYERS, HEADS, BATCH)
    losses = [step() for _ in range(60)]
    assert losses[0] == pytest.approx(np.log(VOCABULARY), rel=0.05)  # near-uniform at first
    assert losses[-1] < 0.7 * losses[0]  # it fits its fixed batch
