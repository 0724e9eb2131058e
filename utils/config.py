"""Device choice, reproducibility and fast mode.

Fast mode (``NNKURS_FAST=1``) is what CI runs: small subsets and few epochs, so that every
solution notebook executes top to bottom in seconds. Full mode (the default) is what students
get. Notebooks never write ``if fast: ... else: ...`` with two sizes; they state the full size
and ask :func:`epochs` or :func:`samples` for the size of the current mode. Every function reads
``NNKURS_FAST`` when it is called (there is no module constant that could go stale); the
notebook runners pass it to the kernel as its environment.

Verwendet in allen Notebooks.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys

#: Cap on samples per subset in fast mode (see :func:`samples`).
FAST_SAMPLES = 2000
#: Epochs in fast mode (see :func:`epochs`).
FAST_EPOCHS = 1


def is_fast() -> bool:
    """True when ``NNKURS_FAST`` is set to a true value (``1``, ``true``, ``yes``)."""
    return os.environ.get("NNKURS_FAST", "").strip().lower() in {"1", "true", "yes", "ja"}


def epochs(full: int, fast: int = FAST_EPOCHS) -> int:
    """Number of epochs for the current mode: ``full`` normally, ``min(full, fast)`` in fast mode."""
    return min(full, fast) if is_fast() else full


def samples(full: int, fast: int = FAST_SAMPLES) -> int:
    """Subset size for the current mode: ``full`` normally, ``min(full, fast)`` in fast mode."""
    return min(full, fast) if is_fast() else full


def device(verbose: bool = True):
    """The best available PyTorch device: ``cuda``, then ``mps`` (Apple), then ``cpu``.

    Prints the choice in German; on Colab without a GPU it says where to switch one on.
    """
    import torch

    if torch.cuda.is_available():
        dev = torch.device("cuda")
        name = torch.cuda.get_device_name(0)
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        dev = torch.device("mps")
        name = "Apple-GPU (MPS)"
    else:
        dev = torch.device("cpu")
        name = f"CPU ({os.cpu_count()} Kerne)"
    if verbose:
        print(f"Gerät: {dev.type} – {name}")
        if dev.type == "cpu" and "google.colab" in sys.modules:
            print(
                "Tipp: Auf Colab schalten Sie eine GPU über »Laufzeit → Laufzeittyp ändern → "
                "Hardwarebeschleuniger: GPU« ein und führen das Notebook neu aus."
            )
    return dev


def seed_offset() -> int:
    """The value of ``NNKURS_SEED`` (default 0): how far :func:`seed_everything` shifts each seed.

    ``make bench SEEDS="0 1 2"`` runs every notebook once per value, to see whether a target
    holds for other random starting weights, batch orders and data splits, not only for the
    seeds written in the notebook. Students never need it: unset, every seed is the one the
    notebook shows.
    """
    raw = os.environ.get("NNKURS_SEED", "").strip()
    try:
        return int(raw) if raw else 0
    except ValueError:
        raise ValueError(f"NNKURS_SEED muss eine ganze Zahl sein, nicht »{raw}«.") from None


def seed_everything(seed: int = 42) -> int:
    """Seed Python, NumPy and (if imported) PyTorch and Keras; return the seed used.

    The seed used is ``seed + seed_offset()``, i.e. ``seed`` itself unless ``NNKURS_SEED`` is
    set. Notebooks pass the returned value on wherever they need a seed of their own (data
    splits, generators), so one variable changes every random choice of a run.
    (``PYTHONHASHSEED`` is not set: it only takes effect when an interpreter starts.)
    """
    seed = int(seed) + seed_offset()
    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:  # pragma: no cover - numpy is always installed
        pass
    # Only frameworks the notebook already imported are seeded: notebook 02 stays NumPy-only.
    if "torch" in sys.modules:
        import torch

        torch.manual_seed(seed)  # also seeds CUDA and MPS
    if "keras" in sys.modules:
        import keras

        keras.utils.set_random_seed(seed)
    return seed


def mode_summary() -> str:
    """One German line saying which mode runs (printed by the notebooks' setup)."""
    if is_fast():
        summary = ("Schnellmodus (NNKURS_FAST=1): kleine Teilmengen und wenige Epochen – "
                   "die Zahlen sind nicht aussagekräftig.")
    else:
        summary = "Vollständiger Modus: alle Daten, alle Epochen."
    if seed_offset():
        summary += (f" Alle Startwerte sind um NNKURS_SEED={seed_offset()} verschoben; "
                    "die Zahlen weichen daher von den gespeicherten Ausgaben ab.")
    return summary



@contextlib.contextmanager
def native_stderr_silenced():
    """Discard what native libraries write to file descriptor 2 inside the ``with`` block.

    TensorFlow 2.19 and later print start-up messages (oneDNN, missing CUDA drivers) from C++
    before their logging is set up, so ``TF_CPP_MIN_LOG_LEVEL`` does not hide them
    (tensorflow/tensorflow#100442); Jupyter would show them as red output of the import cell.
    Python exceptions are not affected: they propagate and are shown after the block.

    Verwendet in Notebook 04 (``import keras``).
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 (e.g. some embedded interpreters): nothing to hide
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
