/**
 * The bench's LeNet-style CNN by hand: conv 1→16 5x5 pad 2, ReLU, maxpool 2, conv 16→32 5x5
 * pad 2, ReLU, maxpool 2, flatten (32·7·7 = 1568, NCHW order as torch.flatten), fc 1568→128,
 * ReLU, fc 128→10. Input: count images of 28×28 (one channel), 784 floats each.
 */
import { Conv2d, MaxPool2d } from './conv.js';
import { Linear, type Model, type Parameter, reluBackwardInPlace, reluInPlace, seededRandom } from './layers.js';

const SIDE = 28;

export class LeNet implements Model {
  readonly conv1: Conv2d;
  readonly pool1 = new MaxPool2d(2);
  readonly conv2: Conv2d;
  readonly pool2 = new MaxPool2d(2);
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly parameters: readonly Parameter[];
  // ReLU's outputs of the last forward, which its backward masks by.
  private conv1Activations: Float32Array = new Float32Array(0);
  private conv2Activations: Float32Array = new Float32Array(0);
  private fc1Activations: Float32Array = new Float32Array(0);

  /** Layers initialised in order (conv1, conv2, fc1, fc2; weight before bias) from seed. */
  constructor(seed: number, classes = 10) {
    const random = seededRandom(seed);
    this.conv1 = new Conv2d(1, 16, 5, 2, random);
    this.conv2 = new Conv2d(16, 32, 5, 2, random);
    this.fc1 = new Linear(32 * 7 * 7, 128, random);
    this.fc2 = new Linear(128, classes, random);
    this.parameters = [this.conv1, this.conv2, this.fc1, this.fc2].flatMap((layer) => [layer.weight, layer.bias]);
  }

  forward(x: Float32Array, count: number): Float32Array {
    const a1 = this.conv1.forward(x, count, SIDE, SIDE); // (count, 16, 28, 28)
    reluInPlace(a1);
    this.conv1Activations = a1;
    const p1 = this.pool1.forward(a1, count * 16, SIDE, SIDE); // (count, 16, 14, 14)
    const a2 = this.conv2.forward(p1, count, SIDE / 2, SIDE / 2); // (count, 32, 14, 14)
    reluInPlace(a2);
    this.conv2Activations = a2;
    const p2 = this.pool2.forward(a2, count * 32, SIDE / 2, SIDE / 2); // (count, 32, 7, 7) = (count, 1568)
    const h = this.fc1.forward(p2, count);
    reluInPlace(h);
    this.fc1Activations = h;
    return this.fc2.forward(h, count);
  }

  backward(dLogits: Float32Array, count: number): void {
    const dH = this.fc2.backward(dLogits, count, true)!;
    reluBackwardInPlace(dH, this.fc1Activations);
    const dP2 = this.fc1.backward(dH, count, true)!;
    const dA2 = this.pool2.backward(dP2);
    reluBackwardInPlace(dA2, this.conv2Activations);
    const dP1 = this.conv2.backward(dA2, true)!;
    const dA1 = this.pool1.backward(dP1);
    reluBackwardInPlace(dA1, this.conv1Activations);
    this.conv1.backward(dA1, false);
  }
}
