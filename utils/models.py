"""Building blocks for the image models of the course.

Verwendet in Notebook 05 (dort schreiben die Studierenden ``ResidualBlock.forward`` selbst in
Aufgabe 5.3; danach rechnet das Notebook mit diesem Block weiter, damit eine offene Aufgabe den
Rest des Notebooks nicht blockiert).
"""

from __future__ import annotations

from torch import nn


class ResidualBlock(nn.Module):
    """Residual block after He et al. (2016): two 3×3 convolutions with BatchNorm, plus a shortcut.

    ``out = ReLU(bn2(conv2(ReLU(bn1(conv1(x))))) + shortcut(x))``. The shortcut is the identity
    when the block keeps channels and size, otherwise a 1×1 convolution with the block's stride
    plus BatchNorm. With ``skip=False`` the shortcut is left out (a "plain" block with the same
    layers), for experiments that isolate what the shortcut does.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, skip: bool = True):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.skip = skip
        self.shortcut = nn.Identity()
        if skip and (stride != 1 or in_channels != out_channels):
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.skip:
            out = out + self.shortcut(x)
        return self.relu(out)
