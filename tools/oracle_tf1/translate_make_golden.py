"""Produce the TF 1.15 golden data for tests/translate: checkpoints and --decode output
written by the ORIGINAL translate tutorial (tensorflow/models tutorials/rnn/translate).

Run with the oracle interpreter (Python 3.7, tensorflow-cpu 1.15.0), never from the tests:

    # 1. fetch the three original files (not part of this project, never committed):
    mkdir -p /tmp/orig_translate && cd /tmp/orig_translate
    base=https://raw.githubusercontent.com/tensorflow/models
    curl -O $base/c902a86785052291083682c4b833747e7ea52597/tutorials/rnn/translate/translate.py
    curl -O $base/48251730feb72808545efa5efe68f3f90261b3f0/tutorials/rnn/translate/seq2seq_model.py
    curl -O $base/1eb9d4628b09493b24e5062f4050faee86ec8ee8/tutorials/rnn/translate/data_utils.py
    # 2. run this script from the project root:
    ~/tf1/bin/python tools/oracle_tf1/translate_make_golden.py \
        --orig_dir /tmp/orig_translate --corpus /work/shared/corpus/tatoeba_en_fr

The originals are copied to a scratch directory and patched there (see PATCHES):
  * the cell is built inside ``seq2seq_f``: under TF >= 1.2 the unpatched file dies with
    "TypeError: can't pickle _thread.RLock objects" (tensorflow/models#1790) because
    ``embedding_attention_seq2seq`` deep-copies a cell that the first bucket already built;
    the variable names are unchanged by this;
  * ``--use_lstm`` is passed through to ``Seq2SeqModel`` (the model supports it, the binary
    has no flag for it);
  * ``--oracle_max_steps`` ends training after the checkpoint at that global step (the original
    loops forever).
Training is not seeded (TF 1.15 CPU kernels are not bit-reproducible across runs anyway), so a
rerun writes a different, equally valid checkpoint together with its own decodes.

Output, one directory per configuration under --out_dir:
    flags.txt           the flags shared by training and --decode, one per line
    data/vocabN.from    data/vocabN.to        vocabularies written by the original
    train/checkpoint    train/translate.ckpt-S.{index,data-00000-of-00001}
    train_stdout.txt    the original's training log
    decode_input.txt    what --decode reads on stdin (last line has no newline on purpose)
    decode_stdout.txt   the original's exact stdout of
                        `translate.py --decode --data_dir data --train_dir train <flags.txt>`
                        run inside that directory
    decode_stderr.txt   its stderr (TF log noise included), for the "Sentence truncated" warning
    decode_top_logits.npz   the original's 5 largest logits per output position of each input
                            line (translate_dump_logits.py)
    train_steps.npz     two SGD steps from the checkpoint, full-softmax configurations only
                        (translate_dump_train_step.py)
"""
from __future__ import print_function

import argparse
import io
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# (file, anchor, replacement): each anchor must occur exactly once in the original.
PATCHES = [
    ("seq2seq_model.py",
     "    cell = single_cell()\n"
     "    if num_layers > 1:\n"
     "      cell = tf.contrib.rnn.MultiRNNCell([single_cell() for _ in range(num_layers)])\n",
     "    def make_cell():\n"
     "      if num_layers > 1:\n"
     "        return tf.contrib.rnn.MultiRNNCell([single_cell() for _ in range(num_layers)])\n"
     "      return single_cell()\n"),
    ("seq2seq_model.py",
     "          decoder_inputs,\n          cell,\n",
     "          decoder_inputs,\n          make_cell(),\n"),
    ("translate.py",
     'tf.app.flags.DEFINE_boolean("use_fp16", False,\n'
     '                            "Train using fp16 instead of fp32.")\n',
     'tf.app.flags.DEFINE_boolean("use_fp16", False,\n'
     '                            "Train using fp16 instead of fp32.")\n'
     'tf.app.flags.DEFINE_boolean("use_lstm", False, "oracle patch: LSTM cells.")\n'
     'tf.app.flags.DEFINE_integer("oracle_max_steps", 0, "oracle patch: stop here.")\n'),
    ("translate.py",
     "      forward_only=forward_only,\n      dtype=dtype)\n",
     "      use_lstm=FLAGS.use_lstm,\n      forward_only=forward_only,\n      dtype=dtype)\n"),
    ("translate.py",
     '          print("  eval: bucket %d perplexity %.2f" % (bucket_id, eval_ppx))\n'
     "        sys.stdout.flush()\n",
     '          print("  eval: bucket %d perplexity %.2f" % (bucket_id, eval_ppx))\n'
     "        sys.stdout.flush()\n"
     "        if (FLAGS.oracle_max_steps and\n"
     "            model.global_step.eval() >= FLAGS.oracle_max_steps):\n"
     "          return\n"),
]

# name -> (model flags, training-only flags)
CONFIGS = {
    "gru2_sampled": (
        ["--size=64", "--num_layers=2", "--from_vocab_size=1500", "--to_vocab_size=1500"],
        ["--batch_size=64", "--learning_rate=0.5", "--steps_per_checkpoint=200",
         "--oracle_max_steps=3000"]),
    "lstm1_full": (
        ["--size=32", "--num_layers=1", "--from_vocab_size=500", "--to_vocab_size=500",
         "--use_lstm"],
        ["--batch_size=32", "--learning_rate=0.5", "--steps_per_checkpoint=200",
         "--oracle_max_steps=2000"]),
}

# Inputs for --decode besides held-out dev sentences: the bad-input cases of the issue.
SPECIAL_INPUTS = [
    "",                                        # empty line
    "   ",                                     # blank line
    "Xyzzy plugh frobnicates the quux.",       # out-of-vocabulary words
    "I have 3 cats and 12 dogs.",              # digits (normalized to 0)
    "Café, crème brûlée et œufs !",            # non-ASCII
    "?!?",                                     # punctuation only
    " ".join(["one"] * 40),                    # exactly 40 tokens: last bucket, no truncation
    ("This is a very long sentence that goes on and on , far longer than any bucket "
     "of the model , because it keeps adding words , clauses and commas , until it "
     "has many more than forty tokens , which the original truncates with a warning ."),
]
NUM_DEV_INPUTS = 40


def patch_sources(orig_dir, src_dir):
    os.makedirs(src_dir)
    for name in ("translate.py", "seq2seq_model.py", "data_utils.py"):
        shutil.copy(os.path.join(orig_dir, name), src_dir)
    for name, anchor, replacement in PATCHES:
        path = os.path.join(src_dir, name)
        with io.open(path, encoding="utf-8") as f:
            text = f.read()
        if text.count(anchor) != 1:
            sys.exit("patch anchor not found exactly once in %s:\n%s" % (name, anchor))
        with io.open(path, "w", encoding="utf-8") as f:
            f.write(text.replace(anchor, replacement))


def write_corpus(corpus_dir, out_dir):
    """Every 4th training pair (the corpus is sorted by length) plus the dev set."""
    os.makedirs(out_dir)
    for lang in ("en", "fr"):
        with io.open(os.path.join(corpus_dir, "train." + lang), encoding="utf-8") as f:
            lines = f.readlines()
        with io.open(os.path.join(out_dir, "train." + lang), "w", encoding="utf-8") as f:
            f.writelines(lines[::4])
        shutil.copy(os.path.join(corpus_dir, "dev." + lang), out_dir)


def decode_inputs(corpus_dir):
    with io.open(os.path.join(corpus_dir, "dev.en"), encoding="utf-8") as f:
        dev = [line.rstrip("\n") for line in f]
    step = len(dev) // NUM_DEV_INPUTS
    picked = dev[::step][:NUM_DEV_INPUTS]
    # Bad inputs go in the middle; the last line has no trailing newline.
    lines = picked[:20] + SPECIAL_INPUTS + picked[20:]
    return "\n".join(lines)


def run(cmd, cwd, stdin_text=None):
    proc = subprocess.run(cmd, cwd=cwd, input=None if stdin_text is None else
                          stdin_text.encode("utf-8"), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode("utf-8", "replace")[-5000:])
        sys.exit("command failed (%d): %s" % (proc.returncode, " ".join(cmd)))
    return proc.stdout, proc.stderr


def make_config(name, model_flags, train_flags, src_dir, corpus_dir, work_dir, out_dir):
    run_dir = os.path.join(work_dir, name)
    data_dir = os.path.join(run_dir, "data")
    train_dir = os.path.join(run_dir, "train")
    os.makedirs(data_dir)
    os.makedirs(train_dir)
    py = sys.executable
    translate = os.path.join(src_dir, "translate.py")
    train_out, _ = run(
        [py, translate, "--data_dir=data", "--train_dir=train",
         "--from_train_data=" + os.path.join(corpus_dir, "train.en"),
         "--to_train_data=" + os.path.join(corpus_dir, "train.fr"),
         "--from_dev_data=" + os.path.join(corpus_dir, "dev.en"),
         "--to_dev_data=" + os.path.join(corpus_dir, "dev.fr")] + model_flags + train_flags,
        cwd=run_dir)

    # Keep only the latest checkpoint (its .meta graph is not needed to restore by name);
    # name it relatively so the directory can move.
    with io.open(os.path.join(train_dir, "checkpoint"), encoding="utf-8") as f:
        latest = os.path.basename(f.readline().split('"')[1])
    for fname in os.listdir(train_dir):
        if not fname.startswith(latest + ".") or fname.endswith(".meta"):
            os.remove(os.path.join(train_dir, fname))
    with io.open(os.path.join(train_dir, "checkpoint"), "w", encoding="utf-8") as f:
        f.write(u'model_checkpoint_path: "%s"\nall_model_checkpoint_paths: "%s"\n'
                % (latest, latest))

    inputs = decode_inputs(corpus_dir)
    dec_out, dec_err = run(
        [py, translate, "--decode", "--data_dir=data", "--train_dir=train"] + model_flags,
        cwd=run_dir, stdin_text=inputs)

    dest = os.path.join(out_dir, name)
    if os.path.exists(dest):
        shutil.rmtree(dest)
    os.makedirs(os.path.join(dest, "data"))
    shutil.copytree(train_dir, os.path.join(dest, "train"))
    for fname in os.listdir(data_dir):
        if fname.startswith("vocab"):
            shutil.copy(os.path.join(data_dir, fname), os.path.join(dest, "data"))
    files = {"flags.txt": ("\n".join(model_flags) + "\n").encode("utf-8"),
             "train_stdout.txt": train_out, "decode_input.txt": inputs.encode("utf-8"),
             "decode_stdout.txt": dec_out, "decode_stderr.txt": dec_err}
    for fname, content in files.items():
        with open(os.path.join(dest, fname), "wb") as f:
            f.write(content)
    print("%s: %s, %d decode lines" % (name, latest, dec_out.count(b"\n")))
    dump_numbers(src_dir, dest, model_flags)


def dump_numbers(src_dir, golden, model_flags):
    """Adds the original's logits (and, for full softmax, two training steps) to `golden`."""
    scripts = ["translate_dump_logits.py"]
    if int(model_flags_value(model_flags, "to_vocab_size")) <= 512:
        scripts.append("translate_dump_train_step.py")
    for script in scripts:
        out, _ = run([sys.executable, os.path.join(HERE, script), "--src_dir", src_dir,
                      "--golden", golden], cwd=HERE)
        sys.stdout.write(out.decode("utf-8"))


def model_flags_value(model_flags, name):
    for flag in model_flags:
        if flag.startswith("--%s=" % name):
            return flag.split("=", 1)[1]
    raise KeyError(name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orig_dir", default="/tmp/orig_translate")
    parser.add_argument("--corpus", default="/work/shared/corpus/tatoeba_en_fr")
    parser.add_argument("--work_dir", default="/tmp/translate_golden_work")
    parser.add_argument("--out_dir",
                        default=os.path.join(ROOT, "tests", "translate", "golden", "tf1_ckpt"))
    parser.add_argument("--only", default=None, help="make one configuration only")
    parser.add_argument("--dumps_only", action="store_true",
                        help="keep the checkpoints in --out_dir, only redo the number dumps")
    args = parser.parse_args()
    if args.dumps_only:
        src_dir = os.path.join(args.work_dir, "src_dumps")
        if os.path.exists(src_dir):
            shutil.rmtree(src_dir)
        patch_sources(args.orig_dir, src_dir)
        for name, (model_flags, _) in sorted(CONFIGS.items()):
            if args.only in (None, name):
                dump_numbers(src_dir, os.path.join(args.out_dir, name), model_flags)
        return
    if os.path.exists(args.work_dir):
        shutil.rmtree(args.work_dir)
    src_dir = os.path.join(args.work_dir, "src")
    corpus_dir = os.path.join(args.work_dir, "corpus")
    patch_sources(args.orig_dir, src_dir)
    write_corpus(args.corpus, corpus_dir)
    for name, (model_flags, train_flags) in sorted(CONFIGS.items()):
        if args.only in (None, name):
            make_config(name, model_flags, train_flags, src_dir, corpus_dir, args.work_dir,
                        args.out_dir)


if __name__ == "__main__":
    main()
