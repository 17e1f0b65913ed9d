# Writes the bench's 784-512-10 MLP as ONNX for the onnxruntime-node driver, exported by a
# current PyTorch (the anchors venv: ../shared/anchors/pytorch2-venv.sh), as a user moving a
# model from Python would. Weights are PyTorch's default init: inference speed does not
# depend on them. The batch dimension is dynamic.
#   usage: python export-mlp-onnx.py OUT.onnx
import os
import sys

import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10)).eval()
out = sys.argv[1]
# The TorchScript exporter (dynamo=False): the dynamo one needs onnxscript, which the venv lacks.
torch.onnx.export(model, (torch.zeros(1, 784),), out + '.tmp', input_names=['x'], output_names=['scores'],
                  dynamic_axes={'x': {0: 'batch'}, 'scores': {0: 'batch'}}, opset_version=17, dynamo=False)
os.replace(out + '.tmp', out)
