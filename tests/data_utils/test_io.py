"""data_utils._io: reading lines exactly as TF's GFile does, and all-or-nothing writes."""

from __future__ import annotations

import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data_utils import _io

# Bytes that matter for line splitting, mixed with ordinary ones.
LINE_BYTES = st.lists(st.sampled_from([b"\n", b"\r", b"\r\n", b"a", b"bc", b" ", b"\xff"])).map(
    b"".join
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=LINE_BYTES | st.binary(max_size=200), block_size=st.integers(1, 8))
def test_lines_are_the_ones_gfile_iteration_yields(tmp_path, data, block_size):
    path = tmp_path / "data"
    path.write_bytes(data)
    with tf.io.gfile.GFile(str(path), "rb") as stream:
        expected = list(stream)
    blocks = list(_io.read_line_blocks(str(path), block_size))
    assert all(blocks)
    assert all(block.endswith(b"\n") for block in blocks[:-1])
    assert b"".join(blocks) == b"".join(expected)
    assert list(_io.iter_lines(str(path))) == expected
    assert _io.count_lines(str(path)) == len(expected)


def test_carriage_returns_vanish_everywhere(tmp_path):
    path = tmp_path / "data"
    path.write_bytes(b"a\rb\r\n\r\n\rc\r")
    assert list(_io.iter_lines(str(path))) == [b"ab\n", b"\n", b"c"]


def test_missing_file_is_named(tmp_path):
    missing = str(tmp_path / "nope.txt")
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        list(_io.iter_lines(missing))


def test_atomic_output_appears_complete(tmp_path):
    path = tmp_path / "out"
    with _io.atomic_output(str(path)) as stream:
        stream.write(b"part one ")
        assert not path.exists()
        stream.write(b"part two")
    assert path.read_bytes() == b"part one part two"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_atomic_output_leaves_nothing_on_error(tmp_path):
    path = tmp_path / "out"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"):
        with _io.atomic_output(str(path)) as stream:
            stream.write(b"new but incomplete")
            raise RuntimeError("boom")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
