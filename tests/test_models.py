"""utils.models.ResidualBlock: shapes, shortcut choice, skip=False."""

from __future__ import annotations

import torch
from torch import nn

from utils.models import ResidualBlock


def test_identity_shortcut_when_shape_is_kept():
    block = ResidualBlock(8, 8)
    assert isinstance(block.shortcut, nn.Identity)
    assert block(torch.randn(2, 8, 7, 7)).shape == (2, 8, 7, 7)


def test_projection_shortcut_when_shape_changes():
    block = ResidualBlock(8, 16, stride=2)
    assert isinstance(block.shortcut, nn.Sequential)
    assert block(torch.randn(2, 8, 7, 7)).shape == (2, 16, 4, 4)


def test_forward_is_relu_of_main_plus_shortcut_and_skip_false_drops_it():
    torch.manual_seed(0)
    block = ResidualBlock(4, 4).eval()
    plain = ResidualBlock(4, 4, skip=False).eval()
    plain.load_state_dict(block.state_dict())
    x = torch.randn(3, 4, 5, 5)
    with torch.no_grad():
        main = block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x)))))
        assert torch.allclose(block(x), torch.relu(main + x))
        assert torch.allclose(plain(x), torch.relu(main))
    same = sum(p.numel() for p in block.parameters())
    assert same == sum(p.numel() for p in plain.parameters())
