"""The translate tutorial's data pipeline for TensorFlow 2, plus ready-made corpora.

`from data_utils import prepare_data`, `data_utils.PAD_ID` and the other names of the
tutorial's `data_utils.py` (tensorflow/models, tutorials/rnn/translate) work as they did there,
and the files written are byte-identical to the original's. Beyond the original:

- `data_utils.corpora`: tab-separated parallel corpora (Tatoeba / manythings style) split into
  the four files `prepare_data` takes.
- `data_utils.demo_corpus`: a small English-to-French translation task (numbers and dates)
  generated in code, no download needed.
- downloads resume, show progress and never leave a partial file under the final name.
"""

from data_utils import corpora, demo_corpus
from data_utils.archives import gunzip_file
from data_utils.download import DownloadError, maybe_download
from data_utils.prepare import prepare_data
from data_utils.token_ids import data_to_token_ids, sentence_to_token_ids
from data_utils.tokenizer import _DIGIT_RE, _WORD_SPLIT, basic_tokenizer
from data_utils.vocabulary import (
    _EOS,
    _GO,
    _PAD,
    _START_VOCAB,
    _UNK,
    EOS_ID,
    GO_ID,
    PAD_ID,
    UNK_ID,
    create_vocabulary,
    initialize_vocabulary,
)
from data_utils.wmt import (
    _WMT_ENFR_DEV_URL,
    _WMT_ENFR_TRAIN_URL,
    get_wmt_enfr_dev_set,
    get_wmt_enfr_train_set,
    prepare_wmt_data,
)

# The underscore names belong to the original module's interface too.
__all__ = [
    "_DIGIT_RE",
    "_EOS",
    "_GO",
    "_PAD",
    "_START_VOCAB",
    "_UNK",
    "_WMT_ENFR_DEV_URL",
    "_WMT_ENFR_TRAIN_URL",
    "_WORD_SPLIT",
    "DownloadError",
    "EOS_ID",
    "GO_ID",
    "PAD_ID",
    "UNK_ID",
    "basic_tokenizer",
    "corpora",
    "create_vocabulary",
    "data_to_token_ids",
    "demo_corpus",
    "get_wmt_enfr_dev_set",
    "get_wmt_enfr_train_set",
    "gunzip_file",
    "initialize_vocabulary",
    "maybe_download",
    "prepare_data",
    "prepare_wmt_data",
    "sentence_to_token_ids",
]
