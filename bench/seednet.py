"""The PyTorch MNIST tutorial's CNN (the seed recipe, DESIGN.md), verbatim: one definition for the
benchmark (bench/seed_reference.py), the interop test (tests/interop/check_exports.py) and the
fixture generators (tests/data/make_*.py). `hidden` is fc1's width: 50 is the seed; other widths
only make wrong-shape fixtures."""
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, hidden=50):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x):
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        return self.fc2(x)
