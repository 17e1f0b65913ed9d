"""Writes the safetensors fixtures read by test/safetensors.test.ts.

    /root/.cache/tensorgrad-anchors/torch2/bin/python scripts/make_safetensors_fixtures.py

Needs torch (2.3 or later, for the unsigned dtypes), safetensors and numpy. Writes small
files under test/fixtures/safetensors/, each saved by safetensors.torch.save_file, and
expected.json: per file, each tensor's file dtype, shape and the values tensorgrad must load
(float32 results as their int32 bit patterns, so -0, NaN payloads and subnormals compare
exactly; F16 through numpy, which keeps NaN payloads), or the error a file must raise (the tensor, the element index and its value).
The files are deterministic: rerunning rewrites them byte for byte.
"""
import json
import os

import numpy as np
import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'safetensors')
INF, NAN = float('inf'), float('nan')
I32_MIN, I32_MAX = -(2**31), 2**31 - 1


def half_bits(*bits):
    """float16 tensor from raw bit patterns (quiet NaNs with payloads, subnormals)."""
    return torch.tensor(list(bits), dtype=torch.int32).to(torch.int16).view(torch.float16)


def expected_values(t):
    if t.dtype == torch.float16:
        # numpy's conversion keeps NaN payloads, as IEEE 754 and F16C do; torch's makes every
        # NaN 0x7fffffff.
        return t.numpy().astype(np.float32).view(np.int32).flatten().tolist()
    if t.dtype.is_floating_point:
        return t.float().contiguous().view(torch.int32).flatten().tolist()
    return t.to(torch.int64).flatten().tolist()


CASES = {
    'f16': {
        'x': torch.tensor([[0.0, -0.0, 1.0, -2.0], [65504.0, -65504.0, 2.0**-24, 1023 * 2.0**-24],
                           [2.0**-14, INF, -INF, NAN]], dtype=torch.float16),
        'payloads': half_bits(0x7E01, 0xFE00, 0x0001, 0x8001, 0x3555, 0x7BFF),
    },
    'bf16': {
        'x': torch.tensor([0.0, -0.0, 1.0, -2.5, 3.0e38, 1.0e-40, INF, -INF, NAN, 0.1], dtype=torch.bfloat16),
    },
    'f64': {
        'x': torch.tensor([0.1, -1.0 / 3, 1e-300, -1e-50, 3.4028234663852886e38, -3.4e38, INF, -INF, NAN, 1e-45],
                          dtype=torch.float64),
        'scalar': torch.tensor(2.718281828459045, dtype=torch.float64),
    },
    'i64': {
        'x': torch.tensor([[0, -1, I32_MAX], [I32_MIN, 123456789, -987654321]], dtype=torch.int64),
        'num_batches_tracked': torch.tensor(17, dtype=torch.int64),
    },
    'i8': {'x': torch.tensor([-128, -1, 0, 1, 127], dtype=torch.int8)},
    'u8': {'x': torch.tensor([0, 1, 128, 255], dtype=torch.uint8)},
    'i16': {'x': torch.tensor([-32768, -1, 0, 32767], dtype=torch.int16)},
    'u16': {'x': torch.tensor([0, 1, 32768, 65535], dtype=torch.uint16)},
    'u32': {'x': torch.tensor([0, 1, I32_MAX], dtype=torch.uint32)},
    'u64': {'x': torch.tensor([0, 7, I32_MAX], dtype=torch.uint64)},
    'bool': {'mask': torch.tensor([[True, False, True], [False, False, True]])},
}

# Files with one value tensorgrad must refuse: (tensors, the bad tensor, its flat index, the value).
REFUSED = {
    'i64_beyond': ({'ok': torch.tensor([1, 2], dtype=torch.int64), 'x': torch.tensor([0, I32_MAX, I32_MAX + 1, 5], dtype=torch.int64)}, 'x', 2, str(I32_MAX + 1)),
    'i64_below': ({'x': torch.tensor([[0, 1], [I32_MIN - 1, 2]], dtype=torch.int64)}, 'x', 2, str(I32_MIN - 1)),
    'u32_beyond': ({'x': torch.tensor([5, 2**31], dtype=torch.uint32)}, 'x', 1, str(2**31)),
    'u64_beyond': ({'x': torch.tensor([2**64 - 1], dtype=torch.uint64)}, 'x', 0, str(2**64 - 1)),
    'f64_beyond': ({'x': torch.tensor([1.0, INF, -1e39], dtype=torch.float64)}, 'x', 2, '-1e+39'),
}

# float32 and int32 tensors whose files tensorgrad's writer must reproduce byte for byte. Names
# and dtypes out of order, so the reference's sort shows; metadata has one key (with more, the
# reference's order is a hash map's).
gen = torch.Generator().manual_seed(19)
WRITTEN = {
    'written_default': ({
        'layer.2.weight': torch.randn(3, 2, generator=gen),
        'layer.10.bias': torch.randn(3, generator=gen),
        'Z': torch.tensor([1, -2, 3], dtype=torch.int32),
        'num_batches_tracked': torch.tensor(4, dtype=torch.int32),
        'empty': torch.zeros(0, 4),
        'a': torch.tensor([[0.5, -0.0], [1e-40, 3.0e38]]),
        'é': torch.tensor([7.0]),
        'quote"and\\slash\n': torch.tensor([[9]], dtype=torch.int32),
    }, {'format': 'pt'}),
    'written_metadata': ({'w': torch.arange(6, dtype=torch.float32).reshape(2, 3), 'i': torch.arange(4, dtype=torch.int32)},
                         {'source': 'tensorgrad fixture: "quoted", ünïcode'}),
    'written_empty': ({}, {'format': 'pt'}),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {'loads': {}, 'refused': {}, 'written': {}}
    for name, tensors in CASES.items():
        save_file(tensors, os.path.join(OUT, f'{name}.safetensors'))
        expected['loads'][name] = {
            k: {'dtype': str(t.dtype).removeprefix('torch.'), 'shape': list(t.shape), 'values': expected_values(t)}
            for k, t in tensors.items()
        }
    for name, (tensors, bad, index, value) in REFUSED.items():
        save_file(tensors, os.path.join(OUT, f'{name}.safetensors'))
        expected['refused'][name] = {'tensor': bad, 'index': index, 'value': value}
    for name, (tensors, metadata) in WRITTEN.items():
        save_file(tensors, os.path.join(OUT, f'{name}.safetensors'), metadata=metadata)
        expected['written'][name] = {
            'metadata': metadata,
            'tensors': {k: {'dtype': 'float32' if t.dtype == torch.float32 else 'int32', 'shape': list(t.shape),
                            'values': expected_values(t)} for k, t in tensors.items()},
        }
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write('\n')


if __name__ == '__main__':
    main()
