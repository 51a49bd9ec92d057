"""`--export_dir`: the SavedModel translates strings in a fresh process with only TensorFlow,
giving what `--decode` prints."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import tensorflow as tf
from features_testlib import (
    golden_answers,
    golden_inputs,
    golden_model,
    load_demo_model,
)
from translate_testlib import copy_golden, read_flags, run_cli

from data_utils.tokenizer import normalized_tokens
from translate import batching
from translate.infer.batch import BatchTranslator
from translate.infer.codec import WordCodec
from translate.infer.export import Translator, bucket_ids, export_saved_model
from translate.infer.runtime import read_sentences

# Loads the SavedModel with the project's packages made unimportable, translates the lines
# of argv[2] in one batch, writes them to argv[3]; argv[4] "serve" uses the signature.
LOADER = r"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("translate", "legacy_seq2seq", "data_utils"):
            raise ImportError("project code imported: " + name)
sys.meta_path.insert(0, Block())
import tensorflow as tf
model = tf.saved_model.load(sys.argv[1])
with open(sys.argv[2], "rb") as f:
    lines = f.read().split(b"\n")
sentences = tf.constant(lines, tf.string)
if sys.argv[4] == "serve":
    out = model.signatures["serving_default"](sentences=sentences)["translations"]
else:
    out = model.translate(sentences)
with open(sys.argv[3], "wb") as f:
    f.write(b"\n".join(out.numpy().tolist()))
"""

TRICKY = [b"", b"   ", b"a\tb\x0bc\x0cd\re\nf", b"He said \"hi\"(ok);x:y?!", b"l'homme.",
          "Café, crème brûlée et œufs !".encode(), "no\u00a0break space".encode(),
          b"I have 3 cats and 12 dogs, 1.5 kg.", b"\xff\xfe broken \x80 utf-8 (1)",
          b"--- ... ,,, 42nd 2021"]


def run_loader(export_dir: str, lines: list[bytes], tmp_path, how: str = "translate"
               ) -> list[str]:
    source, target = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_bytes(b"\n".join(lines))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    proc = subprocess.run([sys.executable, "-I", "-c", LOADER, export_dir, str(source),
                           str(target), how], cwd=str(tmp_path), env=env,
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    return target.read_bytes().decode("utf-8").split("\n")


@pytest.fixture(scope="module")
def golden_translator():
    loaded = golden_model("lstm1_full")
    return Translator(loaded.model, loaded.codec)


@pytest.mark.parametrize("normalize_digits", [True, False])
def test_graph_tokenizer_is_the_tutorials(normalize_digits):
    loaded = golden_model("lstm1_full")
    translator = Translator(loaded.model, WordCodec(loaded.source_vocab, loaded.rev_target_vocab,
                                                    normalize_digits))
    sentences = golden_inputs("gru2_sampled") + TRICKY
    tokens = translator.tokenize(sentences).to_list()
    assert tokens == [normalized_tokens(s, normalize_digits=normalize_digits)
                      for s in sentences]


def test_graph_buckets_are_decodes(golden_translator):
    lengths = list(range(0, 60))
    buckets = golden_translator.buckets
    got = bucket_ids(tf.constant(lengths, tf.int64), buckets).numpy().tolist()
    assert got == [batching.bucket_for_sentence(n, buckets)[0] for n in lengths]


@pytest.mark.slow
def test_exported_golden_model_translates_as_the_original_in_a_fresh_process(tmp_path):
    directory = copy_golden("gru2_sampled", str(tmp_path))
    proc = run_cli(["--export_dir=exported", "--data_dir=data", "--train_dir=train",
                    *read_flags(directory)], cwd=directory)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    assert proc.stdout.decode().endswith("SavedModel (greedy) written to exported\n")
    export_dir = os.path.join(directory, "exported")
    assert sorted(os.listdir(directory)) == sorted(
        ["data", "train", "exported", "decode_input.txt", "decode_stdout.txt",
         "decode_stderr.txt", "decode_top_logits.npz", "flags.txt", "train_stdout.txt"])
    # All 48 lines in one batch: every bucket, empty lines, unknown words, truncation.
    assert run_loader(export_dir, golden_inputs("gru2_sampled"), tmp_path) == \
        golden_answers("gru2_sampled")


@pytest.mark.slow
def test_exported_beam_search_matches_decode(trained_demo, tmp_path):
    loaded = load_demo_model(trained_demo)
    export_dir = str(tmp_path / "beam4")
    export_saved_model(loaded.model, loaded.codec, export_dir,
                       beam_size=4)
    sentences = read_sentences(trained_demo["dev_source"])[:60] + [
        b"", b"the first of May nineteen ninety", b"zzz unknown words"]
    translator = BatchTranslator(loaded.model, loaded.codec, beam_size=4)
    expected = [h[0].text for h in translator.translate(sentences)]
    # Through the serving signature; no sentence is long enough for buckets 2 and 3, whose
    # sub-batches are empty.
    assert run_loader(export_dir, sentences, tmp_path, "serve") == expected


def test_export_refuses_bad_beam_and_existing_directory(tmp_path):
    loaded = golden_model("lstm1_full")
    with pytest.raises(ValueError, match="beam size must be between 1 and"):
        Translator(loaded.model, loaded.codec, beam_size=0)
    (tmp_path / "taken").mkdir()
    with pytest.raises(FileExistsError, match="already exists"):
        export_saved_model(loaded.model, loaded.codec, str(tmp_path / "taken"))


def test_saved_model_refuses_subword_vocabularies(tmp_path):
    pytest.importorskip("sentencepiece")
    from data_utils import subwords
    from translate.infer.codec import SubwordCodec

    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(f"le chat noir numéro {i}" for i in range(300)) + "\n",
                      encoding="utf-8")
    subwords.train_subword_model(str(corpus), str(tmp_path / "m.model"), 290)
    vocabulary = subwords.SubwordVocabulary(str(tmp_path / "m.model"))
    loaded = golden_model("lstm1_full")
    with pytest.raises(ValueError, match=r"SavedModel export takes word vocabularies only .* "
                                         r"export with --export_format tflite or "
                                         r"--export_format onnx"):
        export_saved_model(loaded.model, SubwordCodec(vocabulary, vocabulary),
                           str(tmp_path / "exported"))
    assert not (tmp_path / "exported").exists()
