"""data_utils.vocabulary: counting, ordering, writing and loading vocabularies."""

from __future__ import annotations

import random
import tracemalloc

import pytest

import data_utils
from data_utils import vocabulary

SPECIALS = b"_PAD\n_GO\n_EOS\n_UNK\n"


def make_vocabulary(tmp_path, text: bytes, size: int = 1000, **kwargs) -> bytes:
    corpus = tmp_path / "corpus"
    corpus.write_bytes(text)
    path = tmp_path / "vocab"
    data_utils.create_vocabulary(str(path), str(corpus), size, **kwargs)
    return path.read_bytes()


def test_constants_are_the_originals():
    assert data_utils._START_VOCAB == [b"_PAD", b"_GO", b"_EOS", b"_UNK"]
    assert (data_utils.PAD_ID, data_utils.GO_ID, data_utils.EOS_ID, data_utils.UNK_ID) == (
        0,
        1,
        2,
        3,
    )


def test_equal_counts_keep_first_appearance_order(tmp_path):
    # "b" and "a" both appear twice, "z" once: count first, then first appearance.
    written = make_vocabulary(tmp_path, b"z b\na b\na\n")
    assert written == SPECIALS + b"b\na\nz\n"


def test_truncation_cuts_inside_a_tie_by_first_appearance(tmp_path):
    written = make_vocabulary(tmp_path, b"q w e r t y\ny t\n", size=7)
    assert written == SPECIALS + b"t\ny\nq\n"


def test_digits_are_normalized_unless_asked_not_to(tmp_path):
    assert make_vocabulary(tmp_path, b"12 34 x5\n") == SPECIALS + b"00\nx0\n"
    (tmp_path / "vocab").unlink()
    assert make_vocabulary(tmp_path, b"12 34 x5\n", normalize_digits=False) == (
        SPECIALS + b"12\n34\nx5\n"
    )


def test_existing_vocabulary_is_kept(tmp_path):
    (tmp_path / "vocab").write_bytes(b"keep me\n")
    assert make_vocabulary(tmp_path, b"other words\n") == b"keep me\n"


def test_too_small_size_is_refused_and_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="max_vocabulary_size is 3"):
        make_vocabulary(tmp_path, b"a\n", size=3)
    assert not (tmp_path / "vocab").exists()


def test_missing_corpus_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no_such_corpus"):
        data_utils.create_vocabulary(str(tmp_path / "v"), str(tmp_path / "no_such_corpus"), 10)


def test_tokenizer_returning_str_writes_nothing(tmp_path):
    with pytest.raises(TypeError, match="tokens must be bytes"):
        make_vocabulary(tmp_path, b"a b\n", tokenizer=lambda line: line.decode().split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus"]


def test_undecodable_bytes_are_kept_as_bytes(tmp_path):
    assert make_vocabulary(tmp_path, b"\xff\xfe ok \xc3\n") == SPECIALS + b"\xff\xfe\nok\n\xc3\n"


def test_initialize_vocabulary_reads_ids_in_file_order(tmp_path):
    path = tmp_path / "vocab"
    path.write_bytes(b"dog\ncat \r\n")
    assert data_utils.initialize_vocabulary(str(path)) == ({b"dog": 0, b"cat": 1}, [b"dog", b"cat"])


def test_special_symbol_found_in_the_corpus_maps_to_its_last_line(tmp_path):
    # A corpus containing the text "_UNK" makes the original list it twice.
    written = make_vocabulary(tmp_path, b"_UNK word _UNK\n")
    assert written == SPECIALS + b"_UNK\nword\n"
    vocab, rev_vocab = data_utils.initialize_vocabulary(str(tmp_path / "vocab"))
    assert vocab[b"_UNK"] == 4 and rev_vocab[3] == b"_UNK"


def test_duplicate_entry_is_an_error_naming_lines(tmp_path):
    path = tmp_path / "vocab"
    path.write_bytes(SPECIALS + b"dog\ncat\ndog\n")
    with pytest.raises(ValueError, match=r"lists b'dog' twice, on lines 5 and 7"):
        data_utils.initialize_vocabulary(str(path))


def test_missing_vocabulary_is_a_value_error_like_the_original(tmp_path):
    with pytest.raises(ValueError, match="Vocabulary file .*absent not found"):
        data_utils.initialize_vocabulary(str(tmp_path / "absent"))


@pytest.mark.parametrize(
    "content", [b"_PAD\n_GO\n_EOS\n", b"dog\ncat\n_EOS\n_UNK\n", b"_PAD\n_GO\n_UNK\n_EOS\nx\n"]
)
def test_check_special_symbols_rejects_incomplete_vocabularies(tmp_path, content):
    path = tmp_path / "vocab"
    path.write_bytes(content)
    _, rev_vocab = data_utils.initialize_vocabulary(str(path))
    with pytest.raises(ValueError, match="must begin with the 4 special symbols"):
        vocabulary.check_special_symbols(rev_vocab, str(path))


def peak_memory(tmp_path, lines: int) -> int:
    """Peak traced memory of create_vocabulary + data_to_token_ids on `lines` random lines."""
    rng = random.Random(0)
    words = [b"word%03d-abcdefghijk" % i for i in range(300)]
    corpus = tmp_path / f"corpus{lines}"
    with corpus.open("wb") as stream:
        for _ in range(lines // 1000):
            stream.write(b"".join(b" ".join(rng.choices(words, k=12)) + b"\n" for _ in range(1000)))
    vocab, ids = tmp_path / f"vocab{lines}", tmp_path / f"ids{lines}"
    tracemalloc.start()
    try:
        data_utils.create_vocabulary(str(vocab), str(corpus), 1000)
        data_utils.data_to_token_ids(str(corpus), str(ids), str(vocab))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ids.read_bytes().count(b"\n") == lines
    return peak


def test_memory_grows_with_the_vocabulary_not_the_corpus(tmp_path):
    # Lines of about 240 bytes: 15,000 lines are 3.6 MB (several 1 MiB blocks), and 60,000
    # lines four times that, with the same 300 words.
    small = peak_memory(tmp_path, 15_000)
    large = peak_memory(tmp_path, 60_000)
    assert large < 1.1 * small
    assert large < (tmp_path / "corpus60000").stat().st_size
