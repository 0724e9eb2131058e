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


# --- TensorLoader, shift_flip, images_to_tensor, throughput (notebook 05) -------------------

def test_tensor_loader_batches_like_a_dataloader():
    x, y = torch.arange(10.0)[:, None], torch.arange(10)
    loader = training.TensorLoader(x, y, batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3 and loader.num_samples == 10
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    assert torch.equal(torch.cat([b[1] for b in batches]), y)
    reference = DataLoader(TensorDataset(x, y), batch_size=4)
    for (a, b), (c, d) in zip(batches, reference):
        assert torch.equal(a, c) and torch.equal(b, d)


def test_tensor_loader_shuffles_each_epoch_and_keeps_pairs():
    x, y = torch.arange(50.0)[:, None], torch.arange(50)
    loader = training.TensorLoader(x, y, batch_size=8, shuffle=True,
                                   generator=torch.Generator().manual_seed(0))
    first = torch.cat([b[1] for b in loader])
    second = torch.cat([b[1] for b in loader])
    assert sorted(first.tolist()) == list(range(50))
    assert not torch.equal(first, second)
    for inputs, targets in loader:
        assert torch.equal(inputs[:, 0].long(), targets)


def test_tensor_loader_applies_transform_per_batch_and_checks_lengths():
    calls = []

    def transform(batch):
        calls.append(len(batch))
        return batch * 2
    loader = training.TensorLoader(torch.ones(5, 1), torch.zeros(5), batch_size=2,
                                   transform=transform)
    assert all(torch.equal(b[0], torch.full_like(b[0], 2.0)) for b in loader)
    assert calls == [2, 2, 1]
    with pytest.raises(ValueError):
        training.TensorLoader(torch.ones(5, 1), torch.zeros(4))


def test_tensor_loader_works_with_fit():
    torch.manual_seed(0)
    x = torch.randn(64, 4)
    y = (x[:, 0] > 0).long()
    model = nn.Linear(4, 2)
    history = training.fit(model, training.TensorLoader(x, y, 16, shuffle=True),
                           training.TensorLoader(x, y, 32), loss_fn=nn.CrossEntropyLoss(),
                           optimizer=torch.optim.SGD(model.parameters(), lr=0.5), epochs=5,
                           device="cpu", progress=False)
    assert history["test_acc"][-1] > 0.8
    assert training.throughput(history, 64) == pytest.approx(64 * 5 / sum(history["seconds"]))


def test_shift_flip_moves_and_mirrors_whole_images():
    torch.manual_seed(0)
    images = torch.rand(200, 2, 6, 6) + 1.0   # > 0, so the fill value -1 is recognisable
    out = training.shift_flip(images, max_shift=2, fill=-1.0,
                              generator=torch.Generator().manual_seed(1))
    assert out.shape == images.shape and torch.all(images > 0)   # input unchanged
    padded = torch.nn.functional.pad(images, (2,) * 4, value=-1.0)
    seen_flip, seen_shift = False, False
    for i in range(len(images)):
        matches = [(dy, dx, flip) for dy in range(5) for dx in range(5) for flip in (False, True)
                   if torch.equal(out[i], (padded[i, :, dy:dy + 6, dx:dx + 6].flip(-1) if flip
                                           else padded[i, :, dy:dy + 6, dx:dx + 6]))]
        assert matches, f"image {i} is not a shifted (and possibly mirrored) copy"
        seen_flip |= any(m[2] for m in matches)
        seen_shift |= any(m[:2] != (2, 2) for m in matches)
    assert seen_flip and seen_shift


def test_shift_flip_without_shift_or_flip_is_identity():
    images = torch.rand(8, 1, 5, 5)
    assert torch.equal(training.shift_flip(images, max_shift=0, flip=False), images)
    flipped = training.shift_flip(images, max_shift=0, flip=True,
                                  generator=torch.Generator().manual_seed(0))
    for a, b in zip(flipped, images):
        assert torch.equal(a, b) or torch.equal(a, b.flip(-1))


def test_images_to_tensor_scales_like_image_dataset():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    x = training.images_to_tensor(images, mean=0.5, std=0.25)
    assert x.shape == (1, 1, 2, 2) and x.dtype == torch.float32
    dataset = training.ImageDataset(images, [3], mean=0.5, std=0.25)
    assert torch.allclose(x[0], dataset[0][0])
