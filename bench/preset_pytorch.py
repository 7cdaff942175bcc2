#!/usr/bin/python3
"""A DigitLab network and recipe trained by Python PyTorch, for the side-by-side benchmark.

The network comes from the module `digitlab-cli export --pytorch FILE` writes beside FILE (its
build() makes the same nn.Sequential DigitLab trains), with PyTorch's own initialisation. The
recipe is given as digitlab-cli's options are (optimizer, peak learning rate, one-cycle schedule
with PyTorch's OneCycleLR defaults, weight decay, batch size, epochs). Images are the same IDX
files, pixels in 0..1, shuffled every epoch; evaluation on the 10,000 test images after every
epoch is not timed, as in digitlab-cli. One line per epoch, in digitlab-cli's words:
    epoch 1/2  test accuracy 98.40%  4.1 s  14700 images/s  threads 2

Needs Debian's python3-torch:
    bench/preset_pytorch.py --module /tmp/fast.py --epochs 2 --batch-size 128 --lr 6e-3 \\
        --optimizer adam --schedule onecycle --threads 2
"""
import argparse
import gzip
import importlib.util
import os
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_idx(path):
    """An IDX file (raw or .gz) as a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(folder, prefix):
    def find(name):
        for candidate in (name, name + ".gz"):
            path = os.path.join(folder, candidate)
            if os.path.exists(path):
                return path
        raise SystemExit(f"{folder}: no {name}")
    images = torch.from_numpy(read_idx(find(prefix + "-images-idx3-ubyte")).astype(np.float32) / 255.0)
    labels = torch.from_numpy(read_idx(find(prefix + "-labels-idx1-ubyte")).astype(np.int64))
    return images.unsqueeze(1), labels


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--module", required=True, help="the .py file digitlab-cli export --pytorch wrote")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=6e-3)
    ap.add_argument("--optimizer", choices=["adam", "adamw", "sgd"], default="adam")
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--schedule", choices=["constant", "onecycle"], default="onecycle")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default=os.path.join(here, "..", "data", "mnist"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    spec = importlib.util.spec_from_file_location("digitlab_model", args.module)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build()

    train_x, train_y = load(args.data, "train")
    test_x, test_y = load(args.data, "t10k")
    if args.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    elif args.optimizer == "adamw":
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    steps = (len(train_x) + args.batch_size - 1) // args.batch_size
    sched = (torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * steps)
             if args.schedule == "onecycle" else None)

    for epoch in range(1, args.epochs + 1):
        model.train()
        order = torch.randperm(len(train_x))
        start = time.perf_counter()
        for i in range(steps):
            idx = order[i * args.batch_size:(i + 1) * args.batch_size]
            opt.zero_grad()
            loss = F.cross_entropy(model(train_x[idx]), train_y[idx])
            loss.backward()
            opt.step()
            if sched:
                sched.step()
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            correct = sum((model(test_x[i:i + 1000]).argmax(1) == test_y[i:i + 1000]).sum().item()
                          for i in range(0, len(test_x), 1000))
        print(f"epoch {epoch}/{args.epochs}  test accuracy {100.0 * correct / len(test_x):.2f}%  "
              f"{seconds:.1f} s  {len(train_x) / seconds:.0f} images/s  threads {args.threads}", flush=True)


if __name__ == "__main__":
    main()
