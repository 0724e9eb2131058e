"""A small, correct PyTorch training loop: ``fit``, ``train_epoch``, ``evaluate``, ``predict``;
and ``mlp``, the dense network of notebook 03 (so later cells run while an exercise is open).

What it gets right that hand-written loops often get wrong:

- ``model.train()`` before every training epoch and ``model.eval()`` + ``torch.no_grad()``
  for every evaluation (Dropout and BatchNorm behave differently in the two modes);
- the loss of an epoch is averaged per sample (each batch weighted by its size), so the last,
  smaller batch does not distort it;
- data is moved to the model's device, never with a hard-coded ``.cuda()``.

Classification accuracy is computed from logits: ``argmax`` for several classes, ``logit > 0``
for one output (binary, ``BCEWithLogitsLoss``).

Verwendet in den Notebooks 03 und 05.
"""

from __future__ import annotations

import copy
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from utils.progress import Progress


class ImageDataset(Dataset):
    """Grey-value images (``uint8``, ``(n, h, w)``) as float tensors ``(1, h, w)``.

    Pixels are scaled to [0, 1], then standardised with ``mean`` and ``std``; ``transform``
    (e.g. a torchvision ``v2`` augmentation) is applied per image on the fly.
    """

    def __init__(self, images, labels, transform=None, mean: float = 0.0, std: float = 1.0):
        # np.array copies: the arrays of utils.data are read-only views of the file's bytes,
        # and torch warns about non-writable NumPy arrays.
        x = torch.from_numpy(np.array(images, dtype=np.float32)).unsqueeze(1) / 255.0
        self.images = (x - mean) / std
        self.labels = torch.from_numpy(np.array(labels, dtype=np.int64))
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index):
        image = self.images[index]
        if self.transform is not None:
            image = self.transform(image)
        return image, self.labels[index]


def mlp(n_in: int = 784, n_hidden: int = 300, n_out: int = 10, *, batchnorm: bool = False,
        dropout: float = 0.0) -> torch.nn.Sequential:
    """A fresh dense network ``n_in``-``n_hidden``-``n_out`` with ReLU that outputs logits.

    Images are flattened first. Optional in the hidden layer: ``BatchNorm1d`` after the
    linear layer and ``Dropout(dropout)`` after the ReLU (``dropout=0`` leaves it out);
    nothing follows the last linear layer (``CrossEntropyLoss`` expects logits).

    Verwendet in Notebook 03 (nach den Aufgaben 1.1 und 2.1, die dasselbe Netz selbst bauen).
    """
    from torch import nn

    layers: list[nn.Module] = [nn.Flatten(), nn.Linear(n_in, n_hidden)]
    if batchnorm:
        layers.append(nn.BatchNorm1d(n_hidden))
    layers.append(nn.ReLU())
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(n_hidden, n_out))
    return nn.Sequential(*layers)


def _correct(outputs: torch.Tensor, targets: torch.Tensor) -> int:
    if outputs.ndim == 1 or outputs.shape[-1] == 1:
        predicted = (outputs.reshape(-1) > 0).to(targets.dtype)
        return int((predicted == targets.reshape(-1)).sum())
    return int((outputs.argmax(dim=1) == targets).sum())


def train_epoch(model, loader, loss_fn, optimizer, device, scheduler=None) -> tuple[float, float]:
    """One epoch of training; returns ``(mean loss per sample, accuracy)``.

    ``scheduler`` (optional) is stepped after every batch (e.g. ``OneCycleLR``).
    """
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, targets)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        total_loss += loss.item() * len(targets)
        correct += _correct(outputs.detach(), targets)
        seen += len(targets)
    return total_loss / seen, correct / seen


@torch.no_grad()
def evaluate(model, loader, loss_fn, device) -> tuple[float, float]:
    """Mean loss per sample and accuracy on ``loader``, in ``eval()`` mode without gradients."""
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        outputs = model(inputs)
        total_loss += loss_fn(outputs, targets).item() * len(targets)
        correct += _correct(outputs, targets)
        seen += len(targets)
    return total_loss / seen, correct / seen


@torch.no_grad()
def predict(model, loader, device) -> tuple[torch.Tensor, torch.Tensor]:
    """All outputs (logits) and targets of ``loader`` on the CPU, in ``eval()`` mode."""
    model.eval()
    outputs, targets = [], []
    for inputs, target in loader:
        outputs.append(model(inputs.to(device)).cpu())
        targets.append(target)
    return torch.cat(outputs), torch.cat(targets)


def fit(model, train_loader: DataLoader, test_loader: DataLoader | None = None, *, loss_fn,
        optimizer, epochs: int, device, scheduler=None, keep_best: bool = False,
        checkpoint: str | None = None, progress: bool = True) -> dict[str, list[float]]:
    """Train ``model`` for ``epochs`` epochs; returns the history as a dict of lists.

    Keys: ``train_loss``, ``train_acc``, ``test_loss``, ``test_acc`` (if ``test_loader``) and
    ``seconds`` (per epoch). With ``keep_best`` the weights of the epoch with the best test
    accuracy are restored at the end (and saved to ``checkpoint`` when a path is given).
    ``scheduler`` is stepped once per batch. ``progress`` shows a :class:`utils.progress.Progress` line.
    """
    model.to(device)
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": [], "seconds": []}
    if test_loader is not None:
        history.update(test_loss=[], test_acc=[])
    best_acc, best_state = -1.0, None
    bar = Progress(epochs, "Training", "Epochen", enabled=progress)
    for _ in range(epochs):
        start = time.perf_counter()
        loss, acc = train_epoch(model, train_loader, loss_fn, optimizer, device, scheduler)
        history["train_loss"].append(loss)
        history["train_acc"].append(acc)
        shown = {"loss": f"{loss:.4f}", "acc": f"{acc:.4f}"}
        if test_loader is not None:
            test_loss, test_acc = evaluate(model, test_loader, loss_fn, device)
            history["test_loss"].append(test_loss)
            history["test_acc"].append(test_acc)
            shown.update(test_loss=f"{test_loss:.4f}", test_acc=f"{test_acc:.4f}")
            if keep_best and test_acc > best_acc:
                best_acc, best_state = test_acc, copy.deepcopy(model.state_dict())
                if checkpoint:
                    torch.save(best_state, checkpoint)
        history["seconds"].append(time.perf_counter() - start)
        bar.update(1, **shown)
    bar.close()
    if keep_best and best_state is not None:
        model.load_state_dict(best_state)
    return history


# --- Fast training from tensors in memory (Verwendet in Notebook 05) -------------------------
#
# A DataLoader over a Dataset calls ``__getitem__`` once per image and stacks the results; with
# a per-image augmentation that costs more time than the model step of a small CNN on a CPU.
# When the whole data set fits in memory as one tensor, a mini-batch is a single indexing
# operation, and augmentation can work on the whole batch at once.


def shift_flip(images: torch.Tensor, max_shift: int = 2, fill: float = 0.0, flip: bool = True,
               generator: torch.Generator | None = None) -> torch.Tensor:
    """Randomly shift each image of a batch ``(n, c, h, w)`` and mirror half of them.

    Each image is moved by an independent random offset of up to ``max_shift`` pixels in both
    directions (the uncovered border is filled with ``fill``, e.g. the standardised background),
    and mirrored left–right with probability 1/2 when ``flip``. Equivalent to padding by
    ``max_shift`` followed by a random ``h × w`` crop, done for the whole batch with one
    gather instead of one transform call per image. Returns a new tensor; the input is unchanged.
    """
    n, c, h, w = images.shape
    device = images.device
    padded = torch.nn.functional.pad(images, (max_shift,) * 4, value=fill)
    offsets = torch.randint(0, 2 * max_shift + 1, (2, n), generator=generator).to(device)
    rows = offsets[0, :, None] + torch.arange(h, device=device)            # (n, h)
    cols = offsets[1, :, None] + torch.arange(w, device=device)            # (n, w)
    if flip:
        mirror = (torch.rand(n, generator=generator) < 0.5).to(device)
        cols = torch.where(mirror[:, None], cols.flip(1), cols)
    batch = torch.arange(n, device=device)[:, None, None, None]
    channel = torch.arange(c, device=device)[None, :, None, None]
    return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]


class TensorLoader:
    """Mini-batches ``(inputs, targets)`` straight from two tensors in memory.

    A drop-in replacement for ``DataLoader(TensorDataset(x, y), batch_size, shuffle)`` that
    indexes the tensors once per batch; ``transform`` (optional) receives the whole batch, e.g.
    ``shift_flip``. ``len(loader)`` is the number of batches, ``loader.num_samples`` the number
    of samples. With ``device`` the tensors are moved there once, so each batch is already on
    the model's device.
    """

    def __init__(self, inputs: torch.Tensor, targets: torch.Tensor, batch_size: int = 256,
                 shuffle: bool = False, transform=None, device=None,
                 generator: torch.Generator | None = None):
        if len(inputs) != len(targets):
            raise ValueError(f"inputs ({len(inputs)}) and targets ({len(targets)}) differ in length")
        if device is not None:
            inputs, targets = inputs.to(device), targets.to(device)
        self.inputs, self.targets = inputs, targets
        self.batch_size, self.shuffle, self.transform = batch_size, shuffle, transform
        self.generator = generator

    @property
    def num_samples(self) -> int:
        return len(self.targets)

    def __len__(self) -> int:
        return (self.num_samples + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        n = self.num_samples
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(self.inputs.device)
        else:
            order = None
        for start in range(0, n, self.batch_size):
            if order is None:
                x = self.inputs[start:start + self.batch_size]
                y = self.targets[start:start + self.batch_size]
            else:
                index = order[start:start + self.batch_size]
                x, y = self.inputs[index], self.targets[index]
            if self.transform is not None:
                x = self.transform(x)
            yield x, y


def images_to_tensor(images, mean: float = 0.0, std: float = 1.0) -> torch.Tensor:
    """Grey-value images ``(n, h, w)`` (``uint8``) as standardised floats ``(n, 1, h, w)``.

    The same scaling as :class:`ImageDataset`: ``(x / 255 - mean) / std``.
    """
    x = torch.from_numpy(np.array(images, dtype=np.float32)).unsqueeze(1) / 255.0
    return (x - mean) / std


def throughput(history: dict[str, list[float]], num_samples: int) -> float:
    """Training images per second of a ``fit`` history (incl. the per-epoch evaluation)."""
    return num_samples * len(history["seconds"]) / sum(history["seconds"])
