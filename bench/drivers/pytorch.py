# The PyTorch driver of `npm run bench` (contract: bench/drivers/protocol.mjs). It mirrors
# bench/drivers/tensorgrad.mjs workload by workload, written the way a PyTorch user would:
# nn.Sequential, shuffled batches, the zero_grad/forward/backward/step loop.
# Run as: /usr/bin/python3 bench/drivers/pytorch.py '<config json>'
import json
import os
import resource
import sys
import time

import numpy as np
import torch
from torch import nn

PIXELS = 784
CLASSES = 10

config = json.loads(sys.argv[1] if len(sys.argv) > 1 else '{}')
torch.set_num_threads(config['threads'])
torch.manual_seed(config['seed'])


def load_fashion():
    """The raw files bench/compare.mjs wrote: float32 images N×784 in [0, 1], int32 labels."""
    def read(name, dtype):
        return np.fromfile(os.path.join(config['dataDir'], name), dtype=dtype)
    train_x = read('train-x.f32', np.float32).reshape(-1, PIXELS)
    test_x = read('test-x.f32', np.float32).reshape(-1, PIXELS)
    # CrossEntropyLoss wants int64 class indices.
    train_y = read('train-y.i32', np.int32).astype(np.int64)
    test_y = read('test-y.i32', np.int32).astype(np.int64)
    return train_x, train_y, test_x, test_y


def peak_rss_mib():
    """protocol.mjs's peakRssMiB: VmHWM, this process's own high-water mark (getrusage's
    ru_maxrss survives exec, so it can be the parent's)."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seconds_per_call(fn, min_s=0.3):
    """protocol.mjs's secondsPerCall: one warm-up call, then calls until min_s seconds have
    passed (at least one). Returns the median seconds per call (a typical call), the mean (total
    time over calls, for throughput) and the number of calls."""
    fn()
    times = []
    t0 = time.perf_counter()
    while True:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if time.perf_counter() - t0 >= min_s:
            break
    mean = (time.perf_counter() - t0) / len(times)
    return sorted(times)[len(times) // 2], mean, len(times)


def mlp():
    return nn.Sequential(nn.Linear(PIXELS, 512), nn.ReLU(), nn.Linear(512, CLASSES))


# conv 1→16 5x5 pad 2, relu, maxpool 2, conv 16→32 5x5 pad 2, relu, maxpool 2, fc 1568→128, relu, fc 128→10.
def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, CLASSES),
    )


def start_from(model, n_train):
    """The start the runner drew (harness/shared-start.mjs), which tensorgrad trains from too:
    the weights copied in, and the epoch's order. Without one: PyTorch's own init and shuffle."""
    start = config.get('start')
    if start is None:
        return torch.randperm(n_train, generator=torch.Generator().manual_seed(config['seed']))
    values = np.fromfile(os.path.join(start['dir'], start['params']), np.float32)
    at = 0
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(values[at:at + p.numel()]).view_as(p))
            at += p.numel()
    if at != len(values):
        raise ValueError(f'PyTorch: the start holds {len(values)} values, the model {at}')
    return torch.from_numpy(np.fromfile(os.path.join(start['dir'], start['order']), np.int32).astype(np.int64))


def train_one_epoch(model, image):
    """image: the shape of one image as the model takes it ((784,) or (1, 28, 28))."""
    train_x, train_y, test_x, test_y = load_fashion()
    n_train = len(train_y)
    images = torch.from_numpy(train_x).reshape(n_train, *image)
    labels = torch.from_numpy(train_y)
    order = start_from(model, n_train)
    # Batches by indexing the tensors with the shuffled order, not DataLoader(TensorDataset):
    # that one fetches and stacks 64 samples one by one, ~20% slower per epoch here. The faster
    # way is what tensorgrad's DataLoader does natively, so PyTorch is measured at its best.
    loader = ((images[idx], labels[idx]) for idx in order.split(config['batch']))
    optimizer = torch.optim.SGD(model.parameters(), lr=config['lr'], momentum=config['momentum'])
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    samples = 0
    # Timed from the first batch to after the last step, as tensorgrad.mjs does. A full epoch
    # is the norm; budgetS only cuts it short the way protocol.mjs's trainEpoch would.
    t0 = time.perf_counter()
    for x, y in loader:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
        samples += len(y)
        if time.perf_counter() - t0 >= config['budgetS']:
            break
    seconds = time.perf_counter() - t0
    model.eval()
    return {'trainedSamples': samples, 'epochSamples': n_train, 'fullEpoch': samples == n_train,
            'samplesPerS': samples / seconds, 'trainSeconds': seconds,
            **test_accuracy(model, test_x, test_y, image)}


def test_accuracy(model, test_x, test_y, image, batch=256):
    """protocol.mjs's testAccuracy: batches of 256, stopped after evalBudgetS seconds."""
    t0 = time.perf_counter()
    seen = correct = 0
    with torch.no_grad():
        while seen < len(test_y) and time.perf_counter() - t0 < config['evalBudgetS']:
            count = min(batch, len(test_y) - seen)
            x = torch.from_numpy(test_x[seen:seen + count]).reshape(count, *image)
            predicted = model(x).argmax(1).numpy()
            correct += int((predicted == test_y[seen:seen + count]).sum())
            seen += count
    return {'testAccuracy': correct / seen, 'testSamples': seen}


def gemm():
    results = []
    for shape in config['gemmShapes']:
        op, m, n, k = shape['op'], shape['m'], shape['n'], shape['k']
        # Transposed operands are views (a.t() @ b), as a user would write them: no copies.
        a = torch.rand(k, m).t() if op == 'TN' else torch.rand(m, k)
        b = torch.rand(n, k).t() if op == 'NT' else torch.rand(k, n)
        # c = a @ b allocates its result each call, as tensorgrad's driver does.
        _, mean, calls = seconds_per_call(lambda: a @ b)
        results.append({**shape, 'gflops': 2 * m * n * k / mean / 1e9, 'calls': calls})
    return {'gemm': results}


def infer():
    model = mlp()
    model.eval()
    _, _, test_x, _ = load_fashion()
    results = []
    for batch in config['inferBatches']:
        at = 0

        def call():
            nonlocal at
            # Different images each call, as a server would see; scores read back to numpy.
            if at + batch > len(test_x):
                at = 0
            with torch.no_grad():
                model(torch.from_numpy(test_x[at:at + batch])).numpy()
            at += batch

        median, mean, calls = seconds_per_call(call, config['inferS'])
        results.append({'batch': batch, 'latencyUs': median * 1e6, 'samplesPerS': batch / mean, 'calls': calls})
    return {'infer': results}


WORKLOADS = {
    'gemm': gemm,
    'mlp-train': lambda: train_one_epoch(mlp(), (PIXELS,)),
    'cnn-train': lambda: train_one_epoch(lenet(), (1, 28, 28)),
    'mlp-infer': infer,
}

if __name__ == '__main__':
    run = WORKLOADS.get(config['workload'])
    if run is None:
        raise ValueError(f"PyTorch: unknown workload {config['workload']}")
    fields = run()
    peak_rss_mb = peak_rss_mib()
    print('\nRESULT ' + json.dumps({'library': 'PyTorch', 'workload': config['workload'],
                                    'threads': config['threads'], **fields, 'peakRssMB': peak_rss_mb}),
          flush=True)
