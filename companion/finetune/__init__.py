r"""Pre-training and fine-tuning (deck ``003_…``, chapter 8).

* :mod:`~companion.finetune.methods`: the tuning methods (:data:`METHODS`:
  full, linear probe, adapters, LoRA, prefix, prompt), :func:`freeze`,
  :func:`copy_pretrained`, :func:`merge_lora`, :func:`count_parameters`,
  :func:`frozen_values` and :func:`changed_frozen`;
* :mod:`~companion.finetune.classifier`: :class:`TextClassifier`, a
  Transformer encoder with a head, and :func:`tuned_classifier`, one on a
  pre-trained encoder, tuned by a method;
* :mod:`~companion.finetune.contrastive`: :func:`info_nce_loss`,
  :class:`SentenceEncoder`, :class:`ContrastiveTrainer`, :func:`recall_at_k`
  and :func:`bag_of_words_vectors` (contrastive pre-training, retrieval);
* :mod:`~companion.finetune.preference`: DPO and PPO, :func:`dpo_loss`,
  :func:`ppo_clipped_loss`, :func:`ppo_advantages`, :class:`DPOTrainer`,
  :class:`PPOTrainer` and :func:`modern_wording_reward`;
* :mod:`~companion.finetune.rollouts`: :func:`frozen_copy` (the reference),
  :func:`sample_rollouts` (the policy's own samples, scored),
  :func:`preference_pairs` and :func:`ppo_batch`.
"""

from companion.finetune.classifier import TextClassifier, masked_mean, tuned_classifier
from companion.finetune.contrastive import (
    ContrastiveTrainer,
    SentenceEncoder,
    bag_of_words_vectors,
    info_nce_loss,
    recall_at_k,
)
from companion.finetune.methods import (
    METHODS,
    changed_frozen,
    copy_pretrained,
    count_parameters,
    freeze,
    frozen_values,
    merge_lora,
    method_options,
)
from companion.finetune.preference import (
    ARCHAIC_WORDS,
    NOT_ARCHAIC_ETH,
    DPOTrainer,
    PPOTrainer,
    dpo_loss,
    kl_to_reference,
    modern_wording_reward,
    ppo_advantages,
    ppo_clipped_loss,
    sequence_log_probs,
    token_log_probs,
)
from companion.finetune.rollouts import frozen_copy, ppo_batch, preference_pairs, sample_rollouts

__all__ = [
    "ARCHAIC_WORDS",
    "METHODS",
    "NOT_ARCHAIC_ETH",
    "ContrastiveTrainer",
    "DPOTrainer",
    "PPOTrainer",
    "SentenceEncoder",
    "TextClassifier",
    "bag_of_words_vectors",
    "dpo_loss",
    "frozen_copy",
    "info_nce_loss",
    "kl_to_reference",
    "modern_wording_reward",
    "ppo_advantages",
    "ppo_batch",
    "ppo_clipped_loss",
    "preference_pairs",
    "recall_at_k",
    "sample_rollouts",
    "sequence_log_probs",
    "token_log_probs",
    "changed_frozen",
    "copy_pretrained",
    "count_parameters",
    "freeze",
    "frozen_values",
    "masked_mean",
    "merge_lora",
    "method_options",
    "tuned_classifier",
]
