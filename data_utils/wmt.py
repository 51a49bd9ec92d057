"""The WMT'15 English-French data the tutorial trains on: download, unpack, prepare."""

from __future__ import annotations

import os
import sys

import tensorflow as tf

from data_utils.archives import extract_tar, gunzip_file
from data_utils.download import maybe_download
from data_utils.prepare import prepare_data
from data_utils.tokenizer import Tokenizer

# URLs for WMT data.
_WMT_ENFR_TRAIN_URL = "http://www.statmt.org/wmt10/training-giga-fren.tar"
_WMT_ENFR_DEV_URL = "http://www.statmt.org/wmt15/dev-v2.tgz"

_TRAIN_NAME = "giga-fren.release2.fixed"
_DEV_NAME = "newstest2013"


def _default_url(name: str) -> str:
    """Reads a URL constant from the package at call time.

    Code written for the original single module changes `data_utils._WMT_ENFR_TRAIN_URL` (for
    a mirror, or a test server); reading it from the package keeps that working.
    """
    return getattr(sys.modules["data_utils"], name)


def _both_exist(path: str) -> bool:
    return tf.io.gfile.exists(path + ".fr") and tf.io.gfile.exists(path + ".en")


def get_wmt_enfr_train_set(directory: str, *, url: str | None = None) -> str:
    """Downloads and unpacks the WMT English-French training corpus unless it is there.

    Leaves `training-giga-fren.tar`, the two `.gz` files it holds and the unpacked
    `giga-fren.release2.fixed.en` / `.fr` in `directory`, as the original does.

    Args:
        directory: where to put the files; any `tf.io.gfile` path.
        url: keyword-only; where to download the tar from (default
            `data_utils._WMT_ENFR_TRAIN_URL`).

    Returns:
        str: the common prefix of the two files, `directory/giga-fren.release2.fixed`.

    Raises:
        DownloadError: the download failed.
        ValueError: the archive is corrupt.
        EOFError: a .gz file in it is truncated.
    """
    train_path = os.path.join(directory, _TRAIN_NAME)
    if not _both_exist(train_path):
        corpus_file = maybe_download(
            directory, "training-giga-fren.tar", url or _default_url("_WMT_ENFR_TRAIN_URL")
        )
        print(f"Extracting tar file {corpus_file}")
        extract_tar(corpus_file, directory)
        gunzip_file(train_path + ".fr.gz", train_path + ".fr")
        gunzip_file(train_path + ".en.gz", train_path + ".en")
    return train_path


def get_wmt_enfr_dev_set(directory: str, *, url: str | None = None) -> str:
    """Downloads the WMT dev archive and unpacks newstest2013.en / .fr unless they are there.

    Args:
        directory: where to put the files; any `tf.io.gfile` path.
        url: keyword-only; where to download the archive from (default
            `data_utils._WMT_ENFR_DEV_URL`).

    Returns:
        str: the common prefix of the two files, `directory/newstest2013`.

    Raises:
        DownloadError: the download failed.
        KeyError: the archive lacks dev/newstest2013.en or .fr.
        ValueError: the archive is corrupt.
    """
    dev_path = os.path.join(directory, _DEV_NAME)
    if not _both_exist(dev_path):
        dev_file = maybe_download(directory, "dev-v2.tgz", url or _default_url("_WMT_ENFR_DEV_URL"))
        print(f"Extracting tgz file {dev_file}")
        # Unpacked without the archive's "dev/" folder, as the original does.
        extract_tar(
            dev_file,
            directory,
            {f"dev/{_DEV_NAME}.{lang}": f"{_DEV_NAME}.{lang}" for lang in ("fr", "en")},
        )
    return dev_path


def prepare_wmt_data(
    data_dir: str,
    en_vocabulary_size: int,
    fr_vocabulary_size: int,
    tokenizer: Tokenizer | None = None,
    *,
    train_url: str | None = None,
    dev_url: str | None = None,
) -> tuple[str, str, str, str, str, str]:
    """Gets the WMT data into `data_dir`, creates the vocabularies and the token-id files.

    English is the "from" language, French the "to" language; see `prepare_data`.

    Args:
        data_dir: directory for all files.
        en_vocabulary_size: most entries in the English vocabulary.
        fr_vocabulary_size: most entries in the French vocabulary.
        tokenizer: function from a bytes line to bytes tokens; None means `basic_tokenizer`.
        train_url: keyword-only; overrides the training archive's URL.
        dev_url: keyword-only; overrides the dev archive's URL.

    Returns:
        tuple of 6 str: paths of the English and French training ids, the English and French
        dev ids, the English and the French vocabulary.

    Raises:
        DownloadError, ValueError, EOFError, KeyError: see the functions above.
    """
    train_path = get_wmt_enfr_train_set(data_dir, url=train_url)
    dev_path = get_wmt_enfr_dev_set(data_dir, url=dev_url)
    return prepare_data(
        data_dir,
        train_path + ".en",
        train_path + ".fr",
        dev_path + ".en",
        dev_path + ".fr",
        en_vocabulary_size,
        fr_vocabulary_size,
        tokenizer,
    )
