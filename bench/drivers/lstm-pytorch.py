# PyTorch's side of bench/lstm.mjs: the same character-level LSTM language model step
# (nn.Embedding, a 2-layer nn.LSTM, nn.Linear, cross-entropy over every token, SGD), written
# the way a PyTorch user would. Prints one JSON line.
# Run as: python bench/drivers/lstm-pytorch.py '<config json>'
import json
import sys
import time

import torch
from torch import nn

config = json.loads(sys.argv[1])
torch.set_num_threads(config['threads'])
torch.manual_seed(0)
V, E, H, L, T, B = (config[k] for k in ('vocab', 'embed', 'hidden', 'layers', 'steps', 'batch'))

embedding = nn.Embedding(V, E)
lstm = nn.LSTM(E, H, num_layers=L)
decoder = nn.Linear(H, V)
params = [*embedding.parameters(), *lstm.parameters(), *decoder.parameters()]
opt = torch.optim.SGD(params, lr=0.1)
loss_fn = nn.CrossEntropyLoss()
g = torch.Generator().manual_seed(1)
tokens = torch.randint(0, V, (T + 1, B), generator=g)
x, y = tokens[:-1], tokens[1:].reshape(-1)


def step(times=None):
    t0 = time.perf_counter()
    opt.zero_grad()
    out, _ = lstm(embedding(x))
    loss = loss_fn(decoder(out).reshape(-1, V), y)
    t1 = time.perf_counter()
    loss.backward()
    opt.step()
    t2 = time.perf_counter()
    if times is not None:
        times.append((t1 - t0, t2 - t1))


for _ in range(3):
    step()
times = []
start = time.perf_counter()
while len(times) < config['minSteps'] or time.perf_counter() - start < config['seconds']:
    step(times)
times.sort(key=lambda t: t[0] + t[1])
fwd, bwd = times[len(times) // 2]


def gemm_gflops(m, n, k):
    a, b = torch.rand(m, k), torch.rand(k, n)
    for _ in range(3):
        torch.mm(a, b)
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 0.3:
        torch.mm(a, b)
        reps += 1
    return 2 * m * n * k * reps / (time.perf_counter() - t0) / 1e9


print(json.dumps({'library': 'PyTorch ' + torch.__version__, 'steps': len(times), 'forwardS': fwd, 'backwardS': bwd,
                  'gemmInput': gemm_gflops(T * B, 4 * H, H), 'gemmStep': gemm_gflops(B, 4 * H, H)}))
