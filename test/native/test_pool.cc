// 2-D pooling. The kernels against their plain twins over odd sizes, kernels, strides,
// padding, dilation and ceil mode, forward and backward; the 2x2 stride-2 fast path with and
// without a ceil-mode edge; hand-checked PyTorch values (ceil-mode divisors, count_include_pad,
// divisor_override, adaptive windows, NaN and tie rules); bit-identical results for any
// thread count; the autograd nodes; the argument errors.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "autograd/functions.h"
#include "ops/ops.h"
#include "ops/pool.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"
#include "testing.h"

using namespace tg;

namespace {

using tg_testing::Contains;
using tg_testing::ErrorOf;
using tg_testing::SameBits;
using tg_testing::ExpectNear;

// Uniform values, or small integers when `ties` (so windows hold equal maxima).
std::vector<float> Values(size_t n, uint32_t seed, bool ties = false) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<float> v(n);
  for (float& x : v) x = ties ? std::round(dist(rng)) : dist(rng);
  return v;
}

Tensor FromVector(const std::vector<float>& v, const Shape& shape) { return FromCopy(v.data(), shape, DType::kFloat32); }

int64_t Numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

template <class T>
std::vector<T> ToVector(const Tensor& t) {
  const Tensor c = Contiguous(t);
  return std::vector<T>(c.data<T>(), c.data<T>() + c.numel());
}

Pool2dParams Params(int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph = 0, int64_t pw = 0, int64_t dh = 1,
                    int64_t dw = 1, bool ceil_mode = false) {
  return Pool2dParams{{kh, kw}, {sh, sw}, {ph, pw}, {dh, dw}, ceil_mode};
}

std::string Describe(const Shape& s, const Pool2dParams& p) {
  std::ostringstream o;
  o << ShapeToString(s) << " k" << p.kernel[0] << "x" << p.kernel[1] << " s" << p.stride[0] << "x" << p.stride[1] << " p"
    << p.padding[0] << "x" << p.padding[1] << " d" << p.dilation[0] << "x" << p.dilation[1] << (p.ceil_mode ? " ceil" : "");
  return o.str();
}

// Every configuration over small odd sizes whose output is at least 1x1: fn(shape, params).
template <class Fn>
void ForEachConfig(bool dilated, Fn fn) {
  const Shape shapes[] = {{2, 3, 5, 7}, {1, 2, 1, 4}, {3, 8, 8}, {1, 1, 9, 6}};
  for (const Shape& shape : shapes) {
    for (int64_t kh : {1, 2, 3}) {
      for (int64_t kw : {2, 3}) {
        for (int64_t s : {1, 2, 3}) {
          for (int64_t pad = 0; pad <= std::min(kh, kw) / 2; ++pad) {
            for (int64_t d : dilated ? std::vector<int64_t>{1, 2} : std::vector<int64_t>{1}) {
              for (bool ceil_mode : {false, true}) {
                const Pool2dParams p = Params(kh, kw, s, s == 3 ? 2 : s, pad, pad, d, d, ceil_mode);
                if (ErrorOf([&] { MaxPool2dForward(Full(shape, 0.0, DType::kFloat32), p); }).empty()) fn(shape, p);  // else too small
              }
            }
          }
        }
      }
    }
  }
}

}  // namespace

// ---- kernels against their twins ---------------------------------------------------------

TG_TEST(max_pool_matches_its_reference_twin) {
  uint32_t seed = 1;
  int cases = 0;
  ForEachConfig(true, [&](const Shape& shape, const Pool2dParams& p) {
    for (bool ties : {false, true}) {
      const Tensor x = FromVector(Values(static_cast<size_t>(Numel(shape)), seed++, ties), shape);
      const MaxPool2dResult fast = MaxPool2dForward(x, p), ref = MaxPool2dForward(x, p, true);
      const std::string what = Describe(shape, p);
      EXPECT_TRUE(fast.y.shape() == ref.y.shape());
      EXPECT_TRUE(SameBits(ToVector<float>(fast.y), ToVector<float>(ref.y)));
      if (!SameBits(ToVector<int32_t>(fast.indices), ToVector<int32_t>(ref.indices))) tg_testing::Report(__FILE__, __LINE__, "indices " + what);
      const Tensor g = FromVector(Values(static_cast<size_t>(fast.y.numel()), seed++), fast.y.shape());
      ExpectNear("max backward " + what, ToVector<float>(MaxPool2dGradient(shape, fast.indices, g)),
                 ToVector<float>(MaxPool2dGradient(shape, ref.indices, g, true)));
      ++cases;
    }
  });
  EXPECT_TRUE(cases > 300);
}

TG_TEST(avg_pool_matches_its_reference_twin) {
  uint32_t seed = 100;
  int cases = 0;
  ForEachConfig(false, [&](const Shape& shape, const Pool2dParams& p) {
    for (bool include_pad : {true, false}) {
      for (int64_t divisor : {0, 5}) {
        const Tensor x = FromVector(Values(static_cast<size_t>(Numel(shape)), seed++), shape);
        const Tensor y = AvgPool2dForward(x, p, include_pad, divisor);
        const std::string what = Describe(shape, p) + (include_pad ? " include-pad" : "") + " divisor " + std::to_string(divisor);
        ExpectNear("avg forward " + what, ToVector<float>(y), ToVector<float>(AvgPool2dForward(x, p, include_pad, divisor, true)));
        const Tensor g = FromVector(Values(static_cast<size_t>(y.numel()), seed++), y.shape());
        ExpectNear("avg backward " + what, ToVector<float>(AvgPool2dGradient(shape, p, include_pad, divisor, g)),
                   ToVector<float>(AvgPool2dGradient(shape, p, include_pad, divisor, g, true)), 1e-5, 1e-6);
        ++cases;
      }
    }
  });
  EXPECT_TRUE(cases > 300);
}

TG_TEST(adaptive_avg_pool_matches_its_reference_twin) {
  uint32_t seed = 500;
  for (const Shape& shape : {Shape{2, 3, 5, 7}, Shape{1, 1, 1, 4}, Shape{3, 10, 9}, Shape{1, 2, 13, 6}}) {
    for (int64_t oh : {1, 2, 3, 4, 7, 13}) {
      for (int64_t ow : {1, 3, 5, 6, 8}) {
        const Tensor x = FromVector(Values(static_cast<size_t>(Numel(shape)), seed++), shape);
        const Tensor y = AdaptiveAvgPool2dForward(x, oh, ow);
        const std::string what = ShapeToString(shape) + " -> " + std::to_string(oh) + "x" + std::to_string(ow);
        ExpectNear("adaptive forward " + what, ToVector<float>(y), ToVector<float>(AdaptiveAvgPool2dForward(x, oh, ow, true)));
        const Tensor g = FromVector(Values(static_cast<size_t>(y.numel()), seed++), y.shape());
        ExpectNear("adaptive backward " + what, ToVector<float>(AdaptiveAvgPool2dGradient(shape, g)),
                   ToVector<float>(AdaptiveAvgPool2dGradient(shape, g, true)), 1e-5, 1e-6);
      }
    }
  }
}

TG_TEST(the_two_by_two_fast_path_matches_with_and_without_a_ceil_edge) {
  uint32_t seed = 900;
  for (const Shape& shape : {Shape{2, 3, 8, 8}, Shape{1, 2, 7, 9}, Shape{4, 2, 2}, Shape{1, 1, 3, 3}}) {
    for (bool ceil_mode : {false, true}) {
      for (bool ties : {false, true}) {
        const Pool2dParams p = Params(2, 2, 2, 2, 0, 0, 1, 1, ceil_mode);
        const Tensor x = FromVector(Values(static_cast<size_t>(Numel(shape)), seed++, ties), shape);
        const MaxPool2dResult fast = MaxPool2dForward(x, p), ref = MaxPool2dForward(x, p, true);
        EXPECT_TRUE(SameBits(ToVector<float>(fast.y), ToVector<float>(ref.y)));
        EXPECT_TRUE(SameBits(ToVector<int32_t>(fast.indices), ToVector<int32_t>(ref.indices)));
      }
    }
  }
  // 7x9 in ceil mode: a 4x5 output whose last row and column hang over the edge.
  EXPECT_TRUE(MaxPool2dForward(Full({1, 1, 7, 9}, 0.0, DType::kFloat32), Params(2, 2, 2, 2, 0, 0, 1, 1, true)).y.shape() ==
              (Shape{1, 1, 4, 5}));
}

// ---- PyTorch's rules, by hand --------------------------------------------------------------

TG_TEST(values_match_pytorch_by_hand) {
  std::vector<float> ramp(25);
  for (int i = 0; i < 25; ++i) ramp[i] = static_cast<float>(i);
  const Tensor x = FromVector(ramp, {1, 1, 5, 5});
  // Values from torch 1.13 (F.avg_pool2d / F.adaptive_avg_pool2d / F.max_pool2d on arange(25)).
  ExpectNear("avg k2 ceil", ToVector<float>(AvgPool2dForward(x, Params(2, 2, 2, 2, 0, 0, 1, 1, true), true, 0)),
             {3.0f, 5.0f, 6.5f, 13.0f, 15.0f, 16.5f, 20.5f, 22.5f, 24.0f});
  ExpectNear("avg k3 p1 ceil include-pad", ToVector<float>(AvgPool2dForward(x, Params(3, 3, 2, 2, 1, 1, 1, 1, true), true, 0)),
             {4.0f / 3.0f, 3.0f, 8.0f / 3.0f, 7.0f, 12.0f, 9.0f, 8.0f, 13.0f, 28.0f / 3.0f});
  ExpectNear("avg k3 p1 ceil exclude-pad", ToVector<float>(AvgPool2dForward(x, Params(3, 3, 2, 2, 1, 1, 1, 1, true), false, 0)),
             {3.0f, 4.5f, 6.0f, 10.5f, 12.0f, 13.5f, 18.0f, 19.5f, 21.0f});
  ExpectNear("avg k3 p1 divisor 2", ToVector<float>(AvgPool2dForward(x, Params(3, 3, 2, 2, 1, 1), true, 2)),
             {6.0f, 13.5f, 12.0f, 31.5f, 54.0f, 40.5f, 36.0f, 58.5f, 42.0f});
  ExpectNear("adaptive 3x2", ToVector<float>(AdaptiveAvgPool2dForward(x, 3, 2)), {3.5f, 5.5f, 11.0f, 13.0f, 18.5f, 20.5f});
  const MaxPool2dResult m = MaxPool2dForward(x, Params(3, 3, 2, 2, 1, 1, 2, 2, true));
  ExpectNear("max dilated", ToVector<float>(m.y), {18.0f, 18.0f, 18.0f, 18.0f});
  EXPECT_TRUE(ToVector<int32_t>(m.indices) == (std::vector<int32_t>{18, 18, 18, 18}));
}

TG_TEST(max_pool_lets_nan_win_and_the_first_maximum_win_a_tie) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (bool reference : {false, true}) {
    // One 2x4 window: the last NaN wins (index 3), as torch.
    const MaxPool2dResult r = MaxPool2dForward(FromVector({1, nan, 3, nan, 5, 6, 7, 8}, {1, 1, 2, 4}), Params(2, 4, 2, 4), reference);
    EXPECT_TRUE(std::isnan(ToVector<float>(r.y)[0]));
    EXPECT_TRUE(ToVector<int32_t>(r.indices) == std::vector<int32_t>{3});
    // 2x2 stride 2 (the fast path): ties go to the first; a NaN anywhere wins.
    const MaxPool2dResult t = MaxPool2dForward(FromVector({4, 4, 1, nan, 4, 4, 2, 3}, {1, 2, 4}), Params(2, 2, 2, 2), reference);
    EXPECT_TRUE(ToVector<int32_t>(t.indices) == (std::vector<int32_t>{0, 3}));
    EXPECT_TRUE(std::isnan(ToVector<float>(t.y)[1]));
    // All -inf: the value is -inf and the gradient goes to the window's first element.
    const float inf = std::numeric_limits<float>::infinity();
    const MaxPool2dResult i = MaxPool2dForward(FromVector({-inf, -inf, -inf, -inf}, {1, 2, 2}), Params(2, 2, 2, 2), reference);
    EXPECT_TRUE(ToVector<float>(i.y) == std::vector<float>{-inf});
    EXPECT_TRUE(ToVector<int32_t>(i.indices) == std::vector<int32_t>{0});
  }
}

// ---- threads -------------------------------------------------------------------------------

TG_TEST(results_are_bit_identical_for_any_thread_count) {
  const Shape shape{4, 8, 33, 31};
  const Tensor x = FromVector(Values(static_cast<size_t>(Numel(shape)), 7), shape);
  const Pool2dParams overlapping = Params(3, 3, 1, 2, 1, 1, 1, 1, true);
  auto run = [&] {
    std::vector<std::vector<float>> out;
    const MaxPool2dResult m = MaxPool2dForward(x, overlapping);
    const Tensor gm = FromVector(Values(static_cast<size_t>(m.y.numel()), 8), m.y.shape());
    out.push_back(ToVector<float>(m.y));
    out.push_back(ToVector<float>(MaxPool2dGradient(shape, m.indices, gm)));
    const Tensor a = AvgPool2dForward(x, overlapping, false, 0);
    out.push_back(ToVector<float>(a));
    out.push_back(ToVector<float>(AvgPool2dGradient(shape, overlapping, false, 0, FromVector(Values(static_cast<size_t>(a.numel()), 9), a.shape()))));
    const Tensor ad = AdaptiveAvgPool2dForward(x, 5, 7);
    out.push_back(ToVector<float>(ad));
    out.push_back(ToVector<float>(AdaptiveAvgPool2dGradient(shape, FromVector(Values(static_cast<size_t>(ad.numel()), 10), ad.shape()))));
    return out;
  };
  const int threads = NumThreads();
  SetNumThreads(1);
  const auto one = run();
  SetNumThreads(5);
  const auto five = run();
  SetNumThreads(threads);
  for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(SameBits(one[i], five[i]));
}

// ---- autograd ------------------------------------------------------------------------------

TG_TEST(pooling_records_the_nodes_pytorch_names) {
  const Shape shape{2, 3, 6, 5};
  const std::vector<float> values = Values(static_cast<size_t>(Numel(shape)), 11);
  auto check = [&](const char* name, auto forward, auto gradient) {
    Tensor x = FromVector(values, shape);
    SetRequiresGrad(x, true);
    const Tensor y = forward(x);
    EXPECT_TRUE(GradFn(y) != nullptr && std::string(GradFn(y)->name()) == name);
    const Tensor g = FromVector(Values(static_cast<size_t>(y.numel()), 12), y.shape());
    Backward(y, &g, false);
    ExpectNear(std::string(name) + " grad", ToVector<float>(Grad(x)), ToVector<float>(gradient(g)));
  };
  const Pool2dParams p = Params(3, 2, 2, 1, 1, 1, 1, 1, true);
  const Tensor plain = FromVector(values, shape);
  check("MaxPool2DWithIndicesBackward0", [&](const Tensor& x) { return autograd::MaxPool2d(x, p); },
        [&](const Tensor& g) { return MaxPool2dGradient(shape, MaxPool2dForward(plain, p).indices, g); });
  check("AvgPool2DBackward0", [&](const Tensor& x) { return autograd::AvgPool2d(x, p, false, 0); },
        [&](const Tensor& g) { return AvgPool2dGradient(shape, p, false, 0, g); });
  check("AdaptiveAvgPool2DBackward0", [&](const Tensor& x) { return autograd::AdaptiveAvgPool2d(x, 4, 3); },
        [&](const Tensor& g) { return AdaptiveAvgPool2dGradient(shape, g); });
  check("MeanBackward1", [&](const Tensor& x) { return autograd::AdaptiveAvgPool2d(x, 1, 1); },
        [&](const Tensor& g) { return AdaptiveAvgPool2dGradient(shape, g); });
  EXPECT_TRUE(!RequiresGrad(autograd::MaxPool2d(plain, p)));
}

// ---- errors --------------------------------------------------------------------------------

TG_TEST(pooling_rejects_bad_arguments) {
  const Tensor x = Full({1, 2, 4, 4}, 1.0, DType::kFloat32);
  EXPECT_TRUE(Contains(ErrorOf([&] { MaxPool2dForward(x, Params(0, 2, 1, 1)); }), "kernel size must be > 0"));
  EXPECT_TRUE(Contains(ErrorOf([&] { MaxPool2dForward(x, Params(2, 2, 1, 0)); }), "stride must be > 0"));
  EXPECT_TRUE(Contains(ErrorOf([&] { MaxPool2dForward(x, Params(2, 2, 1, 1, 0, 0, 0, 1)); }), "dilation must be > 0"));
  EXPECT_TRUE(Contains(ErrorOf([&] { MaxPool2dForward(x, Params(3, 3, 1, 1, 2, 0)); }), "padding must be between 0 and half the kernel size (1)"));
  EXPECT_TRUE(Contains(ErrorOf([&] { AvgPool2dForward(x, Params(2, 2, 1, 1, 0, -1), true, 0); }), "padding must be between"));
  EXPECT_TRUE(Contains(ErrorOf([&] { MaxPool2dForward(x, Params(5, 5, 1, 1)); }), "output size is too small"));
  EXPECT_TRUE(Contains(ErrorOf([&] { MaxPool2dForward(x, Params(3, 3, 1, 1, 0, 0, 2, 2)); }), "output size is too small"));
  EXPECT_TRUE(Contains(ErrorOf([&] { MaxPool2dForward(Full({4, 4}, 1.0, DType::kFloat32), Params(2, 2, 2, 2)); }), "3-D (C, H, W) or 4-D"));
  EXPECT_TRUE(Contains(ErrorOf([&] { MaxPool2dForward(Full({1, 0, 4, 4}, 1.0, DType::kFloat32), Params(2, 2, 2, 2)); }), "non-zero C, H and W"));
  EXPECT_TRUE(Contains(ErrorOf([&] { MaxPool2dForward(Full({1, 1, 4, 4}, 1.0, DType::kInt32), Params(2, 2, 2, 2)); }), "float32"));
  EXPECT_TRUE(Contains(ErrorOf([&] { AvgPool2dForward(x, Params(2, 2, 2, 2), true, -1); }), "divisorOverride must be > 0"));
  EXPECT_TRUE(Contains(ErrorOf([&] { AdaptiveAvgPool2dForward(x, 0, 2); }), "outputSize must be at least 1x1"));
  EXPECT_TRUE(Contains(ErrorOf([&] { AvgPool2dGradient({1, 2, 4, 4}, Params(2, 2, 2, 2), true, 0, Full({1, 2, 3, 2}, 0.0, DType::kFloat32)); }),
                       "must have the output's shape [1, 2, 2, 2]"));
  // A batch of 0 is fine (as torch): an empty output.
  EXPECT_TRUE(MaxPool2dForward(Full({0, 2, 4, 4}, 1.0, DType::kFloat32), Params(2, 2, 2, 2)).y.shape() == (Shape{0, 2, 2, 2}));
}

TG_TEST_MAIN()
