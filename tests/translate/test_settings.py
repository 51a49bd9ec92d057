"""The model remembers its settings: settings.json, settings inferred from a checkpoint's
variables, and how explicit flags meet them (`translate.settings`)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil

import pytest
import tensorflow as tf
from translate_testlib import TF1_CKPT

from legacy_seq2seq.checkpoint_names import tf1_0_name
from translate import model_setup, settings
from translate.hparams import HParams
from translate.models import build_model

GOLDEN_PREFIXES = {"gru2_sampled": "translate.ckpt-3000", "lstm1_full": "translate.ckpt-2000"}
# What the golden checkpoints were trained with (their flags.txt), and what follows from it.
GOLDEN_SETTINGS = {
    "gru2_sampled": {"size": 64, "num_layers": 2, "from_vocab_size": 1500,
                     "to_vocab_size": 1500, "use_lstm": False, "use_fp16": False,
                     "num_samples": 512, "model": "attention_seq2seq",
                     "bidirectional_encoder": False, "optimizer": "sgd", "vocabulary": "word",
                     "output_projection": False, "share_decoder_embeddings": False},
    "lstm1_full": {"size": 32, "num_layers": 1, "from_vocab_size": 500, "to_vocab_size": 500,
                   "use_lstm": True, "use_fp16": False, "num_samples": 0,
                   "model": "attention_seq2seq", "bidirectional_encoder": False,
                   "optimizer": "sgd", "vocabulary": "word", "output_projection": False,
                   "share_decoder_embeddings": False},
}
TINY = HParams(size=8, num_layers=1, from_vocab_size=30, to_vocab_size=20, buckets=((3, 3),))


def golden_train_dir(config: str, tmp_path) -> str:
    """A writable copy of a golden configuration's train directory."""
    target = str(tmp_path / config / "train")
    shutil.copytree(os.path.join(TF1_CKPT, config, "train"), target)
    return target


def save_tiny(hparams: HParams, train_dir: str) -> str:
    """Saves a fresh model of `hparams` as train_dir/translate.ckpt-1; returns the prefix."""
    model = build_model(hparams, forward_only=True)
    return model.saver.save(None, os.path.join(train_dir, "translate.ckpt"), global_step=1)


# ----------------------------------------------------------------------------- settings.json

def test_saved_settings_read_back_equal(tmp_path):
    hparams = HParams(learning_rate=0.001, size=48, num_layers=2, from_vocab_size=900,
                      to_vocab_size=800, use_lstm=True, num_samples=0, optimizer="adam",
                      learning_rate_schedule="rsqrt", warmup_steps=100, dropout=0.2,
                      label_smoothing=0.1, bidirectional_encoder=True, vocabulary="subword",
                      buckets=((4, 6), (9, 12)), model="luong_attention_seq2seq")
    path = settings.save_settings(str(tmp_path / "new_dir"), hparams, normalize_digits=False)
    assert path == str(tmp_path / "new_dir" / "settings.json")
    assert settings.load_settings(str(tmp_path / "new_dir")) == (hparams, False)
    # Human-readable: one field per line, with the format version.
    text = open(path, encoding="utf-8").read()
    assert '\n    "dropout": 0.2,\n' in text
    document = json.loads(text)
    assert document["format_version"] == settings.FORMAT_VERSION
    assert set(document["hparams"]) == set(settings.FIELDS)
    assert os.listdir(tmp_path / "new_dir") == ["settings.json"]


@pytest.mark.parametrize("beam_size", [None, 4])
def test_decoding_beam_size_reads_back(tmp_path, beam_size):
    hparams = HParams(size=16, output_projection=True, beam_size=beam_size)
    settings.save_settings(str(tmp_path), hparams, normalize_digits=True)
    assert settings.load_settings(str(tmp_path)) == (hparams, True)


def test_no_settings_file_is_none(tmp_path):
    assert settings.load_settings(str(tmp_path)) is None


def test_a_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    settings.save_settings(str(tmp_path), TINY, True)

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(settings.json, "dumps", fail)
    with pytest.raises(OSError, match="disk full"):
        settings.save_settings(str(tmp_path), dataclasses.replace(TINY, size=99), False)
    assert settings.load_settings(str(tmp_path)) == (TINY, True)
    assert os.listdir(tmp_path) == ["settings.json"]


def test_unknown_keys_are_ignored_and_missing_fields_take_defaults(tmp_path):
    document = {"format_version": 7, "written_by": "a future release",
                "hparams": {"size": 16, "a_future_field": [1, 2]}, "normalize_digits": False}
    (tmp_path / "settings.json").write_text(json.dumps(document), encoding="utf-8")
    assert settings.load_settings(str(tmp_path)) == (HParams(size=16), False)


@pytest.mark.parametrize("content,problem", [
    ("{\"format_version\": 1, \"hparams\": {", "Expecting"),
    ("[1, 2]", "expected a JSON object"),
    ('{"hparams": {}, "normalize_digits": true}', "format_version must be a positive integer"),
    ('{"format_version": 1, "hparams": {"size": "big"}, "normalize_digits": true}',
     "size must be like 1024, got 'big'"),
    ('{"format_version": 1, "hparams": {"use_lstm": 1}, "normalize_digits": true}',
     "use_lstm must be like False, got 1"),
    ('{"format_version": 1, "hparams": {"num_layers": 0}, "normalize_digits": true}',
     "num_layers must be at least 1"),
    ('{"format_version": 1, "hparams": {}}', "normalize_digits must be true or false"),
    (b"\xff\xfe", "can't decode"),
])
def test_a_damaged_settings_file_is_one_clear_error(tmp_path, content, problem):
    path = tmp_path / "settings.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError) as error:
        settings.load_settings(str(tmp_path))
    message = str(error.value)
    assert message.startswith(f"settings file {path} is damaged (")
    assert problem in message
    assert message.endswith("delete it to give the model's flags yourself")
    assert "\n" not in message


# ------------------------------------------------------------------- settings from variables

@pytest.mark.parametrize("config", sorted(GOLDEN_SETTINGS))
def test_settings_inferred_from_the_tf1_15_checkpoints(config):
    prefix = os.path.join(TF1_CKPT, config, "train", GOLDEN_PREFIXES[config])
    assert settings.infer_settings(prefix) == GOLDEN_SETTINGS[config]


@pytest.mark.parametrize("config", sorted(GOLDEN_SETTINGS))
def test_settings_inferred_from_tf1_0_names(tmp_path, config):
    train_dir = golden_train_dir(config, tmp_path)
    prefix = os.path.join(train_dir, GOLDEN_PREFIXES[config])
    reader = tf.train.load_checkpoint(prefix)
    names = sorted(reader.get_variable_to_shape_map())
    values = [reader.get_tensor(name) for name in names]
    for path in tf.io.gfile.glob(prefix + ".*"):
        os.remove(path)
    renamed = [tf1_0_name(name) for name in names]
    assert renamed != names
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=renamed, shape_and_slices=[""] * len(names),
                      tensors=values)
    assert settings.infer_settings(prefix) == GOLDEN_SETTINGS[config]


@pytest.mark.parametrize("hparams", [
    dataclasses.replace(TINY, num_layers=2, use_lstm=True, num_samples=8, use_fp16=True,
                        optimizer="adam", model="luong_attention_seq2seq"),
    dataclasses.replace(TINY, optimizer="adagrad", bidirectional_encoder=True, num_samples=0),
    dataclasses.replace(TINY, num_samples=8, share_decoder_embeddings=True),
], ids=["lstm2-sampled-fp16-adam-luong", "gru1-full-adagrad-bidirectional",
        "gru-sampled-shared-embeddings"])
def test_settings_inferred_from_our_checkpoints(tmp_path, hparams):
    prefix = save_tiny(hparams, str(tmp_path))
    inferred = settings.infer_settings(prefix)
    shaping = {name: getattr(hparams, name) for name in settings.SHAPING_FIELDS}
    # The variables tell sampled softmax, not how many classes it drew.
    assert (0 < inferred.pop("num_samples") < hparams.to_vocab_size) == (
        0 < shaping.pop("num_samples") < hparams.to_vocab_size)
    assert inferred == shaping


def test_subword_vocabulary_is_told_by_the_model_files_beside_the_checkpoint(tmp_path):
    prefix = save_tiny(TINY, str(tmp_path))
    for side, size in (("from", 30), ("to", 20)):
        (tmp_path / f"spm{size}.{side}.model").write_bytes(b"model")
    assert settings.infer_settings(prefix)["vocabulary"] == "subword"
    os.remove(tmp_path / "spm20.to.model")
    assert settings.infer_settings(prefix)["vocabulary"] == "word"


def test_a_checkpoint_of_something_else_tells_nothing(tmp_path):
    prefix = str(tmp_path / "other.ckpt")
    tf.raw_ops.SaveV2(prefix=prefix, tensor_names=["dense/kernel", "dense/bias"],
                      shape_and_slices=["", ""], tensors=[tf.zeros([3, 4]), tf.zeros([4])])
    assert settings.infer_settings(prefix) == {}


# ----------------------------------------------------------------------------- resolution

def resolve(train_dir: str, explicit: dict | None = None, defaults: dict | None = None,
            checkpoint_path: str | None = None) -> tuple[HParams, bool]:
    """`resolve_settings` as the command line calls it: the flags' defaults, some of them
    given explicitly."""
    flag_values = {name: getattr(HParams(), name) for name in settings.FIELDS
                   if name != "buckets"}
    flag_values["normalize_digits"] = True
    flag_values.update(defaults or {})
    flag_values.update(explicit or {})
    return settings.resolve_settings(flag_values, set(explicit or {}), train_dir,
                                     checkpoint_path)


def test_without_a_checkpoint_the_flags_decide(tmp_path):
    # A settings.json alone (training stopped before its first checkpoint) is not a model.
    settings.save_settings(str(tmp_path), dataclasses.replace(TINY, size=16), False)
    hparams, normalize_digits = resolve(str(tmp_path), {"size": 12}, {"num_layers": 2})
    assert hparams == HParams(size=12, num_layers=2)
    assert normalize_digits is True


@pytest.mark.parametrize("config", sorted(GOLDEN_SETTINGS))
def test_a_tf1_checkpoint_needs_no_size_flags(config, tmp_path):
    train_dir = golden_train_dir(config, tmp_path)
    hparams, normalize_digits = resolve(train_dir)
    expected = dict(GOLDEN_SETTINGS[config])
    # The flags' num_samples (512) stays where it selects the same softmax.
    expected["num_samples"] = 512
    assert {name: getattr(hparams, name) for name in expected} == expected
    assert normalize_digits is True
    # The inferred settings build a model that restores every variable.
    model = model_setup.create_model(hparams, train_dir, forward_only=True)
    assert int(model.global_step.numpy()) == int(GOLDEN_PREFIXES[config].rsplit("-", 1)[1])
    assert model.use_sampled_softmax == (config == "gru2_sampled")


def test_the_flags_own_sampled_count_is_kept_for_a_tf1_checkpoint(tmp_path):
    train_dir = golden_train_dir("gru2_sampled", tmp_path)
    assert resolve(train_dir, defaults={"num_samples": 256})[0].num_samples == 256
    # A recipe's full softmax cannot build the checkpoint's proj_w: the checkpoint wins.
    assert resolve(train_dir, defaults={"num_samples": 0})[0].num_samples == 512


@pytest.mark.parametrize("explicit,message", [
    ({"size": 32}, "--size=32 contradicts the checkpoint in {d} (trained with --size=64): "
                   "drop --size or pass --size=64"),
    ({"num_layers": 3}, "--num_layers=3 contradicts the checkpoint in {d} (trained with "
                        "--num_layers=2): drop --num_layers or pass --num_layers=2"),
    ({"use_lstm": True}, "--use_lstm contradicts the checkpoint in {d} (trained with "
                         "--nouse_lstm): drop --use_lstm or pass --nouse_lstm"),
    ({"to_vocab_size": 1000}, "--to_vocab_size=1000 contradicts the checkpoint in {d} "
                              "(trained with --to_vocab_size=1500): drop --to_vocab_size or "
                              "pass --to_vocab_size=1500"),
    ({"model": "luong_attention_seq2seq"},
     "--model=luong_attention_seq2seq contradicts the checkpoint in {d} (trained with "
     "--model=attention_seq2seq): drop --model or pass --model=attention_seq2seq"),
    ({"optimizer": "adam"}, "--optimizer=adam contradicts the checkpoint in {d} (trained with "
                            "--optimizer=sgd): drop --optimizer or pass --optimizer=sgd"),
    ({"num_samples": 0}, "--num_samples=0 contradicts the checkpoint in {d} (trained with "
                         "sampled softmax, 0 < --num_samples < --to_vocab_size=1500): drop "
                         "--num_samples or pass --num_samples=512"),
])
def test_a_contradicting_flag_is_one_short_error(tmp_path, explicit, message):
    train_dir = golden_train_dir("gru2_sampled", tmp_path)
    with pytest.raises(ValueError) as error:
        resolve(train_dir, explicit)
    assert str(error.value) == message.format(d=train_dir)


def test_flags_that_agree_or_do_not_shape_the_variables_apply(tmp_path):
    train_dir = golden_train_dir("gru2_sampled", tmp_path)
    hparams, normalize_digits = resolve(
        train_dir, {"size": 64, "use_lstm": False, "num_samples": 100, "learning_rate": 0.1,
                    "batch_size": 7, "dropout": 0.3, "normalize_digits": False})
    assert (hparams.size, hparams.use_lstm, hparams.num_samples) == (64, False, 100)
    assert (hparams.learning_rate, hparams.batch_size, hparams.dropout) == (0.1, 7, 0.3)
    assert normalize_digits is False


def test_settings_json_restores_every_field(tmp_path):
    trained = dataclasses.replace(TINY, learning_rate=0.002, optimizer="adam", dropout=0.25,
                                  num_samples=0, learning_rate_schedule="linear")
    save_tiny(trained, str(tmp_path))
    settings.save_settings(str(tmp_path), trained, normalize_digits=False)
    # The recipe's (not explicit) values give way; explicit non-shaping flags apply.
    hparams, normalize_digits = resolve(str(tmp_path), {"learning_rate": 0.5},
                                        defaults={"dropout": 0.1, "size": 1024})
    assert hparams == dataclasses.replace(trained, learning_rate=0.5)
    assert normalize_digits is False
    assert resolve(str(tmp_path), {"normalize_digits": True})[1] is True
    model = model_setup.create_model(hparams, str(tmp_path), forward_only=True)
    assert model.optimizer.name == "adam"


def test_settings_json_wins_over_the_variables(tmp_path):
    # settings.json knows what the variables cannot: the sampled count, the digits.
    trained = dataclasses.replace(TINY, num_samples=5)
    save_tiny(trained, str(tmp_path))
    settings.save_settings(str(tmp_path), trained, normalize_digits=False)
    hparams, normalize_digits = resolve(str(tmp_path))
    assert (hparams.num_samples, normalize_digits) == (5, False)
    with pytest.raises(ValueError, match=r"^--num_samples=0 contradicts .* \(trained with "
                                         r"sampled softmax, 0 < --num_samples < "
                                         r"--to_vocab_size=20\): drop --num_samples or pass "
                                         r"--num_samples=5$"):
        resolve(str(tmp_path), {"num_samples": 0})


def test_checkpoint_path_reads_the_settings_of_its_own_directory(tmp_path):
    best = str(tmp_path / "train" / "best")
    prefix = save_tiny(TINY, best)
    settings.save_settings(best, TINY, normalize_digits=False)
    hparams, normalize_digits = resolve(str(tmp_path / "train"), checkpoint_path=prefix)
    assert (hparams, normalize_digits) == (TINY, False)


def test_a_damaged_settings_file_beside_the_checkpoint_is_reported(tmp_path):
    save_tiny(TINY, str(tmp_path))
    (tmp_path / "settings.json").write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^settings file .*settings\.json is damaged"):
        resolve(str(tmp_path))


def test_a_damaged_checkpoint_is_left_to_restoring(tmp_path):
    # Restoring names the damaged file; resolution only keeps the flags.
    save_tiny(TINY, str(tmp_path))
    (tmp_path / "checkpoint").write_text("garbage {", encoding="utf-8")
    assert resolve(str(tmp_path), defaults={"size": 12})[0].size == 12
    os.remove(tmp_path / "checkpoint")
    save_tiny(TINY, str(tmp_path))
    with open(tmp_path / "translate.ckpt-1.index", "wb") as f:
        f.write(b"not an index")
    assert resolve(str(tmp_path), defaults={"size": 12})[0].size == 12
