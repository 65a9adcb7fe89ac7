"""Models shared by the PyTorch benchmark and the tests (python/tests/test_torch.py)."""

import torch
from torch import nn


class BasicBlock(nn.Module):
    """The basic block of He et al. 2016: two 3x3 convolutions with BatchNorm, a 1x1 projection
    shortcut where the shape changes. BatchNorm in training mode: recomputations use the batch's
    statistics, so they give the same output."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


def cifar_resnet(widths=(16, 32, 64), blocks=3, classes=10):
    """The CIFAR ResNet of He, Zhang, Ren, Sun (CVPR 2016, §4.2) as an nn.Sequential taking
    3-channel images: a 3x3 stem (conv, BatchNorm, ReLU), one stage of `blocks` basic blocks per
    width (stride 2 entering every stage but the first), global pooling, a linear classifier. The
    defaults are ResNet-20."""
    layers = [nn.Conv2d(3, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()]
    channels = widths[0]
    for stage, width in enumerate(widths):
        for block in range(blocks):
            layers.append(BasicBlock(channels, width, 2 if stage > 0 and block == 0 else 1))
            channels = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, classes)]
    return nn.Sequential(*layers)
