"""utils.data: lookup order, checksums, atomic downloads from a local HTTP server, offline message.

No test here touches the internet: downloads come from a server on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from utils import data

PAYLOAD = b"nn-kurs test data\n" * 1000
SHA = hashlib.sha256(PAYLOAD).hexdigest()
GZ = gzip.compress(PAYLOAD, mtime=0)
GZ_MD5 = hashlib.md5(GZ).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[bytes, int | None]] = {
        "/good.bin": (PAYLOAD, None),
        "/good.bin.gz": (GZ, None),
        "/wrong.bin": (PAYLOAD + b"x", None),
        "/truncated.bin": (PAYLOAD[:100], len(PAYLOAD)),  # announces more than it sends
    }

    def do_GET(self):  # noqa: N802 - http.server API
        if self.path not in self.routes:
            self.send_error(404)
            return
        body, announced = self.routes[self.path]
        self.send_response(200)
        self.send_header("Content-Length", str(announced or len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """An empty NNKURS_DATA_DIR and an empty repository data/ folder."""
    env_dir, repo_dir = tmp_path / "env", tmp_path / "repo-data"
    env_dir.mkdir()
    monkeypatch.setenv("NNKURS_DATA_DIR", str(env_dir))
    monkeypatch.setattr(data, "DEFAULT_DATA_DIR", repo_dir)
    return env_dir, repo_dir


def _register(monkeypatch, url, sha=SHA, md5=None, name="test/file.bin"):
    monkeypatch.setitem(data.SOURCES, name, data.Source(url, sha, md5))
    return name


def test_lookup_prefers_env_dir_then_repo_data(dirs, monkeypatch):
    env_dir, repo_dir = dirs
    name = _register(monkeypatch, "http://127.0.0.1:9/never-used")
    (repo_dir / "test").mkdir(parents=True)
    (repo_dir / name).write_bytes(PAYLOAD)
    assert data.fetch(name) == repo_dir / name
    (env_dir / "test").mkdir()
    (env_dir / name).write_bytes(PAYLOAD)
    assert data.fetch(name) == env_dir / name


def test_download_verifies_and_writes_atomically(dirs, server, monkeypatch):
    env_dir, _ = dirs
    name = _register(monkeypatch, server + "/good.bin")
    path = data.fetch(name, progress=False)
    assert path == env_dir / name and path.read_bytes() == PAYLOAD
    assert [p.name for p in path.parent.iterdir()] == ["file.bin"]  # no temporary files left


def test_gzip_download_is_unpacked_after_md5_check(dirs, server, monkeypatch):
    name = _register(monkeypatch, server + "/good.bin.gz", md5=GZ_MD5)
    assert data.fetch(name, progress=False).read_bytes() == PAYLOAD


@pytest.mark.parametrize("route, md5", [("/wrong.bin", None), ("/truncated.bin", None),
                                        ("/good.bin.gz", "0" * 32), ("/missing.bin", None)])
def test_bad_downloads_are_never_used(dirs, server, monkeypatch, route, md5):
    env_dir, _ = dirs
    name = _register(monkeypatch, server + route, md5=md5)
    with pytest.raises(data.DatenNichtVerfuegbar) as info:
        data.fetch(name, progress=False)
    assert not (env_dir / name).exists()
    assert not list((env_dir / "test").glob(".download-*"))
    message = str(info.value)
    assert "»test/file.bin« fehlt" in message and server + route in message


def test_corrupt_local_copy_is_replaced_by_download(dirs, server, monkeypatch, capsys):
    env_dir, _ = dirs
    name = _register(monkeypatch, server + "/good.bin")
    (env_dir / "test").mkdir()
    (env_dir / name).write_bytes(PAYLOAD[:-5])
    assert data.fetch(name, progress=False).read_bytes() == PAYLOAD
    assert "beschädigt" in capsys.readouterr().err


def test_offline_message_is_german_and_actionable(dirs, monkeypatch):
    env_dir, repo_dir = dirs
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    name = _register(monkeypatch, "http://127.0.0.1:9/file.bin")
    with pytest.raises(data.DatenNichtVerfuegbar) as info:
        data.fetch(name, progress=False)
    message = str(info.value)
    assert "So beheben Sie das" in message
    assert str(env_dir / name) in message and str(repo_dir / name) in message
    assert "NNKURS_DATA_DIR" in message
    assert info.value.__suppress_context__  # no urllib traceback chained to it


def test_read_idx_checks_header_and_size(tmp_path):
    good = tmp_path / "good-idx"
    good.write_bytes(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(6)))
    arr = data.read_idx(good)
    assert arr.shape == (2, 3) and arr.dtype == np.uint8 and arr[1, 2] == 5
    arr[0, 0] = 9  # writable (torch.from_numpy warns on read-only arrays)
    short = tmp_path / "short-idx"
    short.write_bytes(good.read_bytes()[:-1])
    with pytest.raises(ValueError, match="unvollständig"):
        data.read_idx(short)
    with pytest.raises(ValueError, match="keine IDX"):
        data.read_idx(_write(tmp_path / "x", b"hello"))


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _all_present() -> bool:
    """Every dataset file has a copy in a data folder (``NNKURS_DATA_DIR``, which conftest.py
    points at the shared verified copies, or ``data/``): the real loaders need no network."""
    return all(any((folder / name).is_file() for folder in data.data_dirs())
               for name in data.SOURCES)


needs_data = pytest.mark.skipif(not _all_present(), reason="keine Kopie der Datensätze vorhanden")


@needs_data
def test_real_datasets_load_from_local_copies():
    for loader in (data.load_mnist, data.load_fashion_mnist):
        (x, y), (xt, yt) = loader()
        assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
        assert x.dtype == np.uint8 and y.dtype == np.int64
        assert set(np.unique(y)) == set(range(10))
    assert len(data.FASHION_MNIST_CLASSES) == 10
    tab = data.load_tox21_sr_mmp()
    assert len(tab) == 2246 and int(tab["activity"].sum()) == 1123
    table = data.load_tox21()
    assert len(table) == 7831 and "SR-MMP" in table.columns


def test_read_only_data_folders_name_the_file_the_source_and_what_to_do(tmp_path, monkeypatch):
    env_dir, repo_dir = tmp_path / "env", tmp_path / "repo-data"
    for folder in (env_dir, repo_dir):
        folder.mkdir()
    monkeypatch.setenv("NNKURS_DATA_DIR", str(env_dir))
    monkeypatch.setattr(data, "DEFAULT_DATA_DIR", repo_dir)
    monkeypatch.setattr(data.os, "access", lambda path, mode: False)  # as if read-only
    name = _register(monkeypatch, "http://127.0.0.1:9/file.bin")
    with pytest.raises(data.DatenNichtVerfuegbar) as info:
        data.fetch(name, progress=False)
    message = str(info.value)
    assert "»test/file.bin« fehlt" in message and "beschreibbar" in message
    assert "http://127.0.0.1:9/file.bin" in message and "So beheben Sie das" in message
    assert str(env_dir / name) in message and str(repo_dir / name) in message
    assert "NNKURS_DATA_DIR auf einen beschreibbaren Ordner" in message
    assert info.value.__context__ is None  # no chained traceback


def _leftover(folder: Path, name: str, *, age: float = 0.0) -> Path:
    tmp = folder / name
    tmp.mkdir(parents=True)
    (tmp / "download").write_bytes(b"halb")
    if age:
        stamp = time.time() - age
        for path in (tmp / "download", tmp):
            os.utime(path, (stamp, stamp))
    return tmp


def test_download_killed_hard_leaves_nothing_behind_after_the_next_run(dirs, server, monkeypatch):
    """A real SIGKILL in the middle of a download; the next fetch cleans up and succeeds."""
    env_dir, _ = dirs
    folder = env_dir / "test"
    folder.mkdir()
    script = (f"import os, signal, sys\nsys.path.insert(0, {str(data.REPO_ROOT)!r})\n"
              "from utils import data\n"
              "def killed(*args, **kwargs):\n    os.kill(os.getpid(), signal.SIGKILL)\n"
              "data._stream = killed\n"
              f"data._download(data.Source('x', 'y'), __import__('pathlib').Path({str(folder)!r})"
              " / 'file.bin', progress=False)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert result.returncode == -9, result.stderr
    assert len(list(folder.glob(".download-*"))) == 1  # what SIGKILL leaves
    name = _register(monkeypatch, server + "/good.bin")
    assert data.fetch(name, progress=False).read_bytes() == PAYLOAD
    assert sorted(p.name for p in folder.iterdir()) == ["file.bin"]


def test_lookup_of_a_present_file_also_cleans_up(dirs, monkeypatch):
    env_dir, _ = dirs
    name = _register(monkeypatch, "http://127.0.0.1:9/never-used")
    (env_dir / "test").mkdir()
    (env_dir / name).write_bytes(PAYLOAD)
    stale = _leftover(env_dir / "test", ".download-1-x-y", age=data.STALE_DOWNLOAD_SECONDS + 1)
    assert data.fetch(name) == env_dir / name and not stale.exists()


def test_only_abandoned_download_folders_are_removed(tmp_path):
    live = f".download-{os.getpid()}-{data._HOST}-live"
    keep = [_leftover(tmp_path, live), _leftover(tmp_path, ".download-alt-aber-frisch")]
    gone = [_leftover(tmp_path, f".download-{os.getpid()}-{data._HOST}-haengt",
                      age=data.STALE_DOWNLOAD_SECONDS + 60),
            _leftover(tmp_path, ".download-ohne-pid", age=data.STALE_DOWNLOAD_SECONDS + 60)]
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    gone.append(_leftover(tmp_path, f".download-{dead}-{data._HOST}-tot"))
    other_host = _leftover(tmp_path, f".download-{dead}-anderer_rechner-x")
    assert sorted(data.clean_stale_downloads(tmp_path)) == sorted(gone)
    assert all(p.is_dir() for p in [*keep, other_host])
    assert not any(p.exists() for p in gone)
    assert data.clean_stale_downloads(tmp_path / "gibt-es-nicht") == []
