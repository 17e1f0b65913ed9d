// conv2d: argument checks, then im2col + GEMM per image and group (kernels/conv.h,
// kernels/gemm/gemm.h). Forward: out_g (C_out/g, HW) = W_g (C_out/g, K) · cols (K, HW), the
// bias pre-filled into out_g and added by the GEMM's beta = 1 (its epilogue bias runs along
// columns, i.e. pixels, not channels), the activation applied in the epilogue. Backward:
// dz = dy·act'(y); db = Σ dz; dW_g += dz_g · colsᵀ; dcols = W_gᵀ · dz_g, then col2im.
// Threads: with at least as many images as threads, images are split over threads (each GEMM
// then runs inline); otherwise images run in turn and each GEMM uses every thread.
#include "ops/conv.h"

#include <algorithm>
#include <vector>

#include "kernels/conv.h"
#include "kernels/gemm/gemm.h"
#include "kernels/kernel_table.h"
#include "ops/launch.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {

Conv2dGeometry Check(const Tensor& x, const Tensor& weight, const Tensor* bias, const Conv2dParams& p) {
  RequireFloat(x, "conv2d", "input");
  RequireFloat(weight, "conv2d", "weight");
  if (x.ndim() != 4) Fail(StatusCode::kShape, "conv2d: input must be 4-D (N, C_in, H, W), got shape ", ShapeToString(x.shape()));
  if (weight.ndim() != 4) {
    Fail(StatusCode::kShape, "conv2d: weight must be 4-D (C_out, C_in/groups, kH, kW), got shape ", ShapeToString(weight.shape()));
  }
  for (int i = 0; i < 2; ++i) {
    if (p.stride[i] < 1) Fail(StatusCode::kArgument, "conv2d: stride must be >= 1, got ", p.stride[0], ", ", p.stride[1]);
    if (p.dilation[i] < 1) Fail(StatusCode::kArgument, "conv2d: dilation must be >= 1, got ", p.dilation[0], ", ", p.dilation[1]);
  }
  for (int64_t pad : p.padding) {
    if (pad < 0) {
      Fail(StatusCode::kArgument, "conv2d: padding must be >= 0, got (top, bottom, left, right) = ", p.padding[0], ", ",
           p.padding[1], ", ", p.padding[2], ", ", p.padding[3]);
    }
  }
  if (p.groups < 1) Fail(StatusCode::kArgument, "conv2d: groups must be >= 1, got ", p.groups);
  const Shape& xs = x.shape();
  const Shape& ws = weight.shape();
  Conv2dGeometry g{xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], p.stride[0], p.stride[1], p.padding[0], p.padding[1],
                   p.padding[2], p.padding[3], p.dilation[0], p.dilation[1], p.groups};
  if (ws[0] < 1 || ws[1] < 1 || ws[2] < 1 || ws[3] < 1) {
    Fail(StatusCode::kShape, "conv2d: every dimension of weight must be >= 1, got shape ", ShapeToString(ws));
  }
  if (g.c_in % p.groups != 0) {
    Fail(StatusCode::kShape, "conv2d: input channels (", g.c_in, ") must be divisible by groups (", p.groups, ")");
  }
  if (g.c_out % p.groups != 0) {
    Fail(StatusCode::kShape, "conv2d: weight's output channels (", g.c_out, ") must be divisible by groups (", p.groups, ")");
  }
  if (ws[1] * p.groups != g.c_in) {
    Fail(StatusCode::kShape, "conv2d: weight shape ", ShapeToString(ws), " with groups = ", p.groups, " expects ",
         ws[1] * p.groups, " input channels, got input shape ", ShapeToString(xs));
  }
  if (bias != nullptr) {
    RequireFloat(*bias, "conv2d", "bias");
    if (bias->ndim() != 1 || bias->shape()[0] != g.c_out) {
      Fail(StatusCode::kShape, "conv2d: bias must have shape [", g.c_out, "], got ", ShapeToString(bias->shape()));
    }
  }
  const int64_t eff_h = g.h + g.pad_top + g.pad_bottom, eff_w = g.w + g.pad_left + g.pad_right;
  const int64_t span_h = g.dil_h * (g.kh - 1) + 1, span_w = g.dil_w * (g.kw - 1) + 1;
  if (eff_h < span_h || eff_w < span_w) {
    Fail(StatusCode::kShape, "conv2d: the padded input (", eff_h, "x", eff_w, ") is smaller than the dilated kernel (",
         span_h, "x", span_w, "): the output would be empty");
  }
  return g;
}

// Images [0, n) split into `tasks` fixed contiguous runs: the partition, hence the order dW is
// summed in, depends only on n and the thread count.
int64_t TaskCount(int64_t n) {
  const int64_t threads = NumThreads();
  return threads > 1 && n >= threads ? threads : 1;
}

template <class Fn>
void ForImageRuns(int64_t n, int64_t tasks, Fn fn) {
  auto run = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) fn(t, n * t / tasks, n * (t + 1) / tasks);
  };
  if (tasks == 1) run(0, 1);  // not through the pool, so the GEMMs inside may use it
  else ParallelFor(0, tasks, 1, run);
}

}  // namespace

Tensor Conv2d(const Tensor& x_in, const Tensor& w_in, const Tensor* bias, const Conv2dParams& p, bool reference) {
  const Conv2dGeometry g = Check(x_in, w_in, bias, p);
  const int64_t ho = g.OutH(), wo = g.OutW(), hw = ho * wo;
  Tensor y = Tensor::Empty({g.n, g.c_out, ho, wo});
  if (y.numel() == 0) return y;
  const Tensor x = Contiguous(x_in), w = Contiguous(w_in);
  const Tensor b = bias != nullptr ? Contiguous(*bias) : Tensor();
  const float* pb = bias != nullptr ? b.data<float>() : nullptr;
  const float* px = x.data<float>();
  const float* pw = w.data<float>();
  float* py = y.data<float>();
  if (reference) {
    const Activation act = p.act;
    const float slope = p.negative_slope;
    Launch([=] { Conv2dForwardReference(g, px, pw, pb, act, slope, py); }, x, w, b, y);
    return y;
  }
  const int64_t cg = g.GroupIn(), og = g.GroupOut(), k = g.ColRows();
  const bool pointwise = g.IsPointwise();
  const int64_t tasks = TaskCount(g.n);
  GemmEpilogue epilogue;
  epilogue.act = p.act;
  epilogue.negative_slope = p.negative_slope;
  Launch([=] {
    ForImageRuns(g.n, tasks, [&](int64_t, int64_t first, int64_t last) {
      std::vector<float> cols(pointwise ? 0 : static_cast<size_t>(k * hw + kIm2ColSlack));
      for (int64_t n = first; n < last; ++n) {
        for (int64_t grp = 0; grp < g.groups; ++grp) {
          const float* xg = px + (n * g.c_in + grp * cg) * g.h * g.w;
          float* out = py + (n * g.c_out + grp * og) * hw;
          const float* a = xg;
          if (!pointwise) {
            Im2Col(g, xg, cg, cols.data());
            a = cols.data();
          }
          if (pb != nullptr) {
            for (int64_t c = 0; c < og; ++c) std::fill(out + c * hw, out + (c + 1) * hw, pb[grp * og + c]);
          }
          Gemm(Trans::kN, Trans::kN, og, hw, k, 1.0f, pw + grp * og * k, k, a, hw, pb != nullptr ? 1.0f : 0.0f, out, hw,
               &epilogue);
        }
      }
    });
  }, x, w, b, y);
  return y;
}

Conv2dGrads Conv2dBackward(const Tensor& x_in, const Tensor& w_in, const Tensor& y_in, const Tensor& g_in,
                           const Conv2dParams& p, bool need_x, bool need_weight, bool need_bias, bool reference) {
  const Conv2dGeometry g = Check(x_in, w_in, nullptr, p);
  const int64_t ho = g.OutH(), wo = g.OutW(), hw = ho * wo;
  const Shape out_shape{g.n, g.c_out, ho, wo};
  if (g_in.shape() != out_shape) {
    Fail(StatusCode::kShape, "conv2d backward: gradient shape ", ShapeToString(g_in.shape()), " does not match the output shape ",
         ShapeToString(out_shape));
  }
  const bool act = p.act != Activation::kIdentity;
  if (act && (!y_in.defined() || y_in.shape() != out_shape)) Fail(StatusCode::kInternal, "conv2d backward: the output was not saved");
  const Tensor x = Contiguous(x_in), w = Contiguous(w_in), dy = Contiguous(g_in);
  const Tensor y = act ? Contiguous(y_in) : Tensor();
  const Activation act_kind = p.act;
  const float slope = p.negative_slope;
  const float* px = x.data<float>();
  const float* pw = w.data<float>();
  const float* pyv = act ? y.data<float>() : nullptr;
  const float* pdy = dy.data<float>();
  Conv2dGrads grads;
  if (reference) {
    grads = {Tensor::Empty(x.shape()), Tensor::Empty(w.shape()), Tensor::Empty({g.c_out})};
    float* rdx = grads.x.data<float>();
    float* rdw = grads.weight.data<float>();
    float* rdb = grads.bias.data<float>();
    Launch([=] { Conv2dBackwardReference(g, px, pw, pyv, pdy, act_kind, slope, rdx, rdw, rdb); }, x, w, y, dy, grads.x,
           grads.weight, grads.bias);
    return grads;
  }
  // dz = dy·act'(y), elementwise.
  Tensor dz = dy;
  if (act) {
    dz = Tensor::Empty(out_shape);
    const auto kernel = Kernels().activation->backward[static_cast<int>(p.act)];
    float* pdz = dz.data<float>();
    const int64_t count = dz.numel();
    Launch([=] {
      ParallelFor(0, count, int64_t{1} << 15, [&](int64_t e0, int64_t e1) {
        kernel(pyv + e0, pdy + e0, pdz + e0, e1 - e0, slope);
      });
    }, y, dy, dz);
  }
  const float* pz = dz.data<float>();
  if (need_bias) {
    // Each channel summed over images, then pixels, in double: the same for any split.
    grads.bias = Tensor::Empty({g.c_out});
    float* pdb = grads.bias.data<float>();
    const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(g.n * hw, 1));
    Launch([=] {
      ParallelFor(0, g.c_out, grain, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
          double s = 0;
          for (int64_t n = 0; n < g.n; ++n) {
            const float* row = pz + (n * g.c_out + c) * hw;
            float partial = 0;
            for (int64_t q = 0; q < hw; ++q) partial += row[q];
            s += partial;
          }
          pdb[c] = static_cast<float>(s);
        }
      });
    }, dz, grads.bias);
  }
  if (!need_x && !need_weight) return grads;
  const int64_t cg = g.GroupIn(), og = g.GroupOut(), k = g.ColRows(), wsize = w.numel();
  const bool pointwise = g.IsPointwise();
  const int64_t tasks = TaskCount(g.n);
  if (need_x) grads.x = Full(x.shape(), 0.0, DType::kFloat32);  // col2im accumulates into it
  if (need_weight) grads.weight = g.n == 0 ? Full(w.shape(), 0.0, DType::kFloat32) : Tensor::Empty(w.shape());
  // Each run of images but the first sums its own dW here; the runs' sums are added in run
  // order after. A scratch tensor, allocated now, so the closure allocates nothing.
  const Tensor partial = need_weight && tasks > 1 ? Tensor::Empty({(tasks - 1) * wsize}) : Tensor();
  float* pp = partial.defined() ? partial.data<float>() : nullptr;
  float* pdx = need_x ? grads.x.data<float>() : nullptr;
  float* pdw = need_weight ? grads.weight.data<float>() : nullptr;
  Launch([=] {
    ForImageRuns(g.n, tasks, [&](int64_t t, int64_t first, int64_t last) {
      float* dw = t == 0 ? pdw : pp + (t - 1) * wsize;
      std::vector<float> cols(pointwise || !need_weight ? 0 : static_cast<size_t>(k * hw + kIm2ColSlack));
      std::vector<float> dcols(pointwise || !need_x ? 0 : static_cast<size_t>(k * hw));
      for (int64_t n = first; n < last; ++n) {
        for (int64_t grp = 0; grp < g.groups; ++grp) {
          const float* dzg = pz + (n * g.c_out + grp * og) * hw;
          const float* wg = pw + grp * og * k;
          const int64_t x_off = (n * g.c_in + grp * cg) * g.h * g.w;
          if (need_weight) {
            const float* c = px + x_off;
            if (!pointwise) {
              Im2Col(g, c, cg, cols.data());
              c = cols.data();
            }
            Gemm(Trans::kN, Trans::kT, og, k, hw, 1.0f, dzg, hw, c, hw, n == first ? 0.0f : 1.0f, dw + grp * og * k, k);
          }
          if (need_x) {
            if (pointwise) {
              Gemm(Trans::kT, Trans::kN, k, hw, og, 1.0f, wg, k, dzg, hw, 0.0f, pdx + x_off, hw);
            } else {
              Gemm(Trans::kT, Trans::kN, k, hw, og, 1.0f, wg, k, dzg, hw, 0.0f, dcols.data(), hw);
              Col2Im(g, dcols.data(), cg, pdx + x_off);
            }
          }
        }
      }
    });
    if (need_weight && tasks > 1) {
      for (int64_t t = 1; t < tasks; ++t) {
        const float* part = pp + (t - 1) * wsize;
        for (int64_t e = 0; e < wsize; ++e) pdw[e] += part[e];
      }
    }
  }, x, w, dz, grads.x, grads.weight, partial);
  return grads;
}

}  // namespace tg
