"""data_utils.download against a local HTTP server on 127.0.0.1 started by the test."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import uuid

import pytest
import tensorflow as tf

import data_utils
from data_utils import download

PAYLOAD = gzip.compress(os.urandom(200_000), mtime=0)


@pytest.fixture
def served_gz(file_server):
    """A .gz of random bytes on the server; returns its name."""
    with open(os.path.join(file_server.directory, "data.gz"), "wb") as stream:
        stream.write(PAYLOAD)
    return "data.gz"


def listing(directory) -> list[str]:
    return sorted(os.listdir(directory))


def test_maybe_download_fetches_and_shows_progress(file_server, served_gz, tmp_path, capsys):
    target = tmp_path / "new" / "dir"
    path = data_utils.maybe_download(str(target), "copy.gz", file_server.url(served_gz))
    assert path == os.path.join(str(target), "copy.gz")
    assert (target / "copy.gz").read_bytes() == PAYLOAD
    assert listing(target) == ["copy.gz"]
    out, err = capsys.readouterr()
    assert f"Creating directory {target}" in out
    assert f"Successfully downloaded copy.gz {len(PAYLOAD)} bytes" in out
    assert "100%" in err and "copy.gz" in err


def test_maybe_download_keeps_an_existing_file(file_server, served_gz, tmp_path):
    (tmp_path / "copy.gz").write_bytes(b"already here")
    data_utils.maybe_download(str(tmp_path), "copy.gz", file_server.url(served_gz))
    assert (tmp_path / "copy.gz").read_bytes() == b"already here"
    assert file_server.requests == []


def test_http_error_is_clear_and_leaves_no_file(file_server, tmp_path):
    with pytest.raises(data_utils.DownloadError, match=r"missing\.tgz failed: HTTP 404"):
        data_utils.maybe_download(str(tmp_path), "m.tgz", file_server.url("missing.tgz"))
    assert listing(tmp_path) == ["served"]


def test_unreachable_server_is_a_download_error(tmp_path):
    with pytest.raises(data_utils.DownloadError, match="127.0.0.1:9"):
        download.download("http://127.0.0.1:9/x", str(tmp_path / "x"), timeout=5)


def test_cut_connection_keeps_only_the_part_file_then_resumes(file_server, served_gz, tmp_path):
    file_server.cut_after = 50_000
    target = tmp_path / "copy.gz"
    with pytest.raises(data_utils.DownloadError, match=r"copy\.gz\.part"):
        download.download(file_server.url(served_gz), str(target), progress=False)
    assert not target.exists()
    assert (tmp_path / "copy.gz.part").read_bytes() == PAYLOAD[:50_000]

    file_server.cut_after = None
    download.download(file_server.url(served_gz), str(target), progress=False)
    assert target.read_bytes() == PAYLOAD
    assert not (tmp_path / "copy.gz.part").exists()
    assert file_server.requests[-1] == ("/data.gz", "bytes=50000-")


def test_server_ignoring_range_restarts_cleanly(file_server, served_gz, tmp_path):
    file_server.supports_range = False
    (tmp_path / "copy.gz.part").write_bytes(b"stale bytes from an older file")
    download.download(file_server.url(served_gz), str(tmp_path / "copy.gz"), progress=False)
    assert (tmp_path / "copy.gz").read_bytes() == PAYLOAD
    assert file_server.requests == [("/data.gz", "bytes=30-")]


def test_complete_part_file_is_just_renamed(file_server, served_gz, tmp_path):
    (tmp_path / "copy.gz.part").write_bytes(PAYLOAD)
    download.download(file_server.url(served_gz), str(tmp_path / "copy.gz"), progress=False)
    assert (tmp_path / "copy.gz").read_bytes() == PAYLOAD
    assert len(file_server.requests) == 1


def test_oversized_part_file_is_discarded(file_server, served_gz, tmp_path):
    (tmp_path / "copy.gz.part").write_bytes(PAYLOAD + b"extra")
    download.download(file_server.url(served_gz), str(tmp_path / "copy.gz"), progress=False)
    assert (tmp_path / "copy.gz").read_bytes() == PAYLOAD
    assert [r[1] for r in file_server.requests] == [f"bytes={len(PAYLOAD) + 5}-", None]


def test_downloaded_tgz_unpacks(file_server, tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("dev/hello.txt")
        info.size = 6
        archive.addfile(info, io.BytesIO(b"hello\n"))
    with open(os.path.join(file_server.directory, "small.tgz"), "wb") as stream:
        stream.write(buffer.getvalue())
    path = data_utils.maybe_download(str(tmp_path / "d"), "small.tgz", file_server.url("small.tgz"))
    with tarfile.open(path) as archive:
        assert archive.extractfile("dev/hello.txt").read() == b"hello\n"


def test_progress_bar_without_known_size():
    stream = io.StringIO()
    bar = download._ProgressBar("file", None, stream)
    bar.update(3 << 20)
    bar.close()
    assert stream.getvalue() == "\rfile 3.0 MiB\n"


def test_downloads_into_other_tensorflow_file_systems(file_server, served_gz):
    # TF's in-memory file system stands in for gs://: the file is written through gfile. (Its
    # exists() also matches name prefixes, so a leftover "copy.gz.part" would pass for
    # "copy.gz" there; resuming is tested on local files above.)
    directory = f"ram://download-{uuid.uuid4().hex}/new"
    path = data_utils.maybe_download(directory, "copy.gz", file_server.url(served_gz))
    with tf.io.gfile.GFile(path, "rb") as stream:
        assert stream.read() == PAYLOAD
    assert tf.io.gfile.listdir(directory) == ["copy.gz"]
