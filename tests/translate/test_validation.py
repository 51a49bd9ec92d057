"""Validation during training: best tracking, patience, best/, averaging, the time budget."""

from __future__ import annotations

import contextlib
import glob
import io
import json
import os
import re

import numpy as np
import pytest
import tensorflow as tf

from translate import batching, checkpoints
from translate.hparams import HParams
from translate.settings import load_settings
from translate.train import loop, nan_policy, validation
from translate.train.validation import BestTracker

TINY = HParams(size=16, num_layers=1, from_vocab_size=100, to_vocab_size=100, batch_size=8)


# ------------------------------------------------------------------- pure logic, no model

def test_best_tracker_on_a_scripted_sequence_of_scores():
    tracker = BestTracker(patience=2)
    outcomes = []
    for step, score in zip(range(100, 800, 100), [10.0, 12.0, 11.0, 12.0, 13.0, 9.0, 13.0]):
        outcomes.append((tracker.record(step, score), tracker.should_stop))
    # A tie (12.0 at step 400, 13.0 at step 700) is no improvement: the earlier one stays.
    assert outcomes == [(True, False), (True, False), (False, False), (False, True),
                        (True, False), (False, False), (False, True)]
    assert (tracker.best_score, tracker.best_step) == (13.0, 500)


def test_best_tracker_without_patience_never_stops():
    tracker = BestTracker()
    for step in range(1, 20):
        tracker.record(step, 5.0 - step)
    assert not tracker.should_stop and tracker.best_step == 1 and tracker.without_improvement == 18
    with pytest.raises(ValueError, match="patience must be 0"):
        BestTracker(patience=-1)


def test_a_resumed_tracker_must_beat_the_stored_best():
    tracker = BestTracker(best_score=30.0, best_step=1000)
    assert not tracker.record(1200, 29.0)
    assert tracker.record(1400, 30.5) and tracker.best_step == 1400


def test_best_record_round_trip_and_a_damaged_one(tmp_path):
    assert validation.read_best_record(str(tmp_path)) is None
    validation.write_best_record(str(tmp_path), 31.25, 4000, "nrefs:1|tok:13a")
    assert validation.read_best_record(str(tmp_path)) == {
        "bleu": 31.25, "step": 4000, "signature": "nrefs:1|tok:13a"}
    (tmp_path / validation.RECORD_FILENAME).write_text('{"bleu": "high"}')
    with pytest.raises(ValueError, match=r"validation\.json is damaged .*delete it"):
        validation.read_best_record(str(tmp_path))


def test_average_tensors_averages_the_named_tensors_in_their_dtype(tmp_path):
    prefixes = []
    for step, scale in ((1, 1.0), (2, 2.0), (3, 6.0)):
        variables = {"w": tf.Variable(np.full((2, 3), scale, np.float32)),
                     "h": tf.Variable(np.array([scale, -scale], np.float16)),
                     "Variable_1": tf.Variable(step)}
        prefixes.append(checkpoints.save_checkpoint(
            variables, str(tmp_path / f"translate.ckpt-{step}"), max_to_keep=0))
    averaged = validation.average_tensors(prefixes, ["w", "h"])
    assert sorted(averaged) == ["h", "w"]
    np.testing.assert_array_equal(averaged["w"], np.full((2, 3), 3.0, np.float32))
    assert averaged["w"].dtype == np.float32 and averaged["h"].dtype == np.float16
    np.testing.assert_array_equal(averaged["h"], np.array([3.0, -3.0], np.float16))
    np.testing.assert_array_equal(validation.average_tensors(prefixes[1:], ["w"])["w"],
                                  np.full((2, 3), 4.0, np.float32))
    with pytest.raises(ValueError, match="no checkpoint to average"):
        validation.average_tensors([], ["w"])


def test_dev_files_that_cannot_be_scored_are_refused_before_training():
    with pytest.raises(ValueError, match=r"the dev files differ in length \(2 source lines, 1 "):
        validation.Validator(None, None, [b"a", b"b"], [b"x"], batch_size=8)
    with pytest.raises(ValueError, match="the dev files are empty"):
        validation.Validator(None, None, [], [], batch_size=8)


@pytest.mark.parametrize("overrides, message", [
    ({"early_stopping": 3}, "--early_stopping needs validation: pass --steps_per_validation"),
    ({"restore_best": True}, "--restore_best needs validation"),
    ({"steps_per_validation": 100}, "needs the dev text: pass --from_dev_data"),
    ({"average_checkpoints": 8}, "--keep_checkpoints=5 keeps fewer: raise --keep_checkpoints"),
    ({"max_train_minutes": -1}, "--max_train_minutes must be 0 .off. or more"),
    ({"batch_tokens": 2000, "distribution_strategy": "mirrored"},
     "--batch_tokens works with --distribution_strategy=default only"),
    ({"batch_by_length": True, "distribution_strategy": "mirrored"},
     "--batch_by_length works with --distribution_strategy=default only"),
    ({"steps_per_checkpoint": 0}, "steps_per_checkpoint must be at least 1"),
])
def test_bad_training_configurations_are_clear_errors(overrides, message):
    with pytest.raises(ValueError, match=message):
        loop.TrainConfig(**overrides).check()


def test_the_default_configuration_reports_nothing_more():
    loop.TrainConfig().check()
    assert not loop.TrainConfig().reports_more
    assert loop.TrainConfig(max_train_minutes=1).reports_more


# ------------------------------------------------- the training loop with scripted scores

def _train(tiny_corpus, root, hparams=TINY, **overrides) -> tuple[object, str]:
    config = loop.TrainConfig(data_dir=os.path.join(root, "data"),
                              train_dir=os.path.join(root, "train"), progress_bar=False,
                              **tiny_corpus, **overrides)
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        model = loop.train(hparams, config)
    return model, log.getvalue()


def _tensors(prefix: str) -> dict[str, np.ndarray]:
    reader = tf.train.load_checkpoint(prefix)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()}


@pytest.fixture
def scripted_scores(monkeypatch):
    """Makes every validation return the next of `scores` instead of translating."""
    scores: list[float] = []

    def score(self):
        bleu = scores.pop(0)
        return validation.Score(bleu, bleu + 10, "nrefs:1|tok:13a|scripted")

    monkeypatch.setattr(validation.Validator, "score", score)
    return scores


@pytest.mark.slow
def test_best_dir_and_early_stopping_on_scripted_scores(tiny_corpus, tmp_path,
                                                        scripted_scores):
    scripted_scores.extend([5.0, 7.0, 6.0, 7.0, 99.0])
    model, log = _train(tiny_corpus, str(tmp_path), steps_per_checkpoint=2,
                        steps_per_validation=2, early_stopping=2, keep_checkpoints=0,
                        max_steps=100)
    train_dir = str(tmp_path / "train")
    # Validations at 2, 4, 6, 8; the best is at 4, and two without a better one stop at 8.
    assert int(model.global_step.numpy()) == 8 and scripted_scores == [99.0]
    assert re.findall(r"^  dev BLEU (\S+) chrF (\S+) \(nrefs:1\|tok:13a\|scripted\)(.*)$", log,
                      flags=re.M) == [
        ("5.00", "15.00", f"; best so far, saved in {train_dir}/best"),
        ("7.00", "17.00", f"; best so far, saved in {train_dir}/best"), ("6.00", "16.00", ""),
        ("7.00", "17.00", "")]
    assert "Early stopping: no better dev BLEU in the last 2 validations." in log
    best_dir = os.path.join(train_dir, "best")
    assert checkpoints.latest_checkpoint(best_dir) == os.path.join(best_dir, "translate.ckpt-4")
    assert sorted(os.listdir(best_dir)) == [
        "checkpoint", "settings.json", "translate.ckpt-4.data-00000-of-00001",
        "translate.ckpt-4.index", "validation.json"]
    assert validation.read_best_record(best_dir) == {
        "bleu": 7.0, "step": 4, "signature": "nrefs:1|tok:13a|scripted"}
    assert load_settings(best_dir) == (TINY, True)
    best, at_4 = _tensors(os.path.join(best_dir, "translate.ckpt-4")), _tensors(
        os.path.join(train_dir, "translate.ckpt-4"))
    assert sorted(best) == sorted(at_4)
    for name in best:
        np.testing.assert_array_equal(best[name], at_4[name], err_msg=name)
    # Without --restore_best the train_dir keeps the last parameters, as the original.
    assert checkpoints.latest_checkpoint(train_dir).endswith("translate.ckpt-8")
    assert (f"Best dev BLEU 7.00 at global step 4: {best_dir}/translate.ckpt-4 (decode it "
            f"with --train_dir {best_dir}; {train_dir} keeps the last parameters).") in log

    # Resumed with --restore_best: the stored best (7.0) must be beaten; 6.5 does not, so the
    # final checkpoint gets step 4's parameters under the run's own step and rate.
    scripted_scores[:] = [6.5]
    model, log = _train(tiny_corpus, str(tmp_path), steps_per_checkpoint=2,
                        steps_per_validation=2, keep_checkpoints=0, max_steps=10,
                        restore_best=True)
    assert "best so far" not in log
    final = os.path.join(train_dir, "translate.ckpt-10")
    assert f"the final checkpoint {final} holds them (--restore_best)" in log
    restored = _tensors(final)
    assert restored["Variable_1"] == 10
    for name in best:
        if name not in ("Variable", "Variable_1"):
            np.testing.assert_array_equal(restored[name], best[name], err_msg=name)
    assert int(model.global_step.numpy()) == 10


@pytest.mark.slow
def test_averaged_checkpoint_becomes_best_when_it_scores_higher(tiny_corpus, tmp_path,
                                                                scripted_scores):
    scripted_scores.extend([5.0, 6.0, 8.0])  # steps 2 and 4, then the averaged checkpoint
    model, log = _train(tiny_corpus, str(tmp_path), steps_per_checkpoint=2,
                        steps_per_validation=2, average_checkpoints=2, max_steps=4,
                        tensorboard=True)
    train_dir = str(tmp_path / "train")
    averaged = os.path.join(train_dir, "averaged", "translate.ckpt-4")
    assert (f"Averaged the last 2 checkpoints (translate.ckpt-2, translate.ckpt-4) into "
            f"{averaged}.") in log
    assert re.search(r"^  dev BLEU 8\.00 chrF 18\.00 \(averaged\) .*best so far", log, re.M)
    two, four = (_tensors(os.path.join(train_dir, f"translate.ckpt-{s}")) for s in (2, 4))
    mean = _tensors(averaged)
    trainable = {name for name, v in model.variables_by_name.items() if v.trainable}
    assert trainable and "Variable" not in trainable
    for name in trainable:
        np.testing.assert_allclose(mean[name], (two[name] + four[name]) / 2, rtol=1e-6,
                                   err_msg=name)
    assert mean["Variable_1"] == 4
    best = _tensors(os.path.join(train_dir, "best", "translate.ckpt-4"))
    for name in trainable:
        np.testing.assert_array_equal(best[name], mean[name], err_msg=name)
    # The model and train_dir keep the last parameters.
    for name in trainable:
        np.testing.assert_array_equal(model.variables_by_name[name].numpy(), four[name])
    assert json.loads((tmp_path / "train" / "best" / "validation.json").read_text())["bleu"] == 8
    # TensorBoard gets every validation's scores at its global step.
    (events,) = glob.glob(os.path.join(train_dir, "events.out.tfevents.*"))
    scalars: dict[str, list] = {}
    for event in tf.compat.v1.train.summary_iterator(events):
        for value in event.summary.value:
            if value.tag.startswith("dev/"):
                scalars.setdefault(value.tag, []).append(
                    (event.step, float(tf.make_ndarray(value.tensor))))
    assert scalars == {"dev/bleu": [(2, 5.0), (4, 6.0), (4, 8.0)],
                       "dev/chrf": [(2, 15.0), (4, 16.0), (4, 18.0)]}


@pytest.mark.slow
def test_token_batches_hold_batch_tokens_over_the_decoder_length(tiny_corpus, tmp_path,
                                                                 monkeypatch):
    widths = []
    step = nan_policy.GuardedTrainer.step

    def recording_step(self, encoder_inputs, decoder_inputs, target_weights, bucket_id):
        widths.append((bucket_id, len(decoder_inputs[0])))
        return step(self, encoder_inputs, decoder_inputs, target_weights, bucket_id)

    monkeypatch.setattr(nan_policy.GuardedTrainer, "step", recording_step)
    model, log = _train(tiny_corpus, str(tmp_path), batch_tokens=150, max_steps=12,
                        steps_per_checkpoint=6)
    sizes = batching.token_batch_sizes(150, TINY.buckets)
    assert sizes[:2] == [15, 10]
    assert len(widths) == 12 and {bucket for bucket, _ in widths} <= {0, 1}
    assert all(width == sizes[bucket] for bucket, width in widths)
    # Dev batches and the model keep --batch_size.
    assert model.batch_size == 8
    assert len(re.findall(r"^global step \d+ .* tokens/s \d+$", log, re.M)) == 2


@pytest.mark.slow
def test_the_time_budget_stops_training_with_a_final_checkpoint(tiny_corpus, tmp_path):
    model, log = _train(tiny_corpus, str(tmp_path), max_train_minutes=0.05,
                        steps_per_checkpoint=100000)
    step = int(model.global_step.numpy())
    assert step >= 1
    assert re.search(r"^Preparing the data and the model took \d+\.\d s; training for at most "
                     r"0\.05 minutes\.$", log, re.M)
    assert "The training budget of 0.05 minutes is used up." in log
    # The one log line is the final, partial interval's, with the opt-in fields.
    (line,) = re.findall(r"^global step .*$", log, re.M)
    assert re.fullmatch(rf"global step {step} learning rate 0\.5 step-time \d+\.\d\d perplexity "
                        r"\S+ tokens/s \d+ left 0\.0 min", line)
    train_dir = str(tmp_path / "train")
    assert checkpoints.latest_checkpoint(train_dir) == os.path.join(
        train_dir, f"translate.ckpt-{step}")
    assert load_settings(train_dir) == (TINY, True)
