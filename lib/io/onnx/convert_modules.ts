/**
 * Module-level conversions: layers whose ONNX form is not the sum of the ops their forward
 * runs (Flatten becomes ONNX Flatten, which stays valid for any batch size, where its
 * reshape would freeze the sizes), and the library modules that have no conversion, so that
 * an export through them names the layer rather than an internal op (the cells; nn.Embedding
 * converts through F.embedding's op, a Gather). The recurrent layers
 * are in convert_rnn.ts; every other library layer converts through its functional form's
 * op (convert_ops.ts).
 */
import { Flatten } from '../../nn/flatten.js';
import { GRUCell, LSTMCell, RNNCell } from '../../nn/rnn_cell.js';
import type { Tensor } from '../../tensor.js';
import { reshapeNode } from './convert_ops.js';
import { attr } from './onnx_proto.js';
import { registerModule, registerOpaque } from './trace.js';

registerModule(Flatten, {
  convert: (t, module: Flatten, [x], output) => {
    const input = x as Tensor;
    const n = input.ndim;
    const start = module.startDim < 0 ? module.startDim + n : module.startDim;
    const end = module.endDim < 0 ? module.endDim + n : module.endDim;
    // ONNX Flatten always makes a 2-D result: (dims before axis) x (dims from axis on).
    if (n >= 2 && start === 1 && end === n - 1) {
      const syms = t.syms(input);
      t.bind(output as Tensor, t.emit1('Flatten', [t.value(input)], { axis: attr.int(1) }), [syms[0] ?? null, t.derived(syms.slice(1))]);
    } else {
      reshapeNode(t, input, output as Tensor);
    }
  },
});

for (const cls of [RNNCell, LSTMCell, GRUCell]) registerOpaque(cls, `nn.${cls.name}`);
