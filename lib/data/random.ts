/**
 * Orders for shuffling and splitting datasets: xoshiro128** (Blackman & Vigna), seeded
 * through splitmix32, and a Fisher–Yates shuffle. These permute sample indices, never tensor
 * data, so they live in JS: an epoch's order is a pure function of (seed, epoch), the same on
 * every platform and independent of the native generator's state.
 */
import { rand } from '../creation.js';

const TWO_32 = 2 ** 32;

// splitmix32's finaliser: spreads every input bit over the whole word.
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** xoshiro128**: 32-bit words only, so it runs on plain JS numbers (Math.imul) without BigInt. */
export class Xoshiro128 {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /** seed: a non-negative safe integer; stream: a second key (the epoch) giving an independent sequence. */
  constructor(seed: number, stream = 0) {
    // Absorb the 53-bit seed and the stream into a splitmix32 state, then draw the four words.
    let state = 0;
    for (const word of [seed % TWO_32, Math.floor(seed / TWO_32), stream % TWO_32, Math.floor(stream / TWO_32)]) {
      state = mix32((state + 0x9e3779b9) ^ word);
    }
    const next = (): number => {
      state = (state + 0x9e3779b9) | 0;
      return mix32(state);
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1; // the one state xoshiro cannot leave
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s1 = this.#s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** A uniform integer in [0, n) for 1 <= n <= 2^32, without modulo bias (rejection sampling). */
  below(n: number): number {
    const limit = TWO_32 - (TWO_32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  nextFloat(): number {
    return this.nextUint32() / TWO_32;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** 0 .. n-1 in the order of a Fisher–Yates shuffle driven by rng. */
export function permutation(n: number, rng: Xoshiro128): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}

/**
 * A fresh 48-bit seed from the native generator, so that code which never passes a seed is
 * still reproducible under manualSeed(). (rand() gives float32 values with 24 random bits.)
 */
export function drawSeed(): number {
  const [hi, lo] = rand(2).data();
  return Math.floor(hi! * 2 ** 24) * 2 ** 24 + Math.floor(lo! * 2 ** 24);
}
