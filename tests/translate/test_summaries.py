"""`--tensorboard`: the summaries training writes at each checkpoint."""

from __future__ import annotations

import contextlib
import glob
import io
import math
import os
import re

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import summary_pb2

from translate.hparams import HParams
from translate.infer.codec import WordCodec
from translate.summaries import ATTENTION_TAG, batch_tokens, fixed_dev_pair, source_labels
from translate.train import loop

SCALARS = ["train/loss", "train/perplexity", "train/learning_rate", "train/step_time",
           "train/tokens_per_second", "eval/perplexity_bucket_0", "eval/perplexity_bucket_1"]


def read_events(train_dir: str) -> dict[str, list[tuple[int, summary_pb2.Summary.Value]]]:
    (path,) = glob.glob(os.path.join(train_dir, "events.out.tfevents.*"))
    events: dict[str, list] = {}
    for event in tf.compat.v1.train.summary_iterator(path):
        for value in event.summary.value:
            events.setdefault(value.tag, []).append((event.step, value))
    return events


@pytest.fixture(scope="module")
def trained_with_summaries(tiny_corpus, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("summaries"))
    config = loop.TrainConfig(
        data_dir=os.path.join(root, "data"), train_dir=os.path.join(root, "train"),
        steps_per_checkpoint=5, max_steps=10, progress_bar=False, tensorboard=True,
        **tiny_corpus)
    hparams = HParams(size=16, num_layers=1, from_vocab_size=100, to_vocab_size=100,
                      batch_size=8)
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        loop.train(hparams, config)
    return config.train_dir, log.getvalue()


@pytest.mark.slow
def test_scalars_at_every_checkpoint_match_the_log(trained_with_summaries):
    train_dir, log = trained_with_summaries
    events = read_events(train_dir)
    assert sorted(events) == sorted(SCALARS + [ATTENTION_TAG])
    for tag in SCALARS:
        assert [step for step, _ in events[tag]] == [5, 10], tag
        metadata = events[tag][0][1].metadata
        assert metadata.plugin_data.plugin_name == "scalars"
        assert metadata.data_class == summary_pb2.DATA_CLASS_SCALAR

    def values(tag: str) -> list[float]:
        return [float(tf.make_ndarray(v.tensor)) for _, v in events[tag]]

    logged = re.findall(r"^global step (\d+) learning rate (\S+) step-time (\S+) perplexity "
                        r"(\S+)$", log, flags=re.M)
    assert [int(step) for step, *_ in logged] == [5, 10]
    assert [f"{v:.4f}" for v in values("train/learning_rate")] == [r for _, r, _, _ in logged]
    assert [f"{v:.2f}" for v in values("train/step_time")] == [t for _, _, t, _ in logged]
    assert [f"{v:.2f}" for v in values("train/perplexity")] == [p for *_, p in logged]
    for loss, ppl in zip(values("train/loss"), values("train/perplexity")):
        assert ppl == pytest.approx(math.exp(loss), rel=1e-5)
    eval_logged = re.findall(r"^  eval: bucket (\d) perplexity (\S+)$", log, flags=re.M)
    for bucket in ("0", "1"):
        assert [f"{v:.2f}" for v in values(f"eval/perplexity_bucket_{bucket}")] == [
            p for b, p in eval_logged if b == bucket]
    assert all(v > 0 for v in values("train/tokens_per_second"))


@pytest.mark.slow
def test_attention_image_of_the_fixed_dev_sentence(trained_with_summaries):
    train_dir, _ = trained_with_summaries
    images = read_events(train_dir)[ATTENTION_TAG]
    assert [step for step, _ in images] == [5, 10]
    for _, value in images:
        assert value.metadata.plugin_data.plugin_name == "images"
        width, height, png = tf.make_ndarray(value.tensor).tolist()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        decoded = tf.io.decode_png(png)
        assert decoded.shape[:2] == (int(height), int(width))


@pytest.mark.slow
def test_without_the_flag_train_dir_holds_only_checkpoints(tiny_trained):
    assert not glob.glob(os.path.join(tiny_trained["train_dir"], "events.*"))


def test_batch_tokens_counts_source_and_targets():
    encoder = [np.array([0, 0]), np.array([0, 7]), np.array([5, 6])]  # PAD is 0
    weights = [np.array([1.0, 1.0]), np.array([1.0, 0.0]), np.array([0.0, 0.0])]
    assert batch_tokens(encoder, weights) == 3 + 3


def test_fixed_dev_pair_is_the_first_of_the_fullest_bucket():
    dev_set = [[([1], [2])], [([3, 4], [5]), ([6], [7])], []]
    assert fixed_dev_pair(dev_set) == (1, ([3, 4], [5]))
    with pytest.raises(ValueError, match="the dev set holds no sentence pair"):
        fixed_dev_pair([[], []])


def test_source_labels_of_word_ids():
    codec = WordCodec({b"_PAD": 0, b"chat": 4, "été".encode(): 5}, [b"_PAD"])
    assert source_labels(codec, [4, 5, 0, 9]) == ["chat", "été", "_PAD", ""]
    with pytest.raises(TypeError, match="no source labels for a str"):
        source_labels("not a codec", [4])
