/**
 * Direct 2-D convolution (stride 1, zero padding, square kernel) and max pooling by hand, on
 * NCHW Float32Arrays, as torch.nn.Conv2d and MaxPool2d compute them. No im2col: every kernel tap
 * slides along whole rows, so the innermost loops are unit-stride over input and output.
 */
import { defaultInit, type Parameter, parameter, sized } from './layers.js';

// For kernel offset `tap`, the output positions [first, end) whose input position
// out + tap - pad lies inside the input: the padding is never stored, only skipped.
const firstValidOutput = (tap: number, pad: number): number => Math.max(0, pad - tap);
const endValidOutput = (tap: number, pad: number, outSize: number, inSize: number): number => Math.min(outSize, inSize + pad - tap);

/** input (N, inChannels, H, W) → output (N, outChannels, H + 2·pad - k + 1, W + 2·pad - k + 1). */
export class Conv2d {
  /** (outChannels, inChannels, k, k) */
  readonly weight: Parameter;
  /** (outChannels) */
  readonly bias: Parameter;
  private input: Float32Array = new Float32Array(0); // the last forward's, for dW
  private output: Float32Array = new Float32Array(0);
  private inputGrad: Float32Array = new Float32Array(0);
  private shape = { count: 0, height: 0, width: 0, outHeight: 0, outWidth: 0 };

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernel: number, readonly padding: number, random: () => number) {
    this.weight = parameter([outChannels, inChannels, kernel, kernel]);
    this.bias = parameter([outChannels]);
    defaultInit(this.weight, this.bias, inChannels * kernel * kernel, random);
  }

  outputSize(size: number): number {
    return size + 2 * this.padding - this.kernel + 1;
  }

  /** The output of count images of height×width; the returned buffer is reused by the next call. */
  forward(x: Float32Array, count: number, height: number, width: number): Float32Array {
    const { inChannels: C, outChannels: O, kernel: K, padding: pad } = this;
    const outHeight = this.outputSize(height);
    const outWidth = this.outputSize(width);
    this.shape = { count, height, width, outHeight, outWidth };
    this.input = x;
    const out = (this.output = sized(this.output, count * O * outHeight * outWidth));
    const w = this.weight.value;
    for (let n = 0; n < count; n++) {
      for (let o = 0; o < O; o++) {
        const outPlane = (n * O + o) * outHeight * outWidth;
        out.fill(this.bias.value[o]!, outPlane, outPlane + outHeight * outWidth);
        for (let c = 0; c < C; c++) {
          const inPlane = (n * C + c) * height * width;
          for (let kh = 0; kh < K; kh++) {
            const ohStart = firstValidOutput(kh, pad);
            const ohEnd = endValidOutput(kh, pad, outHeight, height);
            for (let kw = 0; kw < K; kw++) {
              const owStart = firstValidOutput(kw, pad);
              const owEnd = endValidOutput(kw, pad, outWidth, width);
              const tap = w[((o * C + c) * K + kh) * K + kw]!;
              for (let oh = ohStart; oh < ohEnd; oh++) {
                const inRow = inPlane + (oh + kh - pad) * width + kw - pad; // input under output (oh, 0)
                const outRow = outPlane + oh * outWidth;
                for (let ow = owStart; ow < owEnd; ow++) out[outRow + ow]! += tap * x[inRow + ow]!;
              }
            }
          }
        }
      }
    }
    return out;
  }

  /**
   * From dOut (the last forward's output shape), writes dW (Σ dOut·input under each tap) and db
   * (Σ dOut per channel); returns dInput (same loops, input += tap·dOut), or null when not needed.
   */
  backward(dOut: Float32Array, needInputGrad: boolean): Float32Array | null {
    const { inChannels: C, outChannels: O, kernel: K, padding: pad } = this;
    const { count, height, width, outHeight, outWidth } = this.shape;
    const x = this.input;
    const w = this.weight.value;
    const dW = this.weight.grad;
    const db = this.bias.grad;
    dW.fill(0);
    db.fill(0);
    const dIn = needInputGrad ? (this.inputGrad = sized(this.inputGrad, x.length)) : null;
    dIn?.fill(0);
    for (let n = 0; n < count; n++) {
      for (let o = 0; o < O; o++) {
        const outPlane = (n * O + o) * outHeight * outWidth;
        for (let i = outPlane; i < outPlane + outHeight * outWidth; i++) db[o]! += dOut[i]!;
        for (let c = 0; c < C; c++) {
          const inPlane = (n * C + c) * height * width;
          for (let kh = 0; kh < K; kh++) {
            const ohStart = firstValidOutput(kh, pad);
            const ohEnd = endValidOutput(kh, pad, outHeight, height);
            for (let kw = 0; kw < K; kw++) {
              const owStart = firstValidOutput(kw, pad);
              const owEnd = endValidOutput(kw, pad, outWidth, width);
              const tapIndex = ((o * C + c) * K + kh) * K + kw;
              const tap = w[tapIndex]!;
              let tapGrad = 0;
              for (let oh = ohStart; oh < ohEnd; oh++) {
                const inRow = inPlane + (oh + kh - pad) * width + kw - pad;
                const outRow = outPlane + oh * outWidth;
                if (dIn === null) {
                  for (let ow = owStart; ow < owEnd; ow++) tapGrad += dOut[outRow + ow]! * x[inRow + ow]!;
                } else {
                  for (let ow = owStart; ow < owEnd; ow++) {
                    const g = dOut[outRow + ow]!;
                    tapGrad += g * x[inRow + ow]!;
                    dIn[inRow + ow]! += tap * g;
                  }
                }
              }
              dW[tapIndex]! += tapGrad;
            }
          }
        }
      }
    }
    return dIn;
  }
}

/** size×size max pooling with stride size: input (N, C, H, W) → (N, C, ⌊H/size⌋, ⌊W/size⌋). */
export class MaxPool2d {
  private output: Float32Array = new Float32Array(0);
  /** For each output, the index in the input of the window's maximum (the first one on ties, as PyTorch). */
  private argmax = new Int32Array(0);
  private inputGrad: Float32Array = new Float32Array(0);

  constructor(readonly size: number) {}

  forward(x: Float32Array, planes: number, height: number, width: number): Float32Array {
    const s = this.size;
    const outHeight = Math.floor(height / s);
    const outWidth = Math.floor(width / s);
    const outSize = planes * outHeight * outWidth;
    this.output = sized(this.output, outSize);
    if (this.argmax.length !== outSize) this.argmax = new Int32Array(outSize);
    if (this.inputGrad.length !== x.length) this.inputGrad = new Float32Array(x.length);
    let at = 0;
    for (let p = 0; p < planes; p++) {
      for (let oh = 0; oh < outHeight; oh++) {
        for (let ow = 0; ow < outWidth; ow++) {
          let best = -1;
          let max = -Infinity;
          for (let dh = 0; dh < s; dh++) {
            for (let dw = 0; dw < s; dw++) {
              const index = (p * height + oh * s + dh) * width + ow * s + dw;
              if (x[index]! > max || best < 0) {
                max = x[index]!;
                best = index;
              }
            }
          }
          this.output[at] = max;
          this.argmax[at++] = best;
        }
      }
    }
    return this.output;
  }

  /** The gradient by the last forward's input: each output's gradient goes to its window's maximum. */
  backward(dOut: Float32Array): Float32Array {
    const dIn = this.inputGrad;
    dIn.fill(0);
    for (let i = 0; i < dOut.length; i++) dIn[this.argmax[i]!]! += dOut[i]!;
    return dIn;
  }
}
