"""`--export_format tflite|onnx`: the decoding loop inside one model file that LiteRT or ONNX
Runtime runs alone, translating exactly as `--decode` does; `--exported_model` runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import tensorflow as tf
from features_testlib import golden_answers, golden_inputs, golden_model, load_demo_model
from translate_testlib import REPO, copy_golden, read_flags, run_cli

from translate.infer import runtime
from translate.infer.batch import BatchTranslator
from translate.infer.codec import output_text
from translate.infer.export import export_model
from translate.infer.runtime import read_sentences

pytest.importorskip("ai_edge_litert")
pytest.importorskip("onnxruntime")
pytest.importorskip("tf2onnx")

FORMATS = ["tflite", "onnx"]

# Runs translate.infer.runtime.main(argv[1:]) with TensorFlow and Keras made unimportable:
# what a machine with only numpy and the model's runtime has.
RUNTIME_ONLY = r"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("tensorflow", "keras", "tf_keras", "tf2onnx"):
            raise ImportError("not installed on a runtime-only machine: " + name)
sys.meta_path.insert(0, Block())
sys.path.insert(0, REPO)
from translate.infer import runtime
status = runtime.main(sys.argv[1:])
assert not any(m.split(".")[0] == "tensorflow" for m in sys.modules)
sys.exit(status)
"""


def run_runtime_only(args: list[str], cwd: str, stdin: bytes | None = None
                     ) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = RUNTIME_ONLY.replace("REPO", repr(REPO))
    return subprocess.run([sys.executable, "-I", "-c", code, *args], cwd=cwd, input=stdin,
                          capture_output=True, timeout=300, env=env)


@pytest.mark.slow
@pytest.mark.parametrize("export_format", FORMATS)
def test_golden_checkpoint_exports_translate_as_the_original(export_format, tmp_path):
    directory = copy_golden("gru2_sampled", str(tmp_path))
    proc = run_cli(["--export_dir=exported", f"--export_format={export_format}",
                    "--data_dir=data", "--train_dir=train", *read_flags(directory)],
                   cwd=directory)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    model_file = os.path.join("exported", f"model.{export_format}")
    assert sorted(os.listdir(os.path.join(directory, "exported"))) == sorted(
        [f"model.{export_format}", runtime.METADATA_FILE])
    # All 48 lines the original decoded: every bucket, empty lines, unknown words, truncation.
    with open(os.path.join(directory, "in.txt"), "wb") as f:
        f.write(b"\n".join(golden_inputs("gru2_sampled")) + b"\n")
    proc = run_runtime_only(["--decode", f"--exported_model={model_file}",
                             "--input_file=in.txt", "--output_file=out.txt"], cwd=directory)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    with open(os.path.join(directory, "out.txt"), encoding="utf-8") as f:
        assert f.read().split("\n")[:-1] == golden_answers("gru2_sampled")
    # The interactive loop prints what the original's does after its first line.
    proc = run_runtime_only(["--decode", f"--exported_model={model_file}"], cwd=directory,
                            stdin=b"\n".join(golden_inputs("gru2_sampled")[:5]) + b"\n")
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    expected = "".join(f"> {answer}\n" for answer in golden_answers("gru2_sampled")[:5])
    assert proc.stdout.decode("utf-8") == expected + "> "


@pytest.mark.slow
def test_python_m_translate_decodes_with_an_exported_model(tmp_path):
    loaded = golden_model("lstm1_full")
    export_dir = str(tmp_path / "exported")
    export_model(loaded.model, loaded.codec, export_dir,
                 "tflite")
    (tmp_path / "in.txt").write_bytes(b"\n".join(golden_inputs("lstm1_full")) + b"\n")
    proc = run_cli(["--decode", f"--exported_model={export_dir}/model.tflite",
                    "--input_file=in.txt", "--output_file=out.txt"], cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    assert (tmp_path / "out.txt").read_text("utf-8").split("\n")[:-1] == \
        golden_answers("lstm1_full")


@pytest.mark.parametrize("export_format", ["savedmodel", *FORMATS])
def test_exported_lstm_model_translates_tricky_lines_as_decode(export_format, tmp_path):
    from test_export import TRICKY

    from translate.infer.interactive import translate_line

    loaded = golden_model("lstm1_full")
    export_dir = str(tmp_path / "exported")
    export_model(loaded.model, loaded.codec, export_dir,
                 export_format)
    translator = runtime.load_exported(export_dir if export_format == "savedmodel" else
                                       os.path.join(export_dir, f"model.{export_format}"))
    lines = golden_inputs("lstm1_full") + TRICKY
    expected = [translate_line(loaded.model, line, loaded.codec) for line in lines]
    assert [translator.translate(line) for line in lines] == expected


@pytest.mark.slow
@pytest.mark.parametrize("export_format", FORMATS)
def test_exported_beam_search_matches_decode(export_format, trained_demo, tmp_path):
    loaded = load_demo_model(trained_demo)
    export_dir = str(tmp_path / "beam4")
    export_model(loaded.model, loaded.codec, export_dir,
                 export_format, beam_size=4)
    sentences = read_sentences(trained_demo["dev_source"])[:40] + [
        b"", b"the first of May nineteen ninety", b"zzz unknown words"]
    expected = [h[0].text for h in BatchTranslator(
        loaded.model, loaded.codec, beam_size=4).translate(sentences)]
    translator = runtime.load_exported(os.path.join(export_dir, f"model.{export_format}"))
    assert translator.beam_size == 4
    assert [translator.translate(s) for s in sentences] == expected


def test_runtime_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        runtime.load_exported(str(tmp_path / "model.tflite"))
    (tmp_path / "model.onnx").write_bytes(b"not used")
    with pytest.raises(FileNotFoundError, match="translate.json is missing"):
        runtime.load_exported(str(tmp_path / "model.onnx"))
    (tmp_path / runtime.METADATA_FILE).write_text(json.dumps({"format": "tflite"}))
    with pytest.raises(ValueError, match="not a valid export description"):
        runtime.load_exported(str(tmp_path / "model.onnx"))
    (tmp_path / runtime.METADATA_FILE).write_text(json.dumps({
        "format": "tflite", "normalize_digits": True, "beam_size": 1,
        "source_vocabulary": [], "target_vocabulary": []}))
    with pytest.raises(ValueError, match="describes a tflite model"):
        runtime.load_exported(str(tmp_path / "model.onnx"))
    with pytest.raises(FileNotFoundError, match="without saved_model.pb"):
        runtime.load_exported(str(tmp_path))


def test_runtime_command_line_reports_errors_in_one_line(tmp_path):
    proc = run_runtime_only(["--decode", "--exported_model=missing.tflite"], cwd=str(tmp_path))
    assert proc.returncode == 1
    assert proc.stderr.decode().strip() == "error: exported model missing.tflite does not exist"
    proc = run_runtime_only(["--exported_model=m.tflite", "--input_file=x"], cwd=str(tmp_path))
    assert proc.returncode == 2
    assert "--input_file and --output_file go together" in proc.stderr.decode()


def test_export_refuses_unknown_format_and_existing_directory(tmp_path):
    loaded = golden_model("lstm1_full")
    with pytest.raises(ValueError, match="export format must be one of"):
        export_model(loaded.model, loaded.codec, str(tmp_path / "x"), "coreml")
    (tmp_path / "taken").mkdir()
    with pytest.raises(FileExistsError, match="already exists"):
        export_model(loaded.model, loaded.codec, str(tmp_path / "taken"), "tflite")


def test_output_text_is_the_originals():
    vocabulary = [b"_PAD", b"_GO", b"_EOS", b"_UNK", b"le", b"\xff"]
    assert output_text(vocabulary, [4, 5, 9, 2, 4]) == "le \ufffd _UNK"
    assert output_text(vocabulary, [2, 4]) == ""


@pytest.mark.slow
@pytest.mark.parametrize("export_format", FORMATS)
def test_subword_export_round_trip(export_format, tmp_path):
    from data_utils import subwords
    from translate.hparams import BUCKETS
    from translate.infer.codec import SubwordCodec
    from translate.seq2seq_model import Seq2SeqModel

    pytest.importorskip("sentencepiece")
    lines = [f"le chat noir numéro {i} mange {i * 7} souris grises" for i in range(300)]
    corpus = tmp_path / "train.fr"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    subwords.train_subword_model(str(corpus), str(tmp_path / "spm.model"), 300)
    vocabulary = subwords.SubwordVocabulary(str(tmp_path / "spm.model"))
    codec = SubwordCodec(vocabulary, vocabulary)
    tf.random.set_seed(3)
    model = Seq2SeqModel(300, 300, BUCKETS, 16, 1, 5.0, 1, 0.5, 0.99, forward_only=True)
    export_dir = str(tmp_path / "exported")
    export_model(model, codec, export_dir, export_format)
    assert sorted(os.listdir(export_dir)) == sorted(
        [f"model.{export_format}", runtime.METADATA_FILE, "source.model", "target.model"])
    with open(os.path.join(export_dir, runtime.METADATA_FILE), encoding="utf-8") as f:
        assert json.load(f)["vocabulary"] == "subword"
    # The corpus model moved away: the export reads its own copies.
    os.remove(tmp_path / "spm.model")
    translator = runtime.load_exported(os.path.join(export_dir, f"model.{export_format}"))
    sentences = [line.encode() for line in lines[:6]] + [b"", "été 42 °C".encode()]
    expected = [h[0].text for h in BatchTranslator(model, codec).translate(sentences)]
    outputs = [translator.translate(s) for s in sentences]
    assert outputs == expected
    # Detokenized text: the decode of the output ids, not pieces joined by spaces.
    ids = [list(h[0].ids) for h in BatchTranslator(model, codec).translate(sentences)]
    assert outputs == [vocabulary.decode(i) for i in ids]
    assert any(ids) and not any("\u2581" in text for text in outputs)
