// matmul (torch.matmul semantics, batched with broadcasting) and linear (x·Wᵀ + b with a
// fused activation), on the packed GEMM. Transposed views go to the GEMM as op(A) = Aᵀ
// rather than being copied.
#include <algorithm>

#include "kernels/gemm/gemm.h"
#include "ops/launch.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {

// How the GEMM reads the last two dimensions of a view: row-major (kN) or column-major (kT),
// with the leading dimension. Returns false when neither fits (the caller copies).
bool MatrixLayout(int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride, Trans* trans, int64_t* ld) {
  if (cols == 1 || col_stride == 1) {
    *trans = Trans::kN;
    *ld = std::max<int64_t>(rows == 1 ? cols : row_stride, std::max<int64_t>(cols, 1));
    return rows == 1 || row_stride >= cols;
  }
  if (rows == 1 || row_stride == 1) {
    *trans = Trans::kT;
    *ld = std::max<int64_t>(col_stride, std::max<int64_t>(rows, 1));
    return cols == 1 || col_stride >= rows;
  }
  return false;
}

struct MatrixOperand {
  Tensor t;  // the tensor read (the input, or a contiguous copy of it)
  Trans trans;
  int64_t ld;
};

MatrixOperand Operand(const Tensor& x) {
  const int nd = x.ndim();
  const int64_t rows = x.shape()[nd - 2], cols = x.shape()[nd - 1];
  MatrixOperand op{x, Trans::kN, cols};
  // Batch dimensions are walked by strides; only the matrix dimensions need a GEMM layout.
  if (!MatrixLayout(rows, cols, x.strides()[nd - 2], x.strides()[nd - 1], &op.trans, &op.ld)) {
    op.t = Contiguous(x);
    op.trans = Trans::kN;
    op.ld = std::max<int64_t>(cols, 1);
  }
  return op;
}

std::string Shapes(const Tensor& a, const Tensor& b) { return ShapeToString(a.shape()) + " and " + ShapeToString(b.shape()); }

}  // namespace

Tensor Matmul(const Tensor& a_in, const Tensor& b_in) {
  RequireFloat(a_in, "matmul", "input");
  RequireFloat(b_in, "matmul", "other");
  if (a_in.ndim() == 0 || b_in.ndim() == 0) {
    Fail(StatusCode::kShape, "matmul: both arguments need at least 1 dimension, got shapes ", Shapes(a_in, b_in));
  }
  // 1-D operands become a row (left) or a column (right) and that dimension is dropped after.
  const bool a_vec = a_in.ndim() == 1, b_vec = b_in.ndim() == 1;
  const Tensor a = a_vec ? Reshape(a_in, {1, a_in.shape()[0]}) : a_in;
  const Tensor b = b_vec ? Reshape(b_in, {b_in.shape()[0], 1}) : b_in;
  const int64_t m = a.shape()[a.ndim() - 2], k = a.shape()[a.ndim() - 1];
  const int64_t kb = b.shape()[b.ndim() - 2], n = b.shape()[b.ndim() - 1];
  if (k != kb) {
    Fail(StatusCode::kShape, "matmul: shapes ", Shapes(a_in, b_in), " cannot be multiplied (", m, "x", k, " and ", kb,
         "x", n, "): the inner dimensions ", k, " and ", kb, " differ");
  }
  const Shape a_batch(a.shape().begin(), a.shape().end() - 2), b_batch(b.shape().begin(), b.shape().end() - 2);
  Shape batch;
  try {
    batch = BroadcastShapes(a_batch, b_batch, "matmul");
  } catch (const Error&) {
    Fail(StatusCode::kShape, "matmul: the batch dimensions of shapes ", Shapes(a_in, b_in),
         " cannot be broadcast together (each pair must be equal or 1)");
  }
  Shape out_shape = batch;
  if (!a_vec) out_shape.push_back(m);
  if (!b_vec) out_shape.push_back(n);
  Tensor out = Tensor::Empty(out_shape);
  const int64_t count = CheckedNumel(batch);
  if (out.numel() == 0) return out;

  const MatrixOperand A = Operand(a), B = Operand(b);
  // Element strides of each batch dimension of A and B as broadcast to `batch`.
  const int nb = static_cast<int>(batch.size());
  Shape a_strides(nb, 0), b_strides(nb, 0);
  for (int i = 0; i < nb; ++i) {
    const int ai = i - (nb - static_cast<int>(a_batch.size())), bi = i - (nb - static_cast<int>(b_batch.size()));
    if (ai >= 0 && a_batch[ai] != 1) a_strides[i] = A.t.strides()[ai];
    if (bi >= 0 && b_batch[bi] != 1) b_strides[i] = B.t.strides()[bi];
  }
  const float* pa = A.t.data<float>();
  const float* pb = B.t.data<float>();
  float* pc = out.data<float>();
  // The closure takes the operands' layouts as plain values, never A or B (their tensors may
  // be the caller's, with autograd state).
  const Trans ta = A.trans, tb = B.trans;
  const int64_t lda = A.ld, ldb = B.ld;
  Launch([=] {
    auto run = [&](int64_t first, int64_t last) {
      for (int64_t p = first; p < last; ++p) {
        int64_t rest = p, oa = 0, ob = 0;
        for (int i = nb - 1; i >= 0; --i) {
          const int64_t idx = rest % batch[i];
          rest /= batch[i];
          oa += idx * a_strides[i];
          ob += idx * b_strides[i];
        }
        Gemm(ta, tb, m, n, k, 1.0f, pa + oa, lda, pb + ob, ldb, 0.0f, pc + p * m * n, n);
      }
    };
    // Many small products: one per thread at a time (each GEMM then runs single-threaded, as a
    // nested ParallelFor does). Few large ones: one after another, each on every thread.
    const int64_t flops = 2 * m * n * k;
    if (count > 1 && flops < (int64_t{1} << 22)) ParallelFor(0, count, std::max<int64_t>(1, (int64_t{1} << 22) / std::max<int64_t>(flops, 1)), run);
    else run(0, count);
  }, A.t, B.t, out);
  return out;
}

Tensor Linear(const Tensor& x, const Tensor& weight, const Tensor* bias, Activation act, float negative_slope) {
  RequireFloat(x, "linear", "input");
  RequireFloat(weight, "linear", "weight");
  if (weight.ndim() != 2) Fail(StatusCode::kShape, "linear: weight must be 2-D (out_features, in_features), got shape ", ShapeToString(weight.shape()));
  if (x.ndim() < 1) Fail(StatusCode::kShape, "linear: input must have at least 1 dimension, got a 0-D tensor");
  const int64_t out_features = weight.shape()[0], in_features = weight.shape()[1];
  if (x.shape().back() != in_features) {
    Fail(StatusCode::kShape, "linear: input shape ", ShapeToString(x.shape()), " does not end in in_features = ", in_features,
         " (weight shape ", ShapeToString(weight.shape()), ")");
  }
  if (bias != nullptr) {
    RequireFloat(*bias, "linear", "bias");
    if (bias->ndim() != 1 || bias->shape()[0] != out_features) {
      Fail(StatusCode::kShape, "linear: bias must have shape [", out_features, "], got ", ShapeToString(bias->shape()));
    }
  }
  // Every leading dimension of x folds into the rows of one GEMM: (rows, in) · (out, in)ᵀ.
  const Tensor x2 = Reshape(x, {-1, in_features});
  const int64_t rows = x2.shape()[0];
  Shape out_shape(x.shape().begin(), x.shape().end() - 1);
  out_shape.push_back(out_features);
  Tensor out = Tensor::Empty(out_shape);
  if (out.numel() == 0) return out;
  const MatrixOperand X = Operand(x2);
  // W is (out, in) and the GEMM wants op(B) = Wᵀ (in, out): a row-major W is B in kT form.
  const Tensor wt = Transpose(weight, 0, 1);
  const MatrixOperand W = Operand(wt);
  const Tensor b = bias != nullptr ? Contiguous(*bias) : Tensor();
  GemmEpilogue epilogue;
  epilogue.bias = bias != nullptr ? b.data<float>() : nullptr;
  epilogue.act = act;
  epilogue.negative_slope = negative_slope;
  const Trans tx = X.trans, tw = W.trans;
  const int64_t ldx = X.ld, ldw = W.ld;
  const float* px = X.t.data<float>();
  const float* pw = W.t.data<float>();
  float* po = out.data<float>();
  Launch([=] { Gemm(tx, tw, rows, out_features, in_features, 1.0f, px, ldx, pw, ldw, 0.0f, po, out_features, &epilogue); },
         X.t, W.t, b, out);
  return out;
}

}  // namespace tg
