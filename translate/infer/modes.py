"""The opt-in ways of `--decode`: beam search, n-best lists, attention plots, whole files.

    --decode --beam_size K               beam search; the best translation of each line
    --decode --beam_size K --nbest N     N lines per input line, best first:
                                         "<rank>\\t<log-probability>\\t<translation>"
    --decode --attention_plot out.png    also draws each line's attention: line 1 to
                                         out.png, line i to out-i.png
    --decode --input_file F --output_file G    translates the lines of F in batches per
                                         bucket into G (same formats), reports the speed
    --decode --replace_unk               each _UNK of an output becomes the source word the
                                         attention weighted most (word vocabularies)

Without any of them `--decode` is the original's interactive loop
(`translate.infer.interactive`), unchanged. With `--beam_size 1` the loop prints what the
original prints (beam size 1 of the model's search is its greedy decode).

  DecodeOptions     the opt-in flags, checked together
  LineTranslator    what the loop prints for a line with them (and the plots it draws)
  run_decode        `--decode`: the original's loop, the opt-in loop, or a file
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import BinaryIO, TextIO

from translate.infer import attention_plot, interactive
from translate.infer.batch import BatchTranslator, Hypothesis, decode_file, format_hypotheses
from translate.infer.codec import Codec
from translate.models import TranslationModel


@dataclasses.dataclass(frozen=True)
class DecodeOptions:
    """The opt-in decoding flags; the defaults are the original's `--decode`.

    Attributes:
      beam_size: None for the original's greedy decode, else beam search with this beam.
      nbest: None, or how many hypotheses to print per sentence (needs a beam that large).
      batch_size: sentences per batch with `input_file`.
      input_file: translate this file instead of standard input.
      output_file: where the translations of `input_file` go.
      attention_plot: PNG path for the attention heatmap of each line read.
      replace_unk: replace each `_UNK` of an output by its most-attended source word.
    """

    beam_size: int | None = None
    nbest: int | None = None
    batch_size: int = 64
    input_file: str | None = None
    output_file: str | None = None
    attention_plot: str | None = None
    replace_unk: bool = False

    @property
    def is_original(self) -> bool:
        """True when no opt-in flag is set: the original's loop runs."""
        return (self.beam_size is None and self.nbest is None and self.input_file is None
                and self.attention_plot is None and not self.replace_unk)

    def validate(self) -> None:
        """Checks that the flags go together.

        Raises:
          ValueError: naming the flags that do not.
          FileNotFoundError: the input file does not exist.
        """
        if self.beam_size is not None and self.beam_size < 1:
            raise ValueError(f"--beam_size must be at least 1, got {self.beam_size}")
        if self.nbest is not None and (self.beam_size is None or self.nbest > self.beam_size
                                       or self.nbest < 1):
            raise ValueError(f"--nbest={self.nbest} needs --beam_size of at least that many "
                             f"(got --beam_size={self.beam_size})")
        if (self.input_file is None) != (self.output_file is None):
            raise ValueError("--input_file and --output_file go together")
        if self.input_file is not None and not os.path.isfile(self.input_file):
            raise FileNotFoundError(f"input file {self.input_file} does not exist")
        if self.input_file is not None and self.attention_plot is not None:
            raise ValueError("--attention_plot draws the lines of interactive --decode; it "
                             "does not combine with --input_file")


def plot_path(path: str, line_number: int) -> str:
    """Where the plot of line `line_number` (from 1) goes: `path`, then `<stem>-<n><ext>`."""
    if line_number == 1:
        return path
    stem, extension = os.path.splitext(path)
    return f"{stem}-{line_number}{extension}"


class LineTranslator:
    """What `--decode` prints for one line with the opt-in flags (a callable for
    `interactive.interactive_decode`).

    Args:
      model: the model, restored, forward-only.
      codec: its vocabularies.
      options: the flags (validated).
      stderr: where the plot notes go (default sys.stderr).

    Raises:
      ValueError: `options.replace_unk` with subword vocabularies.
    """

    def __init__(self, model: TranslationModel, codec: Codec, options: DecodeOptions,
                 stderr: TextIO | None = None):
        self.options = options
        self.translator = BatchTranslator(model, codec, beam_size=options.beam_size,
                                          batch_size=1, replace_unk=options.replace_unk)
        self.stderr = stderr
        self.lines = 0

    def __call__(self, sentence: bytes) -> str:
        self.lines += 1
        hypotheses = self.translator.translate([sentence], self.options.nbest or 1)[0]
        if self.options.attention_plot is not None:
            self._plot(sentence, hypotheses[0])
        return format_hypotheses(hypotheses, self.options.nbest is not None)

    def _plot(self, sentence: bytes, best: Hypothesis) -> None:
        def shown(words: tuple[bytes, ...] | list[bytes]) -> list[str]:
            return [w.decode("utf-8", "replace") for w in words]

        alignment = attention_plot.align(
            self.translator.model, self.translator.token_ids(sentence),
            shown(self.translator.codec.source_tokens(sentence)), best.ids, shown(best.tokens))
        path = plot_path(self.options.attention_plot, self.lines)
        attention_plot.save_png(alignment, path,
                                title=sentence.decode("utf-8", "replace").strip())
        print(f"Attention plot of line {self.lines} written to {path}",
              file=self.stderr or sys.stderr)


def run_decode(model: TranslationModel, codec: Codec, options: DecodeOptions,
               stdin: BinaryIO | None = None, stdout: TextIO | None = None,
               stderr: TextIO | None = None) -> None:
    """Runs `--decode` with `options`: the original's loop, the opt-in loop, or a file.

    Args:
      model: the model, restored, forward-only.
      codec: its vocabularies.
      options: the flags.
      stdin, stdout, stderr: streams (default: the process's).

    Raises:
      ValueError: flags that do not go together (or --replace_unk with subwords).
      FileNotFoundError: the input file does not exist.
    """
    options.validate()
    if options.is_original:
        interactive.interactive_decode(model, codec, stdin, stdout)
        return
    if options.input_file is None:
        interactive.interactive_decode(
            model, codec, stdin, stdout,
            translate=LineTranslator(model, codec, options, stderr))
        return
    translator = BatchTranslator(model, codec, beam_size=options.beam_size,
                                 batch_size=options.batch_size,
                                 replace_unk=options.replace_unk)
    report = decode_file(translator, options.input_file, options.output_file, options.nbest)
    print(f"Translated {report.sentences} lines of {options.input_file} into "
          f"{options.output_file} in {report.seconds:.2f} s: "
          f"{report.sentences_per_second:.1f} sentences/s ({translator.method}, batches of "
          f"{options.batch_size}).", file=stderr or sys.stderr)
