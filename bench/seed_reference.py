#!/usr/bin/python3
"""The seed tutorial's training recipe in Python, for DigitLab's side-by-side benchmark.

Runs exactly what DESIGN.md calls the seed: torchvision's MNIST dataset with ToTensor (pixel/255),
DataLoader batch 100 shuffled every epoch, the CNN below, Adam lr 1e-3, cross-entropy, evaluation
on the 10,000 test images after every epoch. It reads the same IDX files as digitlab-cli (no
download) and prints one line per epoch: seconds of training (evaluation excluded, as in
digitlab-cli) and test accuracy.

Needs Debian's python3-torch and python3-torchvision:
    bench/seed_reference.py --epochs 3 --threads 2 [--data data/mnist]
"""
import argparse
import os
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets, transforms


from seednet import Net  # the tutorial's model, shared with the tests (bench/seednet.py)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default=os.path.join(here, "..", "data", "mnist"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    # torchvision looks for ROOT/MNIST/raw/<idx files>: point it at ours instead of downloading.
    root = tempfile.mkdtemp(prefix="seed-mnist-")
    os.makedirs(os.path.join(root, "MNIST"))
    os.symlink(os.path.abspath(args.data), os.path.join(root, "MNIST", "raw"))
    to_tensor = transforms.ToTensor()
    train = datasets.MNIST(root, train=True, download=False, transform=to_tensor)
    test = datasets.MNIST(root, train=False, download=False, transform=to_tensor)
    train_loader = torch.utils.data.DataLoader(train, batch_size=100, shuffle=True)
    test_loader = torch.utils.data.DataLoader(test, batch_size=1000, shuffle=False)

    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        for data, target in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(data), target)
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - start
        model.eval()
        correct, total_loss = 0, 0.0
        with torch.no_grad():
            for data, target in test_loader:
                out = model(data)
                total_loss += F.cross_entropy(out, target, reduction="sum").item()
                correct += (out.argmax(1) == target).sum().item()
        print(f"epoch {epoch}/{args.epochs}  test loss {total_loss / len(test):.4f}  "
              f"test accuracy {100.0 * correct / len(test):.2f}%  {seconds:.1f} s  "
              f"{len(train) / seconds:.0f} images/s  threads {args.threads}", flush=True)


if __name__ == "__main__":
    main()
