"""Datasets of the course: found offline, or downloaded once and verified.

Lookup order for every file: the folder in ``NNKURS_DATA_DIR`` (if set), then ``data/`` in the
repository. A file that is missing everywhere is downloaded from its canonical source into the
first writable of these folders, checked against its published checksum and written atomically
(temporary file + rename), so an interrupted download never leaves a half file behind. A file
whose checksum does not match is never used. The temporary folder of a download that was killed
hard (``.download-*``) is removed the next time a file of that folder is looked up.

Offline, without a copy or without a writable data folder, :class:`DatenNichtVerfuegbar` says
in German which file is missing, where to put it and where to get it.

Verwendet in den Notebooks 01–06.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import shutil
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT / "data"

# German class names of Fashion-MNIST, index = label.
FASHION_MNIST_CLASSES = (
    "T-Shirt/Top", "Hose", "Pullover", "Kleid", "Mantel",
    "Sandale", "Hemd", "Sneaker", "Tasche", "Stiefelette",
)


@dataclass(frozen=True)
class Source:
    """Where a file comes from and how it is verified.

    ``sha256`` is the checksum of the file as stored (uncompressed); ``gzip_md5`` is the
    published MD5 of the compressed download, if the source serves a ``.gz``.
    """

    url: str
    sha256: str
    gzip_md5: str | None = None


_MNIST = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_FASHION = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_TOX21_TAB = "https://raw.githubusercontent.com/filipsPL/tox21_dataset/6228faf2/compounds/sr-mmp.tab"
_TOX21_CSV = "https://raw.githubusercontent.com/chemprop/chemprop/f814b63e/data/tox21.csv"

#: Every dataset file the course uses, by its path below the data folder.
SOURCES: dict[str, Source] = {
    "MNIST/raw/train-images-idx3-ubyte": Source(
        _MNIST + "train-images-idx3-ubyte.gz",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "MNIST/raw/train-labels-idx1-ubyte": Source(
        _MNIST + "train-labels-idx1-ubyte.gz",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "d53e105ee54ea40749a09fcbcd1e9432"),
    "MNIST/raw/t10k-images-idx3-ubyte": Source(
        _MNIST + "t10k-images-idx3-ubyte.gz",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "9fb629c4189551a2d022fa330f9573f3"),
    "MNIST/raw/t10k-labels-idx1-ubyte": Source(
        _MNIST + "t10k-labels-idx1-ubyte.gz",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        "ec29112dd5afa0611ce80d1b7f02629c"),
    "FashionMNIST/raw/train-images-idx3-ubyte": Source(
        _FASHION + "train-images-idx3-ubyte.gz",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    "FashionMNIST/raw/train-labels-idx1-ubyte": Source(
        _FASHION + "train-labels-idx1-ubyte.gz",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "25c81989df183df01b3e8a0aad5dffbe"),
    "FashionMNIST/raw/t10k-images-idx3-ubyte": Source(
        _FASHION + "t10k-images-idx3-ubyte.gz",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "bef4ecab320f06d8554ea6380940ec79"),
    "FashionMNIST/raw/t10k-labels-idx1-ubyte": Source(
        _FASHION + "t10k-labels-idx1-ubyte.gz",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        "bb300cfdad3c16e7a12a480ee83cd310"),
    "tox21/sr-mmp.tab": Source(
        _TOX21_TAB, "8a3712935a155d499e230ec35f0c09c64be103d31122267f2e5b5a94773dbe44"),
    "tox21/tox21.csv": Source(
        _TOX21_CSV, "b58cc1f683e78e3c7a1bf7116e9aac0119804018d100f7b8cdb0857941c31aca"),
}


class DatenNichtVerfuegbar(RuntimeError):
    """A dataset file is neither on disk nor downloadable (message in German)."""


def data_dirs() -> list[Path]:
    """Folders searched for dataset files, in order: ``NNKURS_DATA_DIR``, then ``data/``."""
    dirs = []
    env = os.environ.get("NNKURS_DATA_DIR")
    if env:
        dirs.append(Path(env).expanduser().resolve())
    dirs.append(DEFAULT_DATA_DIR)
    return dirs


def fetch(name: str, *, progress: bool = True) -> Path:
    """Path of the verified dataset file ``name`` (a key of :data:`SOURCES`), downloading if needed."""
    source = SOURCES[name]
    for folder in data_dirs():
        path = folder / name
        clean_stale_downloads(path.parent)
        if path.is_file():
            if _verified(path, source.sha256):
                return path
            print(
                f"Warnung: {path} ist beschädigt oder unvollständig (Prüfsumme stimmt nicht) "
                "und wird nicht verwendet.",
                file=sys.stderr,
            )
    folder = _writable_dir()
    if folder is None:
        raise DatenNichtVerfuegbar(_missing_message(
            name, source, "keiner der Datenordner ist beschreibbar, also kann sie nicht "
            "heruntergeladen werden", writable_hint=True))
    target = folder / name
    try:
        _download(source, target, progress=progress)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        raise DatenNichtVerfuegbar(_missing_message(name, source, exc)) from None
    return target


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an (uncompressed) IDX file as used by MNIST into a NumPy array."""
    raw = bytearray(Path(path).read_bytes())  # writable: torch.from_numpy needs that
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} ist keine IDX-Datei mit uint8-Daten.")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path} ist unvollständig: {data.size} statt {int(np.prod(shape))} Werte.")
    return data.reshape(shape)


def _load_idx_dataset(folder: str):
    def load(split: str) -> tuple[np.ndarray, np.ndarray]:
        images = read_idx(fetch(f"{folder}/raw/{split}-images-idx3-ubyte"))
        labels = read_idx(fetch(f"{folder}/raw/{split}-labels-idx1-ubyte")).astype(np.int64)
        return images, labels

    return load("train"), load("t10k")


def load_mnist():
    """MNIST digits as ``(x_train, y_train), (x_test, y_test)``.

    Images are ``uint8`` arrays of shape ``(n, 28, 28)`` with values 0–255, labels ``int64``
    (60 000 training and 10 000 test images). Verwendet in den Notebooks 01–04.
    """
    return _load_idx_dataset("MNIST")


def load_fashion_mnist():
    """Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``, same format as :func:`load_mnist`.

    Class names (German) are in :data:`FASHION_MNIST_CLASSES`. Verwendet in Notebook 05.
    """
    return _load_idx_dataset("FashionMNIST")


def load_tox21_sr_mmp():
    """The balanced Tox21 SR-MMP training set: DataFrame with ``Compound``, ``SMILES``, ``activity``.

    2 246 compounds, 1 123 of them active. Verwendet in Notebook 06.
    """
    import pandas as pd

    return pd.read_csv(fetch("tox21/sr-mmp.tab"), sep="\t")


def load_tox21():
    """The MoleculeNet Tox21 table: ``smiles`` and 12 assay columns (1.0, 0.0 or NaN = not measured).

    7 831 molecules; SR-MMP is about 16 % active. Verwendet in Notebook 06.
    """
    import pandas as pd

    return pd.read_csv(fetch("tox21/tox21.csv"))


# --- internals -----------------------------------------------------------------------------

_VERIFIED: dict[tuple[str, int, int], bool] = {}


def _file_digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _verified(path: Path, sha256: str) -> bool:
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _VERIFIED:
        _VERIFIED[key] = _file_digest(path, "sha256") == sha256
    return _VERIFIED[key]


def _writable_dir() -> Path | None:
    """The first data folder that exists (or can be made) and is writable, else ``None``."""
    for folder in data_dirs():
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    return None


#: A ``.download-*`` folder in which nothing was written for this long is abandoned.
STALE_DOWNLOAD_SECONDS = 10 * 60
_HOST = socket.gethostname().replace("-", "_") or "host"


def _download_prefix() -> str:
    """Prefix of a download's temporary folder: names this process (``.download-PID-HOST-``)."""
    return f".download-{os.getpid()}-{_HOST}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to someone else
        return True
    return True


def _is_stale(folder: Path, now: float) -> bool:
    """Abandoned download folder: its process (on this machine) is gone, or it is idle too long."""
    parts = folder.name.split("-")
    if len(parts) >= 4 and parts[1].isdigit() and parts[2] == _HOST and not _alive(int(parts[1])):
        return True
    try:
        newest = max([folder.stat().st_mtime] + [p.stat().st_mtime for p in folder.iterdir()])
    except OSError:
        return False
    return now - newest > STALE_DOWNLOAD_SECONDS


def clean_stale_downloads(folder: Path) -> list[Path]:
    """Remove abandoned ``.download-*`` folders in ``folder`` (left by a killed download)."""
    removed = []
    now = time.time()
    for tmp in sorted(folder.glob(".download-*")) if folder.is_dir() else []:
        if tmp.is_dir() and _is_stale(tmp, now):
            shutil.rmtree(tmp, ignore_errors=True)
            if not tmp.exists():
                removed.append(tmp)
    return removed


def _download(source: Source, target: Path, *, progress: bool) -> None:
    """Download ``source`` to ``target``: verify, then rename atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_downloads(target.parent)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=_download_prefix()) as tmp:
        raw = Path(tmp) / "download"
        _stream(source.url, raw, label=target.name, progress=progress)
        if source.gzip_md5 is not None:
            if _file_digest(raw, "md5") != source.gzip_md5:
                raise ValueError("Prüfsumme (MD5) des Downloads stimmt nicht")
            unpacked = Path(tmp) / "unpacked"
            try:
                with gzip.open(raw, "rb") as src, open(unpacked, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            except (OSError, EOFError) as exc:
                raise ValueError(f"Download ist kein gültiges gzip-Archiv ({exc})") from None
            raw = unpacked
        if _file_digest(raw, "sha256") != source.sha256:
            raise ValueError("Prüfsumme (SHA-256) des Downloads stimmt nicht")
        os.replace(raw, target)


def _stream(url: str, dest: Path, *, label: str, progress: bool) -> None:
    from tqdm.auto import tqdm

    request = urllib.request.Request(url, headers={"User-Agent": "nn-kurs"})
    with urllib.request.urlopen(request, timeout=60) as response, open(dest, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        written = 0
        with tqdm(total=total, unit="B", unit_scale=True, desc=f"Lade {label}",
                  disable=not progress) as bar:
            for block in iter(lambda: response.read(1 << 16), b""):
                out.write(block)
                written += len(block)
                bar.update(len(block))
        if total is not None and written != total:
            raise ValueError("Download ist unvollständig")


def _missing_message(name: str, source: Source, exc: Exception | str, *,
                     writable_hint: bool = False) -> str:
    where = " oder ".join(str(d / name) for d in data_dirs())
    reason = exc if isinstance(exc, str) else (getattr(exc, "reason", None) or exc)
    alternative = (
        "Oder setzen Sie NNKURS_DATA_DIR auf einen beschreibbaren Ordner (dann lädt der Kurs "
        "die Datei selbst) oder auf einen Ordner, der die Datei unter diesem Namen enthält."
        if writable_hint else
        "Oder setzen Sie NNKURS_DATA_DIR auf einen Ordner, der die Datei unter diesem Namen "
        "enthält."
    )
    return (
        f"Die Datei »{name}« fehlt und konnte nicht geladen werden ({reason}).\n"
        f"So beheben Sie das: Laden Sie sie mit Internetverbindung von\n  {source.url}\n"
        f"(ist die Adresse auf .gz, entpacken Sie die Datei) und legen Sie sie hier ab:\n  {where}\n"
        f"{alternative} Hinweise und Prüfsummen stehen in data/README.md."
    )
