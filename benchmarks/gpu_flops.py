r"""Model FLOPs, a GPU's peak speed, and model-FLOPs utilisation (MFU) of a GPT training step.

The model FLOPs of one training step are the matrix products that the model
needs for each token, forward and backward, counted as in appendix B of the
PaLM paper:

.. math::

    \text{FLOPs per token} = 6N + 12 L T d

where :math:`N` is the number of parameters that take part in a matrix
product for every token (2 FLOPs per parameter forward, 4 backward), and
:math:`12 L T d` the attention's two products, :math:`QK^\top` and
:math:`AV`, over :math:`T` positions in each of :math:`L` layers of width
:math:`d` (PaLM writes :math:`12 L H Q T` with :math:`H Q = d`; causal
attention is not halved, as in PaLM). Here :math:`N` counts every trainable
parameter except the token and position embedding tables, which are looked
up, not multiplied; it includes the output layer's :math:`d \times V` matrix,
a product for every token (the companion's GPT does not tie it to the token
table). Recomputation, if any, is not counted: these are *model* FLOPs, not
hardware FLOPs.

.. math::

    \text{MFU} = \frac{\text{tokens per second} \times \text{FLOPs per token}}
                      {\text{the device's peak dense bfloat16 FLOP/s}}

References:
    Chowdhery et al., 2022. PaLM: Scaling Language Modeling with Pathways,
    appendix B. https://arxiv.org/abs/2204.02311
"""

import re

# Peak dense bfloat16 tensor-core speed, in TFLOP/s, with FP32 accumulation: NVIDIA's
# datasheet figure without structured sparsity (datasheets print the sparse figure, twice
# this, with an asterisk). The first pattern that matches the GPU's name as a whole word wins,
# so "H100 PCIe" comes before "H100". `None`: the GPU has no bfloat16 tensor cores.
PEAK_BF16_TFLOPS = (
    ("H200 NVL", 835.5, "NVIDIA H200 NVL datasheet: 1,671 with sparsity"),
    ("H200", 989.5, "NVIDIA H200 SXM datasheet: 1,979 with sparsity"),
    ("H100 PCIe", 756.5, "NVIDIA H100 PCIe datasheet: 1,513 with sparsity"),
    ("H100 NVL", 835.5, "NVIDIA H100 NVL datasheet: 1,671 with sparsity"),
    ("H100", 989.5, "NVIDIA H100 SXM datasheet: 1,979 with sparsity"),
    ("A100", 312.0, "NVIDIA A100 datasheet, SXM and PCIe: 624 with sparsity"),
    ("L40S", 362.05, "NVIDIA L40S datasheet: 733 with sparsity"),
    ("L4", 121.0, "NVIDIA L4 datasheet: 242 with sparsity"),
    ("A10G", 70.0, "AWS's A10G has no NVIDIA datasheet; 70 as Baseten's A10 vs A10G comparison"),
    ("A10", 125.0, "NVIDIA A10 datasheet: 250 with sparsity"),
    ("RTX 4090", 165.2, "NVIDIA Ada Lovelace whitepaper, appendix: 330.4 with sparsity"),
    ("T4", None, "Turing has no bfloat16 tensor cores"),
    ("V100", None, "Volta has no bfloat16 tensor cores"),
)


def peak_tflops(gpu_name, override=None):
    """The peak dense bfloat16 TFLOP/s of a GPU, and where the number comes from.

    Args:
        gpu_name: str. The name the driver reports, e.g. ``"NVIDIA H100 80GB HBM3"``.
        override: float or `None`. A peak given by hand (``--peak-tflops``),
            used instead of the table. Defaults to `None`.

    Returns:
        ``(tflops, source)``: the peak (`None` when unknown) and a short text
        that says where it comes from, or why there is none.

    Example:

    >>> peak_tflops("NVIDIA A100-SXM4-80GB")
    (312.0, 'NVIDIA A100 datasheet, SXM and PCIe: 624 with sparsity')
    """
    if override is not None:
        if override <= 0:
            raise ValueError(f"peak_tflops must be > 0 (got --peak-tflops={override})")
        return float(override), "given with --peak-tflops"
    for pattern, tflops, source in PEAK_BF16_TFLOPS:
        if re.search(rf"\b{re.escape(pattern)}\b", gpu_name, flags=re.IGNORECASE):
            return tflops, source if tflops is not None else f"n/a ({pattern}: {source})"
    return None, f"n/a (unknown GPU: {gpu_name})"


def model_flops_per_token(parameters, layers, context, width):
    """PaLM's model FLOPs per token of a training step: ``6 N + 12 L T d``.

    Args:
        parameters: int. :math:`N`, the parameters in a matrix product for
            every token (see the module's docstring).
        layers: int. :math:`L`, the Transformer blocks.
        context: int. :math:`T`, the positions each token attends over.
        width: int. :math:`d`, the model width (heads x head size).

    Returns:
        int, the FLOPs of one token's forward and backward pass.

    Example:

    >>> model_flops_per_token(1_000_000, layers=2, context=4, width=8)
    6000768
    """
    return 6 * parameters + 12 * layers * context * width


def model_flops_utilisation(tokens_per_second, flops_per_token, tflops):
    """MFU: the model FLOP/s achieved over the device's peak, or `None` without a peak.

    Example:

    >>> model_flops_utilisation(1_000, 6_000_768, tflops=1.0)
    0.006000768
    """
    if tflops is None:
        return None
    return tokens_per_second * flops_per_token / (tflops * 1e12)
