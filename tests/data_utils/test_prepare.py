"""data_utils.prepare: prepare_data's checks on its inputs and its outputs."""

from __future__ import annotations

import uuid

import pytest
import tensorflow as tf

import data_utils

FILES = ("from_train", "to_train", "from_dev", "to_dev")


def write_corpus(directory, **overrides) -> list[str]:
    contents = {
        "from_train": b"one two\nthree\n",
        "to_train": b"un deux\ntrois\n",
        "from_dev": b"two\n",
        "to_dev": b"deux\n",
    }
    contents.update(overrides)
    for name, data in contents.items():
        (directory / name).write_bytes(data)
    return [str(directory / name) for name in FILES]


def test_outputs_and_their_names(tmp_path):
    paths = write_corpus(tmp_path)
    result = data_utils.prepare_data(str(tmp_path / "vocabs"), *paths, 10, 12)
    assert result == (
        f"{paths[0]}.ids10",
        f"{paths[1]}.ids12",
        f"{paths[2]}.ids10",
        f"{paths[3]}.ids12",
        str(tmp_path / "vocabs" / "vocab10.from"),
        str(tmp_path / "vocabs" / "vocab12.to"),
    )
    assert (tmp_path / "to_train.ids12").read_bytes() == b"4 5\n6\n"
    assert (tmp_path / "from_dev.ids10").read_bytes() == b"5\n"


def test_normalize_digits_can_be_switched_off(tmp_path):
    paths = write_corpus(tmp_path, from_train=b"7 7\n8\n")
    data_utils.prepare_data(str(tmp_path), *paths, 10, 10, normalize_digits=False)
    assert (tmp_path / "vocab10.from").read_bytes() == b"_PAD\n_GO\n_EOS\n_UNK\n7\n8\n"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"to_train": b"un\ndeux\ntrois\n"}, r"from_train has 2 lines but .*to_train has 3"),
        # A final line without newline counts, as when TF reads lines.
        ({"from_dev": b"a\nb"}, r"from_dev has 2 lines but .*to_dev has 1"),
    ],
)
def test_line_counts_must_match(tmp_path, overrides, message):
    paths = write_corpus(tmp_path, **overrides)
    with pytest.raises(ValueError, match=message):
        data_utils.prepare_data(str(tmp_path), *paths, 10, 10)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)


def test_final_lone_carriage_return_is_no_line(tmp_path):
    # TF's line reader drops every CR, so "deux\n\r" is one line, as the original saw it.
    paths = write_corpus(tmp_path, to_dev=b"deux\n\r")
    data_utils.prepare_data(str(tmp_path), *paths, 10, 10)
    assert (tmp_path / "to_dev.ids10").read_bytes() == b"5\n"


def test_missing_input_is_named_before_anything_is_written(tmp_path):
    paths = write_corpus(tmp_path)
    (tmp_path / "to_dev").unlink()
    with pytest.raises(FileNotFoundError, match="to_dev"):
        data_utils.prepare_data(str(tmp_path), *paths, 10, 10)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES[:3])


def test_existing_outputs_are_kept(tmp_path):
    paths = write_corpus(tmp_path)
    (tmp_path / "vocab10.to").write_bytes(b"_PAD\n_GO\n_EOS\n_UNK\ntrois\n")
    data_utils.prepare_data(str(tmp_path), *paths, 10, 10)
    assert (tmp_path / "to_train.ids10").read_bytes() == b"3 3\n4\n"


def test_works_on_other_tensorflow_file_systems():
    # TF's in-memory file system stands in for gs:// and the others: every access goes
    # through tf.io.gfile.
    root = f"ram://prepare-{uuid.uuid4().hex}"
    files = data_utils.demo_corpus.write_demo_corpus(root, num_train=200, num_dev=20)
    result = data_utils.prepare_data(f"{root}/vocabularies", *files, 100, 100)
    assert result[0] == f"{root}/train.en.ids100"
    with tf.io.gfile.GFile(result[1], "rb") as stream:
        assert stream.read().count(b"\n") == 200
    assert sorted(tf.io.gfile.listdir(f"{root}/vocabularies")) == ["vocab100.from", "vocab100.to"]
