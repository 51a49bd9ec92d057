"""The model seam: the registry behind --model, the interface, and the Luong variant end to end
(train a few steps, decode, checkpoints)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import tensorflow as tf
from translate_testlib import TINY_FLAGS, run_cli, train_flags

import legacy_seq2seq as seq2seq
from data_utils import EOS_ID
from translate import checkpoints, models
from translate.hparams import HParams
from translate.models.luong import LuongAttentionSeq2SeqModel
from translate.seq2seq_model import Seq2SeqModel

BUCKETS = ((3, 4), (5, 7))
DATA = [[([4, 5], [6, 7, 2]), ([8], [9, 2])], [([4, 5, 6, 7], [8, 9, 10, 2])]]
LUONG = ["--model=luong_attention_seq2seq"]


def tiny(name: str, **kwargs) -> HParams:
    values = dict(size=8, num_layers=2, from_vocab_size=13, to_vocab_size=13, batch_size=4,
                  num_samples=6, buckets=BUCKETS, model=name)
    return HParams(**{**values, **kwargs})


def test_the_default_is_the_original_model():
    assert HParams().model == models.DEFAULT_MODEL == "attention_seq2seq"
    assert models.model_class(models.DEFAULT_MODEL) is Seq2SeqModel
    assert type(models.build_model(tiny("attention_seq2seq"), True)) is Seq2SeqModel
    assert models.MODELS == {"attention_seq2seq": Seq2SeqModel,
                             "luong_attention_seq2seq": LuongAttentionSeq2SeqModel}


def test_an_unknown_model_is_named_with_the_choices():
    with pytest.raises(ValueError, match="unknown model 'transformer': --model must be one of "
                                         "attention_seq2seq, luong_attention_seq2seq"):
        models.build_model(tiny("transformer"), True)


def test_the_variant_has_luongs_attention_variables_and_not_the_originals():
    original = models.build_model(tiny("attention_seq2seq"), False).variables_by_name
    luong = models.build_model(tiny("luong_attention_seq2seq"), False).variables_by_name
    scope = "embedding_attention_seq2seq/embedding_attention_decoder/attention_decoder/"
    assert set(luong) - set(original) == {scope + "LuongGeneral_0/kernel"}
    assert set(original) - set(luong) == {scope + n for n in (
        "AttnW_0", "AttnV_0", "Attention_0/kernel", "Attention_0/bias")}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(models.MODELS))
def test_every_graph_of_a_model_reads_its_attention(name):
    # Greedy search and beam search run the model's decoder step, the forward graph its
    # loop decoder: they agree only if both use the model's attention score.
    tf.random.set_seed(3)
    model = models.build_model(tiny(name), forward_only=True)
    for bucket_id in range(len(BUCKETS)):
        encoder, decoder, _ = model.get_batch(DATA, bucket_id)
        logits = np.stack(model.greedy_logits(encoder, decoder, bucket_id))
        expected = [row[:row.index(EOS_ID)] if EOS_ID in row else row
                    for row in logits.argmax(axis=2).T.tolist()]
        assert model.greedy_search(encoder, bucket_id) == expected
        beam = model.search(encoder, bucket_id, beam_size=2)
        assert beam.tokens.shape == (4, 2, BUCKETS[bucket_id][1])
        assert (beam.log_probs[:, 0] >= beam.log_probs[:, 1]).all()
        alignment_logits, weights = model.alignment(encoder, decoder)
        np.testing.assert_allclose(weights.sum(axis=2), 1.0, atol=1e-5)
        assert weights.shape == (BUCKETS[bucket_id][1], 4, BUCKETS[bucket_id][0])
        assert alignment_logits.shape == (BUCKETS[bucket_id][1], 4, 13)


def test_a_decoding_graph_that_does_not_match_the_model_is_refused():
    class Mismatched(Seq2SeqModel):
        def _search(self, encoder, max_length, beam_size):
            return seq2seq.embedding_attention_beam_search(
                encoder, self._make_cell(), self.source_vocab_size, self.target_vocab_size,
                self.size, beam_size=beam_size, max_length=max_length,
                attention_score="luong_general")

    model = Mismatched(13, 13, BUCKETS, 8, 1, 5.0, 4, 0.5, 0.9, num_samples=0,
                       forward_only=True, xla_decode=False)
    encoder, _, _ = model.get_batch(DATA, 0)
    with pytest.raises(ValueError, match=r"Mismatched\._search asked for variables the model's "
                                         r"own graph does not have: .*LuongGeneral_0/kernel"):
        model.search(encoder, 0)


@pytest.mark.slow
def test_checkpoints_restore_into_their_own_model_only(tmp_path):
    tf.random.set_seed(4)
    trained = models.build_model(tiny("luong_attention_seq2seq"), False)
    for step in range(3):
        trained.step(None, *trained.get_batch(DATA, step % 2), step % 2, False)
    prefix = trained.saver.save(None, str(tmp_path / "translate.ckpt"), trained.global_step)
    restored = models.build_model(tiny("luong_attention_seq2seq"), True)
    restored.saver.restore(None, prefix)
    assert int(restored.global_step.numpy()) == 3
    for name, variable in trained.variables_by_name.items():
        np.testing.assert_array_equal(restored.variables_by_name[name].numpy(),
                                      variable.numpy(), err_msg=name)
    original = models.build_model(tiny("attention_seq2seq"), True)
    with pytest.raises(checkpoints.CheckpointMismatchError,
                       match="LuongGeneral_0/kernel.* which the model does not have"):
        original.saver.restore(None, prefix)
    other = models.build_model(tiny("luong_attention_seq2seq", size=6), True)
    with pytest.raises(checkpoints.CheckpointMismatchError,
                       match=r"and its --model \(this is --model=luong_attention_seq2seq\)"):
        other.saver.restore(None, prefix)


@pytest.mark.slow
def test_the_luong_model_trains_decodes_and_resumes_from_the_command_line(tiny_corpus,
                                                                          tmp_path):
    root = str(tmp_path)
    data_dir, train_dir = os.path.join(root, "data"), os.path.join(root, "train")
    flags = train_flags(tiny_corpus, data_dir, train_dir) + LUONG
    proc = run_cli(flags + ["--steps_per_checkpoint=4", "--max_steps=4"], cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    assert "global step 4 " in proc.stdout.decode()
    prefix = os.path.join(train_dir, "translate.ckpt-4")
    names = tf.train.load_checkpoint(prefix).get_variable_to_shape_map()
    assert any(name.endswith("LuongGeneral_0/kernel") for name in names)
    assert not any(name.endswith("AttnW_0") for name in names)

    proc = run_cli(flags + ["--steps_per_checkpoint=2", "--max_steps=6"], cwd=root)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    assert f"\nReading model parameters from {prefix}\n" in proc.stdout.decode()
    assert "global step 6 " in proc.stdout.decode()

    decode = ["--decode", f"--data_dir={data_dir}", f"--train_dir={train_dir}", *TINY_FLAGS]
    stdin = b"one two three\nthe first of May\n"
    proc = run_cli(decode + LUONG, cwd=root, stdin=stdin)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    out = proc.stdout.decode()
    assert out.startswith(
        f"Reading model parameters from {os.path.join(train_dir, 'translate.ckpt-6')}\n> ")
    assert out.count("> ") == 3 and out.endswith("\n> ")

    # The checkpoint's settings name its model: decoding needs no --model ...
    proc = run_cli(decode, cwd=root, stdin=stdin)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    assert proc.stdout.decode() == out
    # ... and another model, asked for explicitly, is one short error.
    proc = run_cli(decode + ["--model=attention_seq2seq"], cwd=root, stdin=stdin)
    assert proc.returncode == 1
    stderr = proc.stderr.decode()
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        "Error: --model=attention_seq2seq contradicts the checkpoint in "
        f"{train_dir} (trained with --model=luong_attention_seq2seq): drop --model or pass "
        "--model=luong_attention_seq2seq")
