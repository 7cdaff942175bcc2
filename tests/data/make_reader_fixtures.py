#!/usr/bin/python3
"""Writes the fixtures of the strict checkpoint reader's tests (Debian's python3-torch).

All hold the same weights: the seed tutorial's Net after one short training epoch, so its
predictions are confident (no near-ties that float rounding could flip).
  tutorial_mnist_cnn.pt       torch.save(model.state_dict(), "mnist_cnn.pt"): the tutorial's own OrderedDict
  tutorial_predictions.txt    PyTorch's predicted digit for each of the 10,000 MNIST test images
  wrapped_state_dict.pt       {"epoch": 1, "state_dict": ...}
  wrapped_model_state_dict.pt {"epoch": 1, "model_state_dict": ..., "optimizer_state_dict": ...} (int keys, tensors)
  module_prefixed.pt          DataParallel's keys: "module.conv1.weight", ...
  float64.pt                  the weights as float64 (converted exactly back to float32)
  noncontiguous.pt            fc1.weight as a transposed view, conv1.bias at an offset in a larger storage
  protocol4.pt                torch.save(..., pickle_protocol=4): FRAME, SHORT_BINUNICODE, MEMOIZE
  int64_weights.pt            conv1.bias as int64: an unsupported dtype
  legacy.pt                   the pre-1.6 format (_use_new_zipfile_serialization=False)
Usage: tests/data/make_reader_fixtures.py [MNIST_DIR]
"""
import collections
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
mnist = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "data", "mnist")


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
from seednet import Net  # noqa: E402  the tutorial's model, one definition (bench/seednet.py)


def idx(name, offset):
    return np.fromfile(os.path.join(mnist, name), dtype=np.uint8)[offset:]


def out(name):
    return os.path.join(here, name)


torch.manual_seed(0)
torch.set_num_threads(2)
train_x = torch.from_numpy(idx("train-images-idx3-ubyte", 16).astype(np.float32) / 255.0).view(-1, 1, 28, 28)
train_y = torch.from_numpy(idx("train-labels-idx1-ubyte", 8).astype(np.int64))
test_x = torch.from_numpy(idx("t10k-images-idx3-ubyte", 16).astype(np.float32) / 255.0).view(-1, 1, 28, 28)

model = Net()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
model.train()
for b in range(0, 20000, 100):
    opt.zero_grad()
    loss = F.cross_entropy(model(train_x[b:b + 100]), train_y[b:b + 100])
    loss.backward()
    opt.step()
model.eval()
with torch.no_grad():
    logits = model(test_x)
pred = logits.argmax(1)
top2 = logits.topk(2, 1).values
print("smallest top-2 logit margin:", float((top2[:, 0] - top2[:, 1]).min()))
with open(out("tutorial_predictions.txt"), "w") as f:
    f.write("".join(str(int(p)) for p in pred) + "\n")

sd = model.state_dict()
torch.save(sd, out("tutorial_mnist_cnn.pt"))
torch.save({"epoch": 1, "state_dict": sd}, out("wrapped_state_dict.pt"))
torch.save({"epoch": 1, "model_state_dict": sd, "optimizer_state_dict": opt.state_dict()}, out("wrapped_model_state_dict.pt"))
torch.save(collections.OrderedDict(("module." + k, v) for k, v in sd.items()), out("module_prefixed.pt"))
torch.save(collections.OrderedDict((k, v.double()) for k, v in sd.items()), out("float64.pt"))
nc = collections.OrderedDict(sd)
nc["fc1.weight"] = sd["fc1.weight"].t().contiguous().t()  # strides (1, 50)
big = torch.zeros(30)
big[7:17] = sd["conv1.bias"]
nc["conv1.bias"] = big[7:17]  # offset 7 in a 30-element storage
assert not nc["fc1.weight"].is_contiguous()
torch.save(nc, out("noncontiguous.pt"))
torch.save(sd, out("protocol4.pt"), pickle_protocol=4)
bad = collections.OrderedDict(sd)
bad["conv1.bias"] = torch.zeros(10, dtype=torch.int64)
torch.save(bad, out("int64_weights.pt"))
torch.save(sd, out("legacy.pt"), _use_new_zipfile_serialization=False)
print("fixtures written to", here)
