"""Translating with an exported model through its own runtime: no TensorFlow needed.

    python -m translate --decode --exported_model exported/model.tflite            # "> " loop
    python -m translate --decode --exported_model exported/model.onnx \\
        --input_file in.en --output_file out.fr

`--export_dir D --export_format tflite|onnx` (`translate.infer.export`) writes `D/model.tflite`
or `D/model.onnx` and, beside it, `D/translate.json`: the vocabularies (word vocabularies in
the file; subword models as `D/source.model` and `D/target.model`) and the settings the text
handling needs. The model file holds the rest of `--decode`: the bucket choice, the padded and
reversed encoder input, and the decoding loop (greedy, or beam search when exported with
--beam_size). Here the sentence is turned into ids as `--decode` does, by the model's codec
(`translate.infer.codec`), the runtime runs the model, and the output ids become the text
`--decode` prints, so the translations are `--decode`'s, line for line. A SavedModel
directory works too (with TensorFlow as its runtime).

This module imports only numpy and the chosen runtime (`ai-edge-litert` for TFLite,
`onnxruntime` for ONNX), plus SentencePiece for a subword export, so a word export runs where
those alone are installed.

  load_exported        an exported model (SavedModel directory, .tflite or .onnx file)
  ExportedTranslator   sentence (bytes) -> translation (str), as `--decode` prints it
  prompt_loop          the original's interactive loop ("> ", a line, its translation)
  read_sentences       the lines of a file, as `--decode` reads them
  wants_exported_model whether a command line is for this module
  main                 the command line above
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO, TextIO

import numpy as np

from translate.infer.codec import codec_from_metadata

METADATA_FILE = "translate.json"
FORMATS = ("savedmodel", "tflite", "onnx")
# Names of the exported function's input and outputs, shared with `translate.infer.export`.
INPUT_NAME = "source_ids"
OUTPUT_NAMES = ("tokens", "length")


def prompt_loop(translate: Callable[[bytes], str], stdin: BinaryIO | None = None,
                stdout: TextIO | None = None) -> int:
    """The original's loop: prompt "> ", read a line, print its translation, until EOF.

    Args:
      translate: a line read (bytes, with its newline) -> what to print for it.
      stdin: binary stream to read lines from (default: sys.stdin's buffer); read as bytes so
        that any input, valid UTF-8 or not, gets an answer.
      stdout: text stream to write to (default: sys.stdout).

    Returns:
      The number of lines translated.
    """
    stdin = stdin if stdin is not None else sys.stdin.buffer
    stdout = stdout if stdout is not None else sys.stdout
    stdout.write("> ")
    stdout.flush()
    count = 0
    sentence = stdin.readline()
    while sentence:
        stdout.write(translate(sentence) + "\n")
        stdout.write("> ")
        stdout.flush()
        count += 1
        sentence = stdin.readline()
    return count


class ExportedTranslator:
    """An exported model and its vocabularies: sentence in, `--decode`'s translation out.

    Args:
      model_path: the `.tflite` or `.onnx` file, with `translate.json` beside it.

    Raises:
      FileNotFoundError: the model, `translate.json` or a subword model it names is missing.
      ValueError: `translate.json` is malformed or describes another file format.
      ImportError: the runtime of the format (or SentencePiece, for a subword export) is not
        installed (the message names it).
    """

    def __init__(self, model_path: str):
        if not os.path.isfile(model_path):
            raise FileNotFoundError(f"exported model {model_path} does not exist")
        metadata_path = os.path.join(os.path.dirname(os.path.abspath(model_path)),
                                     METADATA_FILE)
        if not os.path.isfile(metadata_path):
            raise FileNotFoundError(
                f"{metadata_path} is missing: it holds the vocabularies of {model_path}; "
                "export again with --export_dir and keep the directory's files together")
        try:
            with open(metadata_path, encoding="utf-8") as f:
                metadata = json.load(f)
            self.format = metadata["format"]
            self.beam_size = int(metadata["beam_size"])
            self.codec = codec_from_metadata(metadata, os.path.dirname(metadata_path))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"{metadata_path} is not a valid export description ({error!r}); "
                             "export the model again") from None
        extension = os.path.splitext(model_path)[1].lstrip(".")
        if extension != self.format:
            raise ValueError(f"{metadata_path} describes a {self.format} model, not "
                             f"{model_path}")
        self._run = _runner(self.format, model_path)

    def translate(self, sentence: bytes) -> str:
        """The translation of one source line (bytes, newline optional), as `--decode`."""
        ids = self.codec.encode(sentence)
        if self.codec.translates_to_nothing(sentence, ids):
            return ""
        tokens, length = self._run(np.asarray(ids, dtype=np.int32))
        return self.codec.decode(tokens[:int(length)])


class _SavedModelTranslator:
    """A `--export_dir` SavedModel (strings in, strings out), run by TensorFlow."""

    def __init__(self, path: str):
        try:
            import tensorflow as tf
        except ImportError as error:
            raise ImportError("a SavedModel needs TensorFlow to run: pip install tensorflow; "
                              "or export with --export_format tflite|onnx") from error
        # The loaded object owns the variables its functions read: keep it, not just them.
        self._module = tf.saved_model.load(path)
        self._tf = tf

    def translate(self, sentence: bytes) -> str:
        result = self._module.translate(self._tf.constant([sentence.rstrip(b"\n")]))
        return result.numpy()[0].decode("utf-8", "replace")


def _runner(model_format: str, path: str) -> Callable[[np.ndarray], tuple[np.ndarray, Any]]:
    """A function from source ids int32 [n] to (output tokens int32 [max], length)."""
    if model_format == "tflite":
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as error:
            raise ImportError("a .tflite model needs the LiteRT runtime: "
                              "pip install ai-edge-litert") from error
        signature = Interpreter(model_path=path).get_signature_runner()

        def run_tflite(ids: np.ndarray) -> tuple[np.ndarray, Any]:
            outputs = signature(**{INPUT_NAME: ids})
            return tuple(outputs[name] for name in OUTPUT_NAMES)

        return run_tflite
    if model_format == "onnx":
        try:
            import onnxruntime
        except ImportError as error:
            raise ImportError("a .onnx model needs ONNX Runtime: pip install onnxruntime") \
                from error
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])

        def run_onnx(ids: np.ndarray) -> tuple[np.ndarray, Any]:
            return tuple(session.run(list(OUTPUT_NAMES), {INPUT_NAME: ids}))

        return run_onnx
    raise ValueError(f"unknown export format {model_format!r}; expected one of {FORMATS}")


def load_exported(path: str) -> ExportedTranslator | _SavedModelTranslator:
    """The translator of an exported model.

    Args:
      path: a SavedModel directory (`--export_format savedmodel`), or a `.tflite` or `.onnx`
        file with `translate.json` beside it.

    Returns:
      An object whose `translate(sentence: bytes) -> str` gives `--decode`'s translation.

    Raises:
      FileNotFoundError, ValueError, ImportError: see `ExportedTranslator`.
    """
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, "saved_model.pb")):
            raise FileNotFoundError(
                f"{path} is a directory without saved_model.pb; for a TFLite or ONNX export "
                f"pass the model file itself (e.g. {os.path.join(path, 'model.tflite')})")
        return _SavedModelTranslator(path)
    return ExportedTranslator(path)


def read_sentences(path: str) -> list[bytes]:
    """The lines of a text file as bytes, split on "\\n" only (as `--decode` reads stdin).

    Raises:
      FileNotFoundError: no such file (named).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"input file {path} does not exist")
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def _write_atomically(path: str, data: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = os.path.join(directory, f".{os.path.basename(path)}.tmp-{uuid.uuid4().hex}")
    try:
        with open(temporary, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def wants_exported_model(argv: Sequence[str]) -> bool:
    """Whether a `translate` command line (program name first) names --exported_model.

    The command line checks this before importing TensorFlow, so that decoding with an
    exported model runs where only its runtime is installed.
    """
    return any(arg == "--exported_model" or arg.startswith("--exported_model=")
               for arg in argv[1:])


def main(argv: Sequence[str]) -> int:
    """`--decode --exported_model PATH [--input_file X --output_file Y]`; returns the status."""
    parser = argparse.ArgumentParser(
        prog="python -m translate --decode --exported_model",
        description="Translate with an exported model through its runtime alone.")
    parser.add_argument("--decode", action="store_true", help="accepted for symmetry")
    parser.add_argument("--exported_model", required=True,
                        help="SavedModel directory, or .tflite / .onnx file")
    parser.add_argument("--input_file", help="source sentences, one per line")
    parser.add_argument("--output_file", help="translations, one per line (with --input_file)")
    args, others = parser.parse_known_args(argv)
    if others:
        parser.error(f"{' '.join(others)}: not used with --exported_model, whose export holds "
                     "the vocabularies and settings; leave them out")
    if bool(args.input_file) != bool(args.output_file):
        parser.error("--input_file and --output_file go together")
    try:
        translator = load_exported(args.exported_model)
        if args.input_file:
            lines = read_sentences(args.input_file)
            text = "".join(translator.translate(line) + "\n" for line in lines)
            _write_atomically(args.output_file, text.encode("utf-8"))
            print(f"Translated {len(lines)} lines of {args.input_file} into "
                  f"{args.output_file}", file=sys.stderr)
        else:
            prompt_loop(translator.translate)
    except (FileNotFoundError, ValueError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
