"""`data_utils` loads its names on first use: the tokenizer and symbols need no TensorFlow."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import data_utils

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_every_public_name_resolves():
    for name in data_utils.__all__:
        assert getattr(data_utils, name) is not None, name
    assert set(dir(data_utils)) >= set(data_utils.__all__)


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no_such_function"):
        data_utils.no_such_function  # noqa: B018


def test_tokenizing_a_sentence_does_not_import_tensorflow():
    code = (
        "import sys\n"
        "from data_utils import EOS_ID, sentence_to_token_ids\n"
        "assert sentence_to_token_ids(b'I have 2 dogs.', {b'I': 4, b'00': 5}) == [4, 3, 3, 3, 3]\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'\n"
        "import data_utils\n"
        "data_utils.prepare_data\n"
        "assert 'tensorflow' in sys.modules\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=_ROOT, capture_output=True,
                               text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-2000:]
