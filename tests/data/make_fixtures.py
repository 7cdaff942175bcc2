#!/usr/bin/python3
"""Writes the PyTorch-made checkpoint fixtures the core tests read (run with Debian's python3-torch).

These files come from Python's torch.save, not from DigitLab, so the tests prove real interop:
  seed_state_dict.pt     torch.save(dict(model.state_dict())) of the seed tutorial's Net (seed 0)
  ordered_state_dict.pt  torch.save(model.state_dict()): the OrderedDict form (LibTorch 1.13's unpickler cannot
                         read it; DigitLab's own reader does)
  seed_state_dict.json   that model's softmax outputs for the first 5 MNIST test images
  wrong_arch.pt          a DigitLab-format dict whose architecture is "lenet5"
  wrong_shape.pt         a seed state_dict whose fc1 has 64 hidden units instead of 50
  extra_param.pt         a seed state_dict with one more parameter (fc3.weight)
  newer_version.pt       a DigitLab-format dict with format_version 99
  foreign_list.pt        torch.save([1, 2, 3])
Usage: tests/data/make_fixtures.py [MNIST_DIR]
"""
import json
import os
import sys

import numpy as np
import torch

here = os.path.dirname(os.path.abspath(__file__))
mnist = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "data", "mnist")


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from seednet import Net  # noqa: E402  the tutorial's model, one definition (bench/seednet.py)


def out(name):
    return os.path.join(here, name)


torch.manual_seed(0)
net = Net().eval()
# Dicts of two or more items: LibTorch 1.13's unpickler lacks the SETITEM opcode of 1-item dicts.
# Both forms: LibTorch 1.13's unpickler could not rebuild the OrderedDict (with its _metadata) that
# state_dict() returns; DigitLab's strict reader (core/torchfile.cpp) reads both.
torch.save(dict(net.state_dict()), out("seed_state_dict.pt"))
torch.save(net.state_dict(), out("ordered_state_dict.pt"))
images = np.fromfile(os.path.join(mnist, "t10k-images-idx3-ubyte"), dtype=np.uint8)[16:16 + 5 * 784]
x = torch.from_numpy(images.astype(np.float32) / 255.0).view(5, 1, 28, 28)
with torch.no_grad():
    probs = torch.softmax(net(x), 1)
with open(out("seed_state_dict.json"), "w") as f:
    json.dump(probs.tolist(), f)

meta = json.dumps({"epochs_done": 1})
torch.save({"format": "digitlab-checkpoint", "format_version": 1, "architecture": "lenet5", "metadata": meta,
            "model_state_dict": {"conv1.weight": torch.zeros(6, 1, 5, 5), "conv1.bias": torch.zeros(6)}}, out("wrong_arch.pt"))
torch.save(dict(Net(hidden=64).state_dict()), out("wrong_shape.pt"))
extra = dict(net.state_dict())
extra["fc3.weight"] = torch.zeros(10, 10)
torch.save(extra, out("extra_param.pt"))
torch.save({"format": "digitlab-checkpoint", "format_version": 99, "architecture": "seed", "metadata": meta,
            "model_state_dict": {}}, out("newer_version.pt"))
torch.save([1, 2, 3], out("foreign_list.pt"))
print("fixtures written to", here)
