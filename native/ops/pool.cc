// 2-D pooling: argument checks, PyTorch's output sizes, and the split of the planes over
// threads; the arithmetic is in kernels/pool.h. Each plane is one task's serial work, so the
// results do not depend on the thread count.
#include "ops/pool.h"

#include <algorithm>

#include "kernels/pool.h"
#include "ops/launch.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"

namespace tg {
namespace {

constexpr int64_t kGrain = 1 << 14;  // input elements per task

// x (N, C, H, W) or (C, H, W) seen as (P, H, W).
struct Planes {
  int64_t count, h, w;
};

Planes PlanesOf(const Shape& shape, const char* op) {
  const int nd = static_cast<int>(shape.size());
  if (nd != 3 && nd != 4) {
    Fail(StatusCode::kShape, op, ": input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape ", ShapeToString(shape));
  }
  for (int d = nd - 3; d < nd; ++d) {  // a batch of 0 is fine, as in torch; empty planes are not
    if (shape[d] == 0) {
      Fail(StatusCode::kShape, op, ": input must have non-zero C, H and W, got shape ", ShapeToString(shape));
    }
  }
  Planes p{1, shape[nd - 2], shape[nd - 1]};
  for (int d = 0; d < nd - 2; ++d) p.count *= shape[d];
  return p;
}

// floor((n + 2p - d(k-1) - 1 + (ceil ? s-1 : 0)) / s) + 1, less one when ceil mode would start
// the last window in the right padding (PyTorch's pooling_output_shape).
int64_t OutputSize(int64_t n, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  const int64_t span = n + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
  int64_t out = (span >= 0 ? span / s : -((-span + s - 1) / s)) + 1;
  if (ceil_mode && (out - 1) * s >= n + p) --out;
  return out;
}

void CheckParams(const char* op, const Pool2dParams& p) {
  static const char* const kAxis[2] = {"height", "width"};
  for (int i = 0; i < 2; ++i) {
    if (p.kernel[i] <= 0) Fail(StatusCode::kArgument, op, ": kernel size must be > 0, got ", p.kernel[i], " (", kAxis[i], ")");
    if (p.stride[i] <= 0) Fail(StatusCode::kArgument, op, ": stride must be > 0, got ", p.stride[i], " (", kAxis[i], ")");
    if (p.dilation[i] <= 0) Fail(StatusCode::kArgument, op, ": dilation must be > 0, got ", p.dilation[i], " (", kAxis[i], ")");
    if (p.padding[i] < 0 || p.padding[i] > p.kernel[i] / 2) {
      Fail(StatusCode::kArgument, op, ": padding must be between 0 and half the kernel size (", p.kernel[i] / 2, "), got padding ",
           p.padding[i], " for kernel size ", p.kernel[i], " (", kAxis[i], ")");
    }
  }
}

// The geometry of a pooling op over x's shape, checked.
Pool2dGeometry GeometryOf(const char* op, const Shape& shape, const Pool2dParams& p) {
  CheckParams(op, p);
  const Planes pl = PlanesOf(shape, op);
  Pool2dGeometry g{pl.h, pl.w, 0, 0, p.kernel[0], p.kernel[1], p.stride[0], p.stride[1],
                   p.padding[0], p.padding[1], p.dilation[0], p.dilation[1]};
  g.oh = OutputSize(g.h, g.kh, g.sh, g.ph, g.dh, p.ceil_mode);
  g.ow = OutputSize(g.w, g.kw, g.sw, g.pw, g.dw, p.ceil_mode);
  if (g.oh < 1 || g.ow < 1) {
    Fail(StatusCode::kShape, op, ": the output size is too small: input ", ShapeToString(shape), " gives an output of ", g.oh, "x",
         g.ow, " (H x W) with kernel ", g.kh, "x", g.kw, ", stride ", g.sh, "x", g.sw, ", padding ", g.ph, "x", g.pw, ", dilation ",
         g.dh, "x", g.dw);
  }
  return g;
}

// x's shape with the last two dimensions replaced.
Shape OutputShape(const Shape& x_shape, int64_t oh, int64_t ow) {
  Shape s = x_shape;
  s[s.size() - 2] = oh;
  s[s.size() - 1] = ow;
  return s;
}

template <class Fn>
void ForPlanes(const Planes& pl, Fn fn) {
  ParallelFor(0, pl.count, std::max<int64_t>(1, kGrain / std::max<int64_t>(pl.h * pl.w, 1)), fn);
}

// The output gradient g, checked against the output's shape and made contiguous.
Tensor OutputGradient(const char* op, const Tensor& g, const Shape& out_shape) {
  RequireFloat(g, op, "gradient");
  if (g.shape() != out_shape) {
    Fail(StatusCode::kShape, op, " backward: the output gradient must have the output's shape ", ShapeToString(out_shape), ", got ",
         ShapeToString(g.shape()));
  }
  return Contiguous(g);
}

Pool2dParams WithoutDilation(Pool2dParams p) {
  p.dilation[0] = p.dilation[1] = 1;
  return p;
}

}  // namespace

MaxPool2dResult MaxPool2dForward(const Tensor& x, const Pool2dParams& p, bool reference) {
  RequireFloat(x, "maxPool2d", "input");
  const Pool2dGeometry g = GeometryOf("maxPool2d", x.shape(), p);
  const Planes pl = PlanesOf(x.shape(), "maxPool2d");
  if (g.h * g.w > INT32_MAX) Fail(StatusCode::kShape, "maxPool2d: an input plane of more than 2^31 - 1 elements is not supported");
  const Shape out_shape = OutputShape(x.shape(), g.oh, g.ow);
  MaxPool2dResult r{Tensor::Empty(out_shape), Tensor::Empty(out_shape, DType::kInt32)};
  const Tensor xc = Contiguous(x);
  const auto kernel = reference ? MaxPool2dPlanesReference : MaxPool2dPlanes;
  const float* px = xc.data<float>();
  float* py = r.y.data<float>();
  int32_t* pi = r.indices.data<int32_t>();
  Launch([=] { ForPlanes(pl, [&](int64_t b, int64_t e) { kernel(g, px, b, e, py, pi); }); }, xc, r.y, r.indices);
  return r;
}

Tensor MaxPool2dGradient(const Shape& x_shape, const Tensor& indices, const Tensor& g, bool reference) {
  const Planes pl = PlanesOf(x_shape, "maxPool2d");
  const Tensor gc = OutputGradient("maxPool2d", g, indices.shape());
  const Pool2dGeometry geo{pl.h, pl.w, indices.shape()[indices.ndim() - 2], indices.shape()[indices.ndim() - 1], 0, 0, 0, 0, 0, 0, 0, 0};
  Tensor dx = Tensor::Empty(x_shape);
  const auto kernel = reference ? MaxPool2dBackwardPlanesReference : MaxPool2dBackwardPlanes;
  const float* pg = gc.data<float>();
  const int32_t* pi = indices.data<int32_t>();
  float* pdx = dx.data<float>();
  Launch([=] { ForPlanes(pl, [&](int64_t b, int64_t e) { kernel(geo, pg, pi, b, e, pdx); }); }, gc, indices, dx);
  return dx;
}

Tensor AvgPool2dForward(const Tensor& x, const Pool2dParams& p, bool count_include_pad, int64_t divisor_override, bool reference) {
  RequireFloat(x, "avgPool2d", "input");
  if (divisor_override < 0) Fail(StatusCode::kArgument, "avgPool2d: divisorOverride must be > 0 (or 0 for none), got ", divisor_override);
  const Pool2dGeometry g = GeometryOf("avgPool2d", x.shape(), WithoutDilation(p));
  const Planes pl = PlanesOf(x.shape(), "avgPool2d");
  Tensor y = Tensor::Empty(OutputShape(x.shape(), g.oh, g.ow));
  const Tensor xc = Contiguous(x);
  const AvgPoolMode m{count_include_pad, divisor_override};
  const auto kernel = reference ? AvgPool2dPlanesReference : AvgPool2dPlanes;
  const float* px = xc.data<float>();
  float* py = y.data<float>();
  Launch([=] { ForPlanes(pl, [&](int64_t b, int64_t e) { kernel(g, m, px, b, e, py); }); }, xc, y);
  return y;
}

Tensor AvgPool2dGradient(const Shape& x_shape, const Pool2dParams& p, bool count_include_pad, int64_t divisor_override,
                         const Tensor& g, bool reference) {
  const Pool2dGeometry geo = GeometryOf("avgPool2d", x_shape, WithoutDilation(p));
  const Planes pl = PlanesOf(x_shape, "avgPool2d");
  const Tensor gc = OutputGradient("avgPool2d", g, OutputShape(x_shape, geo.oh, geo.ow));
  Tensor dx = Tensor::Empty(x_shape);
  const AvgPoolMode m{count_include_pad, divisor_override};
  const auto kernel = reference ? AvgPool2dBackwardPlanesReference : AvgPool2dBackwardPlanes;
  const float* pg = gc.data<float>();
  float* pdx = dx.data<float>();
  Launch([=] { ForPlanes(pl, [&](int64_t b, int64_t e) { kernel(geo, m, pg, b, e, pdx); }); }, gc, dx);
  return dx;
}

Tensor AdaptiveAvgPool2dForward(const Tensor& x, int64_t output_h, int64_t output_w, bool reference) {
  RequireFloat(x, "adaptiveAvgPool2d", "input");
  const Planes pl = PlanesOf(x.shape(), "adaptiveAvgPool2d");
  if (output_h < 1 || output_w < 1) {
    Fail(StatusCode::kArgument, "adaptiveAvgPool2d: outputSize must be at least 1x1, got ", output_h, "x", output_w);
  }
  const Pool2dGeometry g{pl.h, pl.w, output_h, output_w, 0, 0, 0, 0, 0, 0, 0, 0};
  Tensor y = Tensor::Empty(OutputShape(x.shape(), output_h, output_w));
  const Tensor xc = Contiguous(x);
  const auto kernel = reference ? AdaptiveAvgPool2dPlanesReference : AdaptiveAvgPool2dPlanes;
  const float* px = xc.data<float>();
  float* py = y.data<float>();
  Launch([=] { ForPlanes(pl, [&](int64_t b, int64_t e) { kernel(g, px, b, e, py); }); }, xc, y);
  return y;
}

Tensor AdaptiveAvgPool2dGradient(const Shape& x_shape, const Tensor& g, bool reference) {
  const Planes pl = PlanesOf(x_shape, "adaptiveAvgPool2d");
  if (g.ndim() != static_cast<int>(x_shape.size())) {
    Fail(StatusCode::kShape, "adaptiveAvgPool2d backward: the output gradient must have ", x_shape.size(), " dimensions, got ",
         ShapeToString(g.shape()));
  }
  const Pool2dGeometry geo{pl.h, pl.w, g.shape()[g.ndim() - 2], g.shape()[g.ndim() - 1], 0, 0, 0, 0, 0, 0, 0, 0};
  const Tensor gc = OutputGradient("adaptiveAvgPool2d", g, OutputShape(x_shape, geo.oh, geo.ow));
  Tensor dx = Tensor::Empty(x_shape);
  const auto kernel = reference ? AdaptiveAvgPool2dBackwardPlanesReference : AdaptiveAvgPool2dBackwardPlanes;
  const float* pg = gc.data<float>();
  float* pdx = dx.data<float>();
  Launch([=] { ForPlanes(pl, [&](int64_t b, int64_t e) { kernel(geo, pg, b, e, pdx); }); }, gc, dx);
  return dx;
}

}  // namespace tg
