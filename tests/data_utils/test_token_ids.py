"""data_utils.token_ids: sentences and files to token ids, round trips through the vocabulary."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import data_utils
from data_utils.tokenizer import zero_digits

WORDS = st.sampled_from([b"cat", b"Caf\xc3\xa9", b"42", b"x9y", b"\xff", b"_UNK", b"a"])
PUNCTUATION = st.sampled_from([b".", b",", b"!", b"?", b"'", b'"', b":", b";", b"(", b")"])
SPACES = st.sampled_from([b" ", b"\t", b"  ", b"\x0b", b"\x0c"])
SENTENCES = st.lists(st.one_of(WORDS, PUNCTUATION, SPACES), max_size=30).map(b"".join)
ANY_SENTENCE = SENTENCES | st.binary(max_size=60) | st.text(max_size=40)


def vocabulary_for(tokens: list[bytes]) -> tuple[dict[bytes, int], list[bytes]]:
    rev_vocab = list(data_utils._START_VOCAB)
    rev_vocab += [token for token in dict.fromkeys(tokens) if token not in rev_vocab]
    return {token: index for index, token in enumerate(rev_vocab)}, rev_vocab


def test_docstring_example():
    vocabulary = {b"I": 1, b"have": 2, b"a": 4, b"dog": 7}
    assert data_utils.sentence_to_token_ids(b"I have a dog", vocabulary) == [1, 2, 4, 7]


@given(ANY_SENTENCE, st.booleans())
def test_never_crashes_and_unknown_tokens_get_unk(sentence, normalize_digits):
    ids = data_utils.sentence_to_token_ids(sentence, {b"cat": 4}, None, normalize_digits)
    assert set(ids) <= {4, data_utils.UNK_ID}
    assert len(ids) == len(data_utils.basic_tokenizer(sentence))


@given(ANY_SENTENCE, st.booleans())
def test_ids_round_trip_through_the_vocabulary(sentence, normalize_digits):
    tokens = data_utils.basic_tokenizer(sentence)
    if normalize_digits:
        tokens = [zero_digits(token) for token in tokens]
    vocab, rev_vocab = vocabulary_for(tokens)
    ids = data_utils.sentence_to_token_ids(sentence, vocab, normalize_digits=normalize_digits)
    assert [rev_vocab[i] for i in ids] == tokens


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sentences=st.lists(SENTENCES, min_size=1, max_size=8), normalize_digits=st.booleans())
def test_files_round_trip_through_a_created_vocabulary(tmp_path, sentences, normalize_digits):
    corpus, vocab_path, ids_path = (tmp_path / name for name in ("corpus", "vocab", "ids"))
    for path in (vocab_path, ids_path):
        path.unlink(missing_ok=True)
    corpus.write_bytes(b"\n".join(sentences) + b"\n")
    data_utils.create_vocabulary(str(vocab_path), str(corpus), 10**6, None, normalize_digits)
    data_utils.data_to_token_ids(
        str(corpus), str(ids_path), str(vocab_path), None, normalize_digits
    )
    _, rev_vocab = data_utils.initialize_vocabulary(str(vocab_path))
    id_lines = ids_path.read_bytes().split(b"\n")
    assert id_lines.pop() == b""
    assert len(id_lines) == len(sentences)
    for sentence, line in zip(sentences, id_lines):
        expected = data_utils.basic_tokenizer(sentence)
        if normalize_digits:
            expected = [zero_digits(token) for token in expected]
        # "_UNK" in the text is a word of its own, listed again after the special symbols.
        assert [rev_vocab[int(i)] for i in line.split()] == expected
        assert data_utils.UNK_ID not in [int(i) for i in line.split()]


def test_custom_tokenizer_sees_each_line_with_its_newline(tmp_path):
    corpus, vocab = tmp_path / "corpus", tmp_path / "vocab"
    corpus.write_bytes(b"a b\r\nb\nlast")
    vocab.write_bytes(b"_PAD\n_GO\n_EOS\n_UNK\nb\n")
    seen = []

    def tokenizer(line):
        seen.append(line)
        return line.split()

    data_utils.data_to_token_ids(str(corpus), str(tmp_path / "ids"), str(vocab), tokenizer)
    assert seen == [b"a b\n", b"b\n", b"last"]
    assert (tmp_path / "ids").read_bytes() == b"3 4\n4\n3\n"


def test_existing_target_is_kept(tmp_path):
    (tmp_path / "ids").write_bytes(b"old\n")
    data_utils.data_to_token_ids(
        str(tmp_path / "missing"), str(tmp_path / "ids"), str(tmp_path / "also_missing")
    )
    assert (tmp_path / "ids").read_bytes() == b"old\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"_PAD\n_GO\n", "it has 2 entries"),
        (b"dog\ncat\nfish\nbird\n", "must begin with the 4 special symbols"),
        (b"_PAD\n_GO\n_EOS\n_UNK\nx\ny\nx\n", "lists b'x' twice"),
    ],
)
def test_bad_vocabulary_is_refused_and_nothing_written(tmp_path, content, message):
    (tmp_path / "corpus").write_bytes(b"x y\n")
    (tmp_path / "vocab").write_bytes(content)
    with pytest.raises(ValueError, match=message):
        data_utils.data_to_token_ids(
            str(tmp_path / "corpus"), str(tmp_path / "ids"), str(tmp_path / "vocab")
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "vocab"]


def test_missing_data_or_vocabulary_is_named(tmp_path):
    (tmp_path / "corpus").write_bytes(b"x\n")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        data_utils.data_to_token_ids(
            str(tmp_path / "nowhere"), str(tmp_path / "ids"), str(tmp_path / "corpus")
        )
    with pytest.raises(ValueError, match="Vocabulary file .*no_vocab not found"):
        data_utils.data_to_token_ids(
            str(tmp_path / "corpus"), str(tmp_path / "ids"), str(tmp_path / "no_vocab")
        )
    assert not (tmp_path / "ids").exists()
