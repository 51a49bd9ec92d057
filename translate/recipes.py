"""`--recipe`: named sets of defaults for the command line's flags.

  original   nothing changes: the tutorial's flags and defaults
  modern     the settings that translate real text best in a short CPU budget (chosen by the
             measurements in docs/real_data.md): SentencePiece subwords, a bidirectional
             encoder, the full softmax with label smoothing, Adam with warm-up and a linear
             decay to the end of the budget, dropout, validation by dev BLEU with the best
             checkpoint kept (and made the final checkpoint) and early stopping, batches of
             similar target lengths (`--batch_by_length`); decoding by beam search (4)
             unless --beam_size says otherwise

A recipe only fills flags the user did not give: `--recipe modern --size 512` trains the
modern recipe with 512 units. The values reach the model through the flags, so the saved
settings (`translate.settings`) record what was trained, and decoding needs neither the recipe
nor the flags.
"""

from __future__ import annotations

from typing import Any

from absl import flags

RECIPES: dict[str, dict[str, Any]] = {
    "original": {},
    "modern": {
        "vocabulary": "subword",
        "from_vocab_size": 4000,
        "to_vocab_size": 4000,
        "size": 256,
        "num_layers": 1,
        "bidirectional_encoder": True,
        "num_samples": 0,
        "output_projection": True,
        "label_smoothing": 0.1,
        "dropout": 0.2,
        "optimizer": "adam",
        "learning_rate": 0.002,
        "learning_rate_schedule": "linear",
        "warmup_steps": 200,
        "batch_size": 128,
        "batch_by_length": True,
        "steps_per_checkpoint": 500,
        "steps_per_validation": 500,
        "early_stopping": 5,
        "restore_best": True,
        "beam_size": 4,
    },
}


def apply_recipe(name: str, flag_values: flags.FlagValues) -> dict[str, Any]:
    """Sets the flags of recipe `name` that were not given on the command line.

    Args:
      name: a key of `RECIPES`.
      flag_values: the parsed flags (`absl.flags.FLAGS`).

    Returns:
      The flags set, name -> value (those given explicitly are left out).

    Raises:
      ValueError: an unknown recipe, or a recipe naming a flag the program does not define.
    """
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}: --recipe must be one of "
                         f"{', '.join(RECIPES)}")
    applied = {}
    for flag, value in RECIPES[name].items():
        if flag not in flag_values:
            raise ValueError(f"recipe {name!r} sets --{flag}, which this program does not "
                             "define")
        if not flag_values[flag].present:
            flag_values[flag].value = value
            applied[flag] = value
    return applied
