"""`--recipe modern` end to end on a tiny corpus: subwords, validation, best/, settings, decode."""

from __future__ import annotations

import json
import os
import re

import pytest
from translate_testlib import run_cli, write_parallel

from data_utils import subwords
from translate.hparams import HParams
from translate.train import loop

pytest.importorskip("sentencepiece")
pytest.importorskip("sacrebleu")

EN = ["the cat", "the dog", "a red cat", "a big dog", "the small bird", "my house", "your car",
      "the green tree", "I see the cat", "you see the dog", "we eat bread", "they drink water",
      "the cat sleeps", "the dog runs", "a bird sings", "I like apples", "she reads a book",
      "he writes a letter", "we play football", "the sun is hot", "the night is cold",
      "my friend is here", "your sister is tall", "the book is red", "the car is fast",
      "I have a cat", "you have a dog", "the house is big", "the tree is green",
      "the water is cold"]
FR = ["le chat", "le chien", "un chat rouge", "un grand chien", "le petit oiseau", "ma maison",
      "ta voiture", "l'arbre vert", "je vois le chat", "tu vois le chien",
      "nous mangeons du pain", "ils boivent de l'eau", "le chat dort", "le chien court",
      "un oiseau chante", "j'aime les pommes", "elle lit un livre", "il écrit une lettre",
      "nous jouons au football", "le soleil est chaud", "la nuit est froide", "mon ami est ici",
      "ta sœur est grande", "le livre est rouge", "la voiture est rapide", "j'ai un chat",
      "tu as un chien", "la maison est grande", "l'arbre est vert", "l'eau est froide"]
# 60 pairs: each sentence bare and as a capitalised sentence with a full stop.
PAIRS = list(zip(EN, FR)) + [(e.capitalize() + ".", f.capitalize() + ".") for e, f in zip(EN, FR)]
# Small enough for a test; subword vocabularies need more than 260 entries (256 bytes).
OVERRIDES = ["--size=32", "--from_vocab_size=300", "--to_vocab_size=300", "--batch_size=16",
             "--batch_tokens=200", "--learning_rate=0.01", "--warmup_steps=5",
             "--steps_per_checkpoint=20", "--steps_per_validation=20",
             "--average_checkpoints=2", "--max_train_minutes=1", "--max_steps=40"]


@pytest.mark.slow
def test_modern_recipe_trains_validates_and_decodes_without_flags(tmp_path):
    corpus = str(tmp_path / "corpus")
    train = write_parallel(corpus, PAIRS, "train")
    dev = write_parallel(corpus, PAIRS[::6], "dev")
    data_dir, train_dir = str(tmp_path / "data"), str(tmp_path / "train")
    proc = run_cli(["--recipe=modern", f"--data_dir={data_dir}", f"--train_dir={train_dir}",
                    f"--from_train_data={train[0]}", f"--to_train_data={train[1]}",
                    f"--from_dev_data={dev[0]}", f"--to_dev_data={dev[1]}", *OVERRIDES],
                   cwd=str(tmp_path), timeout=600)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    log = proc.stdout.decode()

    with open(os.path.join(train_dir, "settings.json"), encoding="utf-8") as f:
        hparams = json.load(f)["hparams"]
    assert hparams["vocabulary"] == "subword" and hparams["optimizer"] == "adam"
    assert hparams["bidirectional_encoder"] and hparams["dropout"] > 0
    assert hparams["label_smoothing"] > 0 and hparams["num_samples"] == 0
    assert (hparams["size"], hparams["from_vocab_size"]) == (32, 300)
    assert hparams["beam_size"] == 4 and hparams["output_projection"]

    # Subword models and ids are made in data_dir (never beside the corpus) and the models
    # travel with the checkpoints.
    assert sorted(os.listdir(corpus)) == ["dev.en", "dev.fr", "train.en", "train.fr"]
    assert {"train.en.spm300", "train.fr.spm300", "dev.en.spm300",
            "dev.fr.spm300"} <= set(os.listdir(data_dir))
    for name in ("spm300.from.model", "spm300.to.model"):
        for directory in (train_dir, os.path.join(train_dir, "best")):
            with open(os.path.join(data_dir, name), "rb") as a, \
                    open(os.path.join(directory, name), "rb") as b:
                assert a.read() == b.read(), (directory, name)

    # The periodic log line carries the opt-in fields; every validation prints sacreBLEU.
    lines = re.findall(r"^global step (\d+) learning rate \S+ step-time \S+ perplexity \S+ "
                       r"tokens/s \d+(?: dev BLEU \d+\.\d\d)? left \d+\.\d min$", log, re.M)
    assert lines[:2] == ["20", "40"]
    validations = re.findall(r"^  dev BLEU (\d+\.\d\d) chrF (\d+\.\d\d)( \(averaged\))? \(nrefs:1\|"
                             r"case:mixed\|eff:no\|tok:13a\|smooth:exp\|version:[\d.]+\)(.*)$",
                             log, re.M)
    # Steps 20 and 40, then the average of their checkpoints.
    assert [averaged for _, _, averaged, _ in validations] == ["", "", " (averaged)"]
    best_bleu, best_chrf, _, _ = [v for v in validations if "best so far" in v[3]][-1]
    best_dir = os.path.join(train_dir, "best")
    with open(os.path.join(best_dir, "validation.json"), encoding="utf-8") as f:
        assert f"{json.load(f)['bleu']:.2f}" == best_bleu
    assert f"Best dev BLEU {best_bleu} at global step" in log

    # best/ decodes on its own, with no size flags: --eval gives the validation's (greedy)
    # scores with --beam_size=1, which overrides the recipe's recorded beam size.
    proc = run_cli(["--eval", f"--data_dir={data_dir}", f"--train_dir={best_dir}",
                    f"--eval_source={dev[0]}", f"--eval_reference={dev[1]}", "--beam_size=1"],
                   cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    assert (f"BLEU {best_bleu}  chrF {best_chrf}  (10 sentences, beam search (1))"
            in proc.stdout.decode())

    # The latest checkpoint of train_dir decodes a file into detokenized text.
    output = str(tmp_path / "dev.out")
    proc = run_cli(["--decode", f"--data_dir={data_dir}", f"--train_dir={train_dir}",
                    f"--input_file={dev[0]}", f"--output_file={output}"], cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    # The recipe's decoding default, recorded in settings.json.
    assert "(beam search (4), batches of" in proc.stderr.decode()
    with open(output, encoding="utf-8") as f:
        translations = f.read().split("\n")
    assert len(translations) == len(PAIRS[::6]) + 1 and translations[-1] == ""
    assert not any("\u2581" in t or "_UNK" in t for t in translations)


def test_a_resumed_subword_run_uses_the_models_of_its_train_dir(tmp_path):
    train = write_parallel(str(tmp_path / "corpus"), PAIRS, "train")
    hparams = HParams(vocabulary="subword", from_vocab_size=300, to_vocab_size=300)
    # The first run's data_dir is gone; its train_dir holds the models (trained on other text).
    first_dir, train_dir = tmp_path / "first", tmp_path / "train"
    other = write_parallel(str(tmp_path / "other"), [(f"{e} {e}", f"{f} {f}") for e, f in PAIRS],
                           "train")
    subwords.prepare_subword_data(str(first_dir), *other, *other, 300, 300)
    subwords.copy_subword_models(str(first_dir), str(train_dir), 300, 300)
    config = loop.TrainConfig(data_dir=str(tmp_path / "data"), train_dir=str(train_dir),
                              from_train_data=train[0], to_train_data=train[1])
    from_ids = loop.prepare_token_ids(hparams, config)[0]
    assert from_ids == str(tmp_path / "data" / "train.en.spm300")
    for side in ("from", "to"):
        with open(subwords.subword_model_path(str(train_dir), 300, side), "rb") as a, \
                open(subwords.subword_model_path(config.data_dir, 300, side), "rb") as b:
            assert a.read() == b.read()
    # A data_dir whose models differ from the checkpoints' is refused, not mixed.
    (tmp_path / "data" / "spm300.to.model").write_bytes(b"another model")
    with pytest.raises(ValueError, match=r"spm300\.to\.model differs from"):
        loop.prepare_token_ids(hparams, config)


def test_subword_vocabularies_need_training_files(tmp_path):
    config = loop.TrainConfig(data_dir=str(tmp_path), train_dir=str(tmp_path))
    with pytest.raises(ValueError, match="subword vocabularies are learnt from "
                                         "--from_train_data and --to_train_data"):
        loop.prepare_token_ids(HParams(vocabulary="subword"), config)
