// The fused linear backward and its reference twin. For y = act(x·Wᵀ + b):
//   dz = g·act'(y) and db = Σ_rows dz   (one pass over g, columns split across threads)
//   dx = dz·W                           (GEMM, NN)
//   dW = dzᵀ·x                          (GEMM, TN: the transpose is absorbed by packing)
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "kernels/gemm/gemm.h"
#include "kernels/kernel_table.h"
#include "ops/launch.h"
#include "ops/nn.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {

struct Flat {
  Tensor x, g, y;  // (rows, in), (rows, out), (rows, out) or undefined
  int64_t rows, in, out;
};

Flat Flatten(const Tensor& x, const Tensor& weight, const Tensor& y, const Tensor& g, Activation act) {
  Flat f;
  f.out = weight.shape()[0];
  f.in = weight.shape()[1];
  f.x = Contiguous(Reshape(x, {-1, f.in}));
  f.g = Contiguous(Reshape(g, {-1, f.out}));
  f.rows = f.g.shape()[0];
  if (f.x.shape()[0] != f.rows) {
    Fail(StatusCode::kShape, "linear backward: gradient shape ", ShapeToString(g.shape()), " does not match input shape ",
         ShapeToString(x.shape()));
  }
  if (act != Activation::kIdentity) {
    if (!y.defined() || y.numel() != f.g.numel()) Fail(StatusCode::kInternal, "linear backward: the output was not saved");
    f.y = Contiguous(Reshape(y, {-1, f.out}));
  }
  return f;
}


}  // namespace

LinearGrads LinearBackward(const Tensor& x, const Tensor& weight, const Tensor& y, const Tensor& g, Activation act,
                           float negative_slope, bool need_x, bool need_weight, bool need_bias) {
  const Flat f = Flatten(x, weight, y, g, act);
  const int64_t rows = f.rows, in = f.in, out = f.out;  // plain values for the closures
  LinearGrads grads;
  if (need_bias) grads.bias = Tensor::Empty({f.out});
  // dz: the gradient itself for the identity, else g·act'(y) in a fresh buffer.
  Tensor dz = f.g;
  if (act != Activation::kIdentity || need_bias) {
    if (act != Activation::kIdentity) dz = Tensor::Empty({f.rows, f.out});
    const auto kernel = Kernels().activation->act_backward_colsum;
    const float* py = act != Activation::kIdentity ? f.y.data<float>() : f.g.data<float>();
    const float* pg = f.g.data<float>();
    // For the identity the kernel's dz output would be g itself: it writes into a scratch
    // copy only when the caller did not hand it a fresh buffer.
    Tensor scratch = act == Activation::kIdentity ? Tensor::Empty({f.rows, f.out}) : dz;
    float* pz = scratch.data<float>();
    float* pb = need_bias ? grads.bias.data<float>() : nullptr;
    // Whole columns per task: each db[j] is summed over rows in one fixed order.
    const int64_t col_grain = std::max<int64_t>(16, (int64_t{1} << 15) / std::max<int64_t>(rows, 1));
    Launch([=] {
      ParallelFor(0, out, col_grain, [&](int64_t c0, int64_t c1) {
        kernel(act, negative_slope, py + c0, pg + c0, pz + c0, pb != nullptr ? pb + c0 : nullptr, rows, c1 - c0, out);
      });
    }, f.y, f.g, scratch, grads.bias);
    if (act != Activation::kIdentity) dz = scratch;
  }
  const Tensor w = Contiguous(weight);
  const float* pdz = dz.data<float>();
  if (need_x) {
    Tensor dx = Tensor::Empty({f.rows, f.in});
    const float* pw = w.data<float>();
    float* pdx = dx.data<float>();
    Launch([=] { Gemm(Trans::kN, Trans::kN, rows, in, out, 1.0f, pdz, out, pw, in, 0.0f, pdx, in); }, dz, w, dx);
    grads.x = Reshape(dx, x.shape());
  }
  if (need_weight) {
    grads.weight = Tensor::Empty({f.out, f.in});
    const float* px = f.x.data<float>();
    float* pdw = grads.weight.data<float>();
    Launch([=] { Gemm(Trans::kT, Trans::kN, out, in, rows, 1.0f, pdz, out, px, in, 0.0f, pdw, in); }, dz, f.x, grads.weight);
  }
  return grads;
}

LinearGrads LinearBackwardReference(const Tensor& x, const Tensor& weight, const Tensor& y, const Tensor& g, Activation act,
                                    float negative_slope) {
  const Flat f = Flatten(x, weight, y, g, act);
  const Tensor w = Contiguous(weight);
  LinearGrads grads{Tensor::Empty({f.rows, f.in}), Tensor::Empty({f.out, f.in}), Tensor::Empty({f.out})};
  const int64_t rows = f.rows, in = f.in, out = f.out;
  const float* px = f.x.data<float>();
  const float* pg = f.g.data<float>();
  const float* pw = w.data<float>();
  const float* py = act != Activation::kIdentity ? f.y.data<float>() : nullptr;
  float* pdx = grads.x.data<float>();
  float* pdw = grads.weight.data<float>();
  float* pdb = grads.bias.data<float>();
  // dz in double, allocated here rather than in the closure; the closure's copy of the
  // pointer keeps it alive until the task is gone.
  const auto dz_buffer = std::make_shared<std::vector<double>>(static_cast<size_t>(f.rows * f.out));
  Launch([=] {
    std::vector<double>& dz = *dz_buffer;
    for (int64_t i = 0; i < rows * out; ++i) {
      const double d = act == Activation::kIdentity ? 1.0 : ActivationDerivativeFromOutput<double>(act, py[i], negative_slope);
      dz[i] = pg[i] * d;
    }
    for (int64_t j = 0; j < out; ++j) {
      double s = 0;
      for (int64_t i = 0; i < rows; ++i) s += dz[i * out + j];
      pdb[j] = static_cast<float>(s);
    }
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t k = 0; k < in; ++k) {
        double s = 0;
        for (int64_t j = 0; j < out; ++j) s += dz[i * out + j] * pw[j * in + k];
        pdx[i * in + k] = static_cast<float>(s);
      }
    }
    for (int64_t j = 0; j < out; ++j) {
      for (int64_t k = 0; k < in; ++k) {
        double s = 0;
        for (int64_t i = 0; i < rows; ++i) s += dz[i * out + j] * px[i * in + k];
        pdw[j * in + k] = static_cast<float>(s);
      }
    }
  }, f.x, f.g, f.y, w, grads.x, grads.weight, grads.bias);
  grads.x = Reshape(grads.x, x.shape());
  return grads;
}

}  // namespace tg
