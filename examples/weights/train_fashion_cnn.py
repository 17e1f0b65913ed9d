#!/usr/bin/env python3
"""
Trains the small Fashion-MNIST CNN whose weights examples/interop-roundtrip.mjs starts from,
as a Python colleague would: PyTorch, one epoch, then `safetensors.torch.save_file` of the
state dict in half precision (as checkpoints often are), with the normalisation and the test
accuracy in the file's metadata.

    $(bash ../shared/anchors/pytorch2-venv.sh) examples/weights/train_fashion_cnn.py

Needs torch 2.x, safetensors and Debian's dataset-fashion-mnist. Writes
examples/weights/fashion-cnn.safetensors (about 19 KB). With `--check FILE` it loads a state
dict that tensorgrad saved (the example's fine-tuned one) into the same PyTorch model,
strictly, and prints its test accuracy: the way back.
"""
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file

ROOT = '/usr/share/datasets/fashion-mnist'
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fashion-cnn.safetensors')
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST's training pixels, scaled to [0, 1]


def idx(name, offset):
    with gzip.open(os.path.join(ROOT, name)) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def images(split):
    x = torch.tensor(idx(f'{split}-images-idx3-ubyte.gz', 16).reshape(-1, 1, 28, 28), dtype=torch.float32)
    return (x / 255 - MEAN) / STD


def labels(split):
    return torch.tensor(idx(f'{split}-labels-idx1-ubyte.gz', 8), dtype=torch.int64)


def model():
    # The same layers, in the same order, as the example builds with tensorgrad.
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(16 * 7 * 7, 10))


def accuracy(net, x, y):
    net.eval()
    with torch.no_grad():
        return sum((net(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(x), 1000)) / len(x)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    xtr, ytr, xte, yte = images('train'), labels('train'), images('t10k'), labels('t10k')
    net = model()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    net.train()
    for i in torch.randperm(len(xtr)).split(128):
        opt.zero_grad()
        nn.functional.cross_entropy(net(xtr[i]), ytr[i]).backward()
        opt.step()
    # Half precision, as shipped: the accuracy recorded is that of the rounded weights.
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in net.state_dict().items()}
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    acc = accuracy(net, xte, yte)
    save_file(state, OUT, metadata={
        'format': 'pt', 'trained_with': f'PyTorch {torch.__version__}, 1 epoch of SGD (lr 0.05, momentum 0.9, batch 128)',
        'normalize_mean': str(MEAN), 'normalize_std': str(STD), 'test_accuracy': f'{acc:.4f}'})
    print(f'test accuracy {acc:.4f}; wrote {OUT} ({os.path.getsize(OUT)} bytes)')


def check(path):
    net = model()
    net.load_state_dict(load_file(path), strict=True)
    print(f'PyTorch {torch.__version__} loaded {path}: test accuracy {accuracy(net, images("t10k"), labels("t10k")):.4f}')


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--check':
        check(sys.argv[2])
    else:
        main()
