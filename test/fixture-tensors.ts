// Tensors as the PyTorch fixture generators write them (test/fixtures/make_*_fixtures.py), and
// the comparison every fixture test makes: same shape, every element within tolerance, the
// failure naming the tensor.
import { expect } from 'vitest';
import { Tensor } from '../lib/index.js';
import { expectClose } from './helpers.js';

export interface Encoded {
  shape: number[];
  data: number[];
}

export const fromEncoded = (e: Encoded, requiresGrad = false): Tensor => {
  const t = Tensor.from(Float32Array.from(e.data), e.shape);
  return requiresGrad ? t.requiresGrad_() : t;
};

export function expectTensor(what: string, actual: Tensor | null, expected: Encoded, tol: { rtol: number; atol: number }): void {
  expect(actual, `${what} is null`).not.toBeNull();
  expect(actual!.shape, `${what} shape`).toEqual(expected.shape);
  try {
    expectClose(actual!.data(), expected.data, tol);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}
