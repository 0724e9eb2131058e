"""utils.training: train/eval switching, per-sample loss averaging, history, best weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from utils import training


class ModeSpy(nn.Module):
    """Linear model that remembers in which mode it was called."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 3)
        self.modes = []

    def forward(self, x):
        self.modes.append(self.training)
        return self.linear(x)


def _loader(n=10, batch_size=4, shuffle=False):
    torch.manual_seed(0)
    x = torch.randn(n, 4)
    y = torch.randint(0, 3, (n,))
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)


def test_evaluate_uses_eval_mode_and_averages_per_sample():
    model, loader = ModeSpy(), _loader()
    loss_fn = nn.CrossEntropyLoss()
    loss, acc = training.evaluate(model, loader, loss_fn, "cpu")
    assert model.modes and not any(model.modes)
    x, y = loader.dataset.tensors
    with torch.no_grad():
        expected = loss_fn(model.linear(x), y).item()   # mean over all 10 samples at once
    assert loss == pytest.approx(expected, rel=1e-6)  # batches of 4, 4, 2 weighted correctly
    assert acc == pytest.approx((model.linear(x).argmax(1) == y).float().mean().item())


def test_train_epoch_uses_train_mode_and_updates_weights():
    model, loader = ModeSpy(), _loader()
    before = model.linear.weight.detach().clone()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    training.train_epoch(model, loader, nn.CrossEntropyLoss(), optimizer, "cpu")
    assert model.modes and all(model.modes)
    assert not torch.equal(before, model.linear.weight)


def test_fit_history_and_keep_best(tmp_path):
    torch.manual_seed(0)
    model = ModeSpy()
    path = tmp_path / "best.pt"
    history = training.fit(model, _loader(40, 8, shuffle=True), _loader(20, 8),
                           loss_fn=nn.CrossEntropyLoss(),
                           optimizer=torch.optim.SGD(model.parameters(), lr=0.5), epochs=3,
                           device="cpu", keep_best=True, checkpoint=str(path), progress=False)
    assert set(history) == {"train_loss", "train_acc", "test_loss", "test_acc", "seconds"}
    assert all(len(v) == 3 for v in history.values())
    best = max(history["test_acc"])
    assert training.evaluate(model, _loader(20, 8), nn.CrossEntropyLoss(), "cpu")[1] == best
    assert path.exists()


def test_binary_accuracy_from_single_logit():
    outputs = torch.tensor([2.0, -1.0, 0.5, -3.0])
    targets = torch.tensor([1.0, 0.0, 0.0, 0.0])
    assert training._correct(outputs, targets) == 3
    assert training._correct(outputs[:, None], targets[:, None]) == 3


def test_image_dataset_scales_and_transforms():
    images = np.full((2, 28, 28), 255, dtype=np.uint8)
    ds = training.ImageDataset(images, [3, 4], mean=0.5, std=0.5, transform=lambda t: t * 2)
    x, y = ds[1]
    assert x.shape == (1, 28, 28) and x.dtype == torch.float32
    assert torch.allclose(x, torch.full_like(x, 2.0)) and y.item() == 4 and len(ds) == 2


def test_predict_returns_outputs_and_targets_on_cpu():
    model, loader = ModeSpy(), _loader()
    outputs, targets = training.predict(model, loader, "cpu")
    assert outputs.shape == (10, 3) and targets.shape == (10,) and not any(model.modes)


def test_image_dataset_accepts_read_only_arrays_without_warning():
    import warnings

    images = np.frombuffer(bytes(range(256)) * 7, dtype=np.uint8)[: 2 * 28 * 28].reshape(2, 28, 28)
    labels = np.frombuffer(np.array([1, 2], dtype=np.int64).tobytes(), dtype=np.int64)
    assert not images.flags.writeable
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = training.ImageDataset(images, labels)
    x, y = ds[0]
    assert x.shape == (1, 28, 28) and y.item() == 1 and ds.labels.dtype == torch.long
