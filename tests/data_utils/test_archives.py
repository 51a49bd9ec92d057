"""data_utils.archives: gunzip and tar extraction, with clear errors on damaged archives."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest

import data_utils
from data_utils import archives

TEXT = b"line one\nligne deux \xc3\xa9\n" * 2000


def make_tar(path, members: dict[str, bytes], mode: str = "w:gz") -> None:
    with tarfile.open(path, mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_gunzip_file(tmp_path):
    (tmp_path / "a.gz").write_bytes(gzip.compress(TEXT))
    data_utils.gunzip_file(str(tmp_path / "a.gz"), str(tmp_path / "a"))
    assert (tmp_path / "a").read_bytes() == TEXT


def test_truncated_gzip_is_an_eof_error_and_writes_nothing(tmp_path):
    packed = gzip.compress(TEXT)
    (tmp_path / "a.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(EOFError, match=r"a\.gz is truncated"):
        data_utils.gunzip_file(str(tmp_path / "a.gz"), str(tmp_path / "a"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gz"]


def test_corrupt_gzip_is_named_and_writes_nothing(tmp_path):
    packed = bytearray(gzip.compress(TEXT))
    packed[-8] ^= 0xFF  # the CRC no longer matches
    (tmp_path / "a.gz").write_bytes(bytes(packed))
    with pytest.raises(gzip.BadGzipFile, match=r"a\.gz is not valid gzip data"):
        data_utils.gunzip_file(str(tmp_path / "a.gz"), str(tmp_path / "a"))
    (tmp_path / "b.gz").write_bytes(b"plain text, not gzip")
    with pytest.raises(gzip.BadGzipFile, match=r"b\.gz"):
        data_utils.gunzip_file(str(tmp_path / "b.gz"), str(tmp_path / "b"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gz", "b.gz"]


def test_missing_gzip_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.gz"):
        data_utils.gunzip_file(str(tmp_path / "absent.gz"), str(tmp_path / "a"))


def test_extract_all_and_selected_members(tmp_path):
    make_tar(tmp_path / "x.tgz", {"dev/a.en": b"A\n", "dev/b.fr": b"B\n", "top": b"T\n"})
    out = tmp_path / "out"
    written = archives.extract_tar(str(tmp_path / "x.tgz"), str(out))
    assert sorted(written) == [str(out / "dev/a.en"), str(out / "dev/b.fr"), str(out / "top")]
    assert (out / "dev/b.fr").read_bytes() == b"B\n"
    archives.extract_tar(str(tmp_path / "x.tgz"), str(tmp_path / "flat"), {"dev/a.en": "a.en"})
    assert [p.name for p in (tmp_path / "flat").iterdir()] == ["a.en"]


def test_missing_member_is_named(tmp_path):
    make_tar(tmp_path / "x.tgz", {"dev/a.en": b"A\n"})
    with pytest.raises(KeyError, match="has no member dev/newstest2013.fr"):
        archives.extract_tar(str(tmp_path / "x.tgz"), str(tmp_path), {"dev/newstest2013.fr": "f"})


def test_member_outside_the_directory_is_refused(tmp_path):
    make_tar(tmp_path / "evil.tar", {"../escape": b"x"}, mode="w")
    with pytest.raises(ValueError, match="outside its directory"):
        archives.extract_tar(str(tmp_path / "evil.tar"), str(tmp_path / "out"))
    assert not (tmp_path / "escape").exists()


def test_truncated_tgz_is_a_clear_error(tmp_path):
    make_tar(tmp_path / "x.tgz", {"big": TEXT * 10})
    packed = (tmp_path / "x.tgz").read_bytes()
    (tmp_path / "x.tgz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(ValueError, match=r"x\.tgz is corrupt or truncated"):
        archives.extract_tar(str(tmp_path / "x.tgz"), str(tmp_path / "out"))
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
