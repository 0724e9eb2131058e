"""Tests of utils.training.mlp, the course's dense network of notebook 03."""

from __future__ import annotations

import torch
from torch import nn

from utils.training import mlp


def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def test_mlp_default_is_784_300_10_with_logits():
    model = mlp()
    assert _count(model) == 784 * 300 + 300 + 300 * 10 + 10
    assert [type(m) for m in model] == [nn.Flatten, nn.Linear, nn.ReLU, nn.Linear]
    assert model(torch.rand(5, 1, 28, 28)).shape == (5, 10)


def test_mlp_fresh_model_every_call():
    assert mlp() is not mlp()
    assert not torch.equal(mlp()[1].weight, mlp()[1].weight)


def test_mlp_batchnorm_and_dropout_in_hidden_layer_only():
    model = mlp(batchnorm=True, dropout=0.2)
    assert [type(m) for m in model] == [nn.Flatten, nn.Linear, nn.BatchNorm1d, nn.ReLU,
                                        nn.Dropout, nn.Linear]
    assert model[4].p == 0.2
    assert _count(model) == _count(mlp()) + 2 * 300


def test_mlp_sizes():
    model = mlp(6, 4, 3)
    assert model(torch.rand(2, 6)).shape == (2, 3)
    assert _count(model) == 6 * 4 + 4 + 4 * 3 + 3
