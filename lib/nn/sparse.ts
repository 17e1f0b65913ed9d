/** Embedding: a lookup table of learned vectors, one row per index (torch.nn.Embedding). */
import { noGrad } from '../autograd.js';
import { zeros } from '../creation.js';
import { ShapeError } from '../errors.js';
import { checkTensor, requireFloat, type Tensor } from '../tensor.js';
import { checkBool, checkInt, checkOptions } from '../validate.js';
import { EMBEDDING_OPTIONS, embedding, embeddingNorms, type EmbeddingOptions, paddingIndex } from './functional_sparse.js';
import { normal } from './init.js';
import { Module, pyBool, pyFloat } from './module.js';
import { Parameter } from './parameter.js';

export interface EmbeddingLayerOptions extends EmbeddingOptions {
  /** Use this (numEmbeddings, embeddingDim) tensor as the weight (its memory, not a copy) instead of a fresh N(0, 1) one. */
  _weight?: Tensor | null;
  /** With _weight: the weight does not require grad (default false). */
  _freeze?: boolean;
}

export interface FromPretrainedOptions extends EmbeddingOptions {
  /** The weight does not require grad, so training leaves it as it is (default true). */
  freeze?: boolean;
}

/** int32 indices of any shape → their rows of `weight`: output shape input.shape + [embeddingDim]. */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** In [0, numEmbeddings), or null: this row is zero at initialisation and gets no gradient. */
  readonly paddingIdx: number | null;
  readonly maxNorm: number | null;
  readonly normType: number;
  readonly scaleGradByFreq: boolean;
  /** (numEmbeddings, embeddingDim) */
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options?: EmbeddingLayerOptions) {
    super();
    const fn = 'Embedding';
    this.numEmbeddings = checkInt(fn, 'numEmbeddings', numEmbeddings, 0);
    this.embeddingDim = checkInt(fn, 'embeddingDim', embeddingDim, 0);
    const opts = checkOptions<EmbeddingLayerOptions>(fn, options, [...EMBEDDING_OPTIONS, '_weight', '_freeze']);
    const padding = paddingIndex(fn, opts.paddingIdx, numEmbeddings);
    this.paddingIdx = padding < 0 ? null : padding;
    ({ maxNorm: this.maxNorm, normType: this.normType, scaleGradByFreq: this.scaleGradByFreq } = embeddingNorms(fn, opts));
    const freeze = opts._freeze === undefined ? false : checkBool(fn, 'options._freeze', opts._freeze);
    if (opts._weight == null) {
      this.weight = new Parameter(zeros([numEmbeddings, embeddingDim]), !freeze);
      this.resetParameters();
      return;
    }
    const w = checkTensor(fn, 'options._weight', opts._weight);
    requireFloat(fn, w, 'options._weight');
    if (w.ndim !== 2 || w.shape[0] !== numEmbeddings || w.shape[1] !== embeddingDim) {
      throw new ShapeError(`${fn}: options._weight must have shape [${numEmbeddings}, ${embeddingDim}], got [${w.shape.join(', ')}]`);
    }
    this.weight = new Parameter(w, !freeze);
  }

  /**
   * An Embedding whose weight is `embeddings` (rows = numEmbeddings), as torch's
   * from_pretrained: frozen unless options.freeze is false; the padding row is left as given.
   */
  static fromPretrained(embeddings: Tensor, options?: FromPretrainedOptions): Embedding {
    const fn = 'Embedding.fromPretrained';
    checkTensor(fn, 'embeddings', embeddings);
    if (embeddings.ndim !== 2) throw new ShapeError(`${fn}: embeddings must be 2-D (numEmbeddings, embeddingDim), got shape [${embeddings.shape.join(', ')}]`);
    const { freeze, ...rest } = checkOptions<FromPretrainedOptions>(fn, options, [...EMBEDDING_OPTIONS, 'freeze']);
    const frozen = freeze === undefined ? true : checkBool(fn, 'options.freeze', freeze);
    return new Embedding(embeddings.shape[0]!, embeddings.shape[1]!, { ...rest, _weight: embeddings, _freeze: frozen });
  }

  /** weight ~ N(0, 1) from the seeded generator (manualSeed), the padding row zeroed. */
  resetParameters(): void {
    normal(this.weight);
    if (this.paddingIdx !== null) noGrad(() => this.weight.get(this.paddingIdx!).zero_());
  }

  forward(input: Tensor): Tensor {
    return embedding(input, this.weight, {
      paddingIdx: this.paddingIdx,
      maxNorm: this.maxNorm,
      normType: this.normType,
      scaleGradByFreq: this.scaleGradByFreq,
    });
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyFloat(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${pyFloat(this.normType)}`;
    if (this.scaleGradByFreq) s += `, scale_grad_by_freq=${pyBool(true)}`;
    return s;
  }
}
