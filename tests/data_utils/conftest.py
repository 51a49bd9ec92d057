"""Fixtures for the data_utils tests: a local HTTP file server with switchable behaviour."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import os
import re
import threading
from collections.abc import Iterator

import pytest


@dataclasses.dataclass
class FileServer:
    """A server on 127.0.0.1 serving `directory`; the test can change how it answers."""

    directory: str
    base_url: str = ""
    # Honour "Range: bytes=N-" requests (Python's own handler ignores them).
    supports_range: bool = True
    # When set, send only this many bytes of the body, then drop the connection.
    cut_after: int | None = None
    # (path, Range header or None) for every GET, in order.
    requests: list = dataclasses.field(default_factory=list)

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves files of `server.files.directory` with optional ranges and truncation."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        files: FileServer = self.server.files
        files.requests.append((self.path, self.headers.get("Range")))
        path = os.path.join(files.directory, self.path.lstrip("/"))
        if not os.path.isfile(path):
            self.send_error(404, "Not Found")
            return
        with open(path, "rb") as stream:
            data = stream.read()
        start = 0
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if match and files.supports_range:
            start = int(match.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if files.cut_after is not None:
            body = body[: files.cut_after]
            self.close_connection = True
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        """Keeps the test output clean."""


@pytest.fixture
def file_server(tmp_path) -> Iterator[FileServer]:
    """An HTTP server on 127.0.0.1 (free port) serving the directory `tmp_path / "served"`."""
    directory = tmp_path / "served"
    directory.mkdir()
    files = FileServer(str(directory))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(directory))
    )
    server.files = files
    server.daemon_threads = True
    files.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield files
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
