"""data_utils.wmt: a miniature WMT download served locally, compared with the original's files."""

from __future__ import annotations

import gzip
import io
import json
import os
import pathlib
import tarfile

import pytest

import data_utils

GOLDEN = pathlib.Path(__file__).parent / "golden"
CASE = json.loads((GOLDEN / "manifest.json").read_text())["wmt"]


def add_member(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


@pytest.fixture
def wmt_server(file_server):
    """Serves training-giga-fren.tar and dev-v2.tgz built from the golden WMT inputs."""
    source = GOLDEN / "wmt"
    with tarfile.open(os.path.join(file_server.directory, "training-giga-fren.tar"), "w") as tar:
        for lang in ("en", "fr"):
            data = (source / f"giga-fren.release2.fixed.{lang}").read_bytes()
            add_member(tar, f"giga-fren.release2.fixed.{lang}.gz", gzip.compress(data))
    with tarfile.open(os.path.join(file_server.directory, "dev-v2.tgz"), "w:gz") as tgz:
        for name in ("newstest2012.en", "newstest2013.en", "newstest2013.fr"):
            add_member(tgz, f"dev/{name}", (source / name).read_bytes())
    return file_server


def test_prepare_wmt_data_matches_original(wmt_server, tmp_path, monkeypatch):
    # Set the constants on the package, as one would on the original module.
    monkeypatch.setattr(data_utils, "_WMT_ENFR_TRAIN_URL", wmt_server.url("training-giga-fren.tar"))
    monkeypatch.setattr(data_utils, "_WMT_ENFR_DEV_URL", wmt_server.url("dev-v2.tgz"))
    data_dir = tmp_path / "wmt"
    result = data_utils.prepare_wmt_data(str(data_dir), *CASE["sizes"])
    assert [os.path.relpath(path, data_dir) for path in result] == CASE["returned"]
    assert sorted(os.listdir(data_dir)) == sorted(CASE["outputs"])
    for name, golden in CASE["outputs"].items():
        if golden is not None:
            assert (data_dir / name).read_bytes() == (GOLDEN / golden).read_bytes(), name


def test_urls_can_be_given_directly_and_existing_files_skip_the_download(wmt_server, tmp_path):
    train = data_utils.get_wmt_enfr_train_set(
        str(tmp_path), url=wmt_server.url("training-giga-fren.tar")
    )
    dev = data_utils.get_wmt_enfr_dev_set(str(tmp_path), url=wmt_server.url("dev-v2.tgz"))
    assert train == str(tmp_path / "giga-fren.release2.fixed")
    assert dev == str(tmp_path / "newstest2013")
    assert pathlib.Path(dev + ".fr").read_bytes() == (GOLDEN / "wmt/newstest2013.fr").read_bytes()
    requests = len(wmt_server.requests)
    (tmp_path / "dev-v2.tgz").unlink()
    data_utils.get_wmt_enfr_dev_set(str(tmp_path), url=wmt_server.url("dev-v2.tgz"))
    assert len(wmt_server.requests) == requests


def test_dev_archive_without_newstest2013_is_named(file_server, tmp_path):
    with tarfile.open(os.path.join(file_server.directory, "dev-v2.tgz"), "w:gz") as tgz:
        add_member(tgz, "dev/newstest2012.en", b"x\n")
    with pytest.raises(KeyError, match="has no member dev/newstest2013"):
        data_utils.get_wmt_enfr_dev_set(str(tmp_path), url=file_server.url("dev-v2.tgz"))


def test_original_urls_are_kept():
    assert data_utils._WMT_ENFR_TRAIN_URL == "http://www.statmt.org/wmt10/training-giga-fren.tar"
    assert data_utils._WMT_ENFR_DEV_URL == "http://www.statmt.org/wmt15/dev-v2.tgz"
