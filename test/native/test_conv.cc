// conv2d: the im2col + GEMM path against the direct-loop reference twin, forward and all three
// gradients, over odd sizes, stride > 1, symmetric and asymmetric padding, dilation, groups
// (depthwise included), bias or none, every activation, N = 1 and 3, 1x1 kernels; results
// bitwise equal for any thread count; the autograd node; validation messages.
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "autograd/engine.h"
#include "autograd/functions.h"
#include "ops/conv.h"
#include "ops/ops.h"
#include "runtime/status.h"
#include "runtime/thread_pool.h"
#include "testing.h"

using namespace tg;

namespace {

using tg_testing::ErrorOf;

using tg_testing::Uniform;

Tensor Random(const Shape& shape, uint32_t seed) {
  const std::vector<float> v = Uniform(static_cast<size_t>(CheckedNumel(shape)), -1.0f, 1.0f, seed);
  return FromCopy(v.data(), shape, DType::kFloat32);
}

std::vector<float> ToVector(const Tensor& t) {
  const Tensor c = Contiguous(t);
  return std::vector<float>(c.data<float>(), c.data<float>() + c.numel());
}

void ExpectNear(const std::string& what, const Tensor& got, const Tensor& want, double rtol, double atol) {
  EXPECT_TRUE(got.shape() == want.shape());
  const std::vector<float> a = ToVector(got), b = ToVector(want);
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (!tg_testing::Close(a[i], b[i], rtol, atol)) {
      std::ostringstream msg;
      msg.precision(9);
      msg << what << " [" << i << "]: " << a[i] << " vs " << b[i];
      tg_testing::Report(__FILE__, __LINE__, msg.str());
      return;
    }
  }
}

bool SameBits(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = ToVector(a), y = ToVector(b);
  return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
}

struct Config {
  const char* name;
  Shape x, w;
  Conv2dParams p;
  bool bias;
};

Conv2dParams Params(std::array<int64_t, 2> stride, std::array<int64_t, 4> pad, std::array<int64_t, 2> dil, int64_t groups,
                    Activation act = Activation::kIdentity, float slope = 0.01f) {
  Conv2dParams p;
  p.stride = stride;
  p.padding = pad;
  p.dilation = dil;
  p.groups = groups;
  p.act = act;
  p.negative_slope = slope;
  return p;
}

std::vector<Config> Configs() {
  return {
      {"plain 3x3", {1, 2, 5, 6}, {3, 2, 3, 3}, Params({1, 1}, {0, 0, 0, 0}, {1, 1}, 1), true},
      {"odd, padded, N=3", {3, 3, 7, 9}, {5, 3, 3, 3}, Params({1, 1}, {1, 1, 1, 1}, {1, 1}, 1), true},
      {"stride 2", {3, 2, 9, 8}, {4, 2, 3, 3}, Params({2, 2}, {1, 1, 1, 1}, {1, 1}, 1), false},
      {"stride (2,3) asym pad", {2, 3, 10, 11}, {4, 3, 4, 2}, Params({2, 3}, {1, 2, 0, 1}, {1, 1}, 1), true},
      {"same even kernel", {3, 2, 6, 7}, {3, 2, 4, 4}, Params({1, 1}, {1, 2, 1, 2}, {1, 1}, 1), true},
      {"dilation 2", {1, 2, 11, 10}, {3, 2, 3, 3}, Params({1, 1}, {2, 2, 2, 2}, {2, 2}, 1), true},
      {"dilation (2,3) stride 2", {3, 1, 13, 14}, {2, 1, 3, 2}, Params({2, 1}, {0, 1, 3, 0}, {2, 3}, 1), true},
      {"groups 2", {3, 4, 7, 7}, {6, 2, 3, 3}, Params({1, 1}, {1, 1, 1, 1}, {1, 1}, 2), true},
      {"depthwise", {3, 5, 8, 7}, {5, 1, 3, 3}, Params({1, 1}, {1, 1, 1, 1}, {1, 1}, 5), true},
      {"depthwise x2 stride 2", {1, 3, 9, 9}, {6, 1, 5, 5}, Params({2, 2}, {2, 2, 2, 2}, {1, 1}, 3), false},
      {"1x1 pointwise", {3, 6, 5, 7}, {4, 6, 1, 1}, Params({1, 1}, {0, 0, 0, 0}, {1, 1}, 1), true},
      {"1x1 stride 2 padded", {3, 3, 6, 5}, {2, 3, 1, 1}, Params({2, 2}, {1, 0, 0, 1}, {1, 1}, 1), true},
      {"1x1 grouped", {3, 4, 3, 3}, {4, 2, 1, 1}, Params({1, 1}, {0, 0, 0, 0}, {1, 1}, 2), true},
      {"kernel = input", {3, 2, 5, 4}, {3, 2, 5, 4}, Params({1, 1}, {0, 0, 0, 0}, {1, 1}, 1), true},
      {"kernel > input, padded", {1, 1, 3, 3}, {2, 1, 5, 5}, Params({1, 1}, {2, 2, 1, 3}, {1, 1}, 1), true},
      {"relu", {3, 3, 7, 6}, {4, 3, 3, 3}, Params({1, 1}, {1, 1, 1, 1}, {1, 1}, 1, Activation::kRelu), true},
      {"leaky relu", {3, 3, 7, 6}, {4, 3, 3, 3}, Params({2, 1}, {1, 0, 1, 1}, {1, 1}, 1, Activation::kLeakyRelu, 0.2f), true},
      {"sigmoid", {1, 4, 6, 6}, {4, 2, 3, 3}, Params({1, 1}, {1, 1, 1, 1}, {1, 1}, 2, Activation::kSigmoid), true},
      {"tanh", {3, 2, 5, 9}, {3, 2, 2, 3}, Params({1, 2}, {0, 1, 1, 0}, {2, 1}, 1, Activation::kTanh), false},
      {"benchmark-like 5x5", {3, 16, 14, 14}, {32, 16, 5, 5}, Params({1, 1}, {2, 2, 2, 2}, {1, 1}, 1, Activation::kRelu), true},
  };
}

}  // namespace

TG_TEST(forward_and_gradients_match_reference) {
  uint32_t seed = 1;
  for (const Config& c : Configs()) {
    const Tensor x = Random(c.x, seed++), w = Random(c.w, seed++);
    const Tensor b = Random({c.w[0]}, seed++);
    const Tensor* bias = c.bias ? &b : nullptr;
    const Tensor y = Conv2d(x, w, bias, c.p);
    const Tensor y_ref = Conv2d(x, w, bias, c.p, true);
    ExpectNear(std::string(c.name) + " y", y, y_ref, 1e-5, 1e-5);
    const Tensor g = Random(y.shape(), seed++);
    const Conv2dGrads d = Conv2dBackward(x, w, y, g, c.p, true, true, true);
    const Conv2dGrads r = Conv2dBackward(x, w, y, g, c.p, true, true, true, true);
    ExpectNear(std::string(c.name) + " dx", d.x, r.x, 1e-4, 1e-5);
    ExpectNear(std::string(c.name) + " dw", d.weight, r.weight, 1e-4, 1e-5);
    ExpectNear(std::string(c.name) + " db", d.bias, r.bias, 1e-4, 1e-5);
    // Only what is asked for.
    const Conv2dGrads only_w = Conv2dBackward(x, w, y, g, c.p, false, true, false);
    EXPECT_TRUE(!only_w.x.defined() && only_w.weight.defined() && !only_w.bias.defined());
    EXPECT_TRUE(SameBits(only_w.weight, d.weight));
  }
}

TG_TEST(reference_matches_hand_computed) {
  // x = 1..9 (3x3), w = all ones 2x2, padding 0: each output is a 2x2 window sum.
  std::vector<float> xv(9);
  for (int i = 0; i < 9; ++i) xv[i] = static_cast<float>(i + 1);
  const Tensor x = FromCopy(xv.data(), {1, 1, 3, 3}, DType::kFloat32);
  const Tensor w = Full({1, 1, 2, 2}, 1.0, DType::kFloat32);
  const std::vector<float> want{12, 16, 24, 28};
  for (bool ref : {false, true}) EXPECT_TRUE(ToVector(Conv2d(x, w, nullptr, Conv2dParams{}, ref)) == want);
}

TG_TEST(same_bits_for_any_thread_count) {
  const int before = NumThreads();
  const Conv2dParams p = Params({1, 1}, {2, 2, 2, 2}, {1, 1}, 1, Activation::kRelu);
  const Tensor x = Random({8, 4, 12, 12}, 100), w = Random({8, 4, 5, 5}, 101), b = Random({8}, 102);
  SetNumThreads(1);
  const Tensor y1 = Conv2d(x, w, &b, p);
  const Tensor g = Random(y1.shape(), 103);
  const Conv2dGrads d1 = Conv2dBackward(x, w, y1, g, p, true, true, true);
  for (int threads : {2, 3, 4}) {
    SetNumThreads(threads);
    const Tensor y = Conv2d(x, w, &b, p);
    EXPECT_TRUE(SameBits(y, y1));
    const Conv2dGrads d = Conv2dBackward(x, w, y, g, p, true, true, true);
    EXPECT_TRUE(SameBits(d.x, d1.x));
    EXPECT_TRUE(SameBits(d.bias, d1.bias));
    ExpectNear("dw across threads", d.weight, d1.weight, 1e-5, 1e-6);  // summed per run of images
    const Conv2dGrads again = Conv2dBackward(x, w, y, g, p, true, true, true);
    EXPECT_TRUE(SameBits(again.weight, d.weight));  // and reproducible for a given count
  }
  SetNumThreads(before);
}

TG_TEST(autograd_node) {
  const Conv2dParams p = Params({1, 1}, {1, 1, 1, 1}, {1, 1}, 1, Activation::kTanh);
  Tensor x = Random({2, 2, 5, 5}, 7), w = Random({3, 2, 3, 3}, 8), b = Random({3}, 9);
  SetRequiresGrad(x, true);
  SetRequiresGrad(w, true);
  SetRequiresGrad(b, true);
  const Tensor y = autograd::Conv2d(x, w, &b, p);
  EXPECT_TRUE(RequiresGrad(y));
  EXPECT_EQ(std::string(GradFn(y)->name()), std::string("ConvolutionBackward0"));
  Backward(autograd::Reduce(ReduceOp::kSum, y, {}, false), nullptr, false);
  const Conv2dGrads r = Conv2dBackward(x, w, y, Full(y.shape(), 1.0, DType::kFloat32), p, true, true, true, true);
  ExpectNear("autograd dx", Grad(x), r.x, 1e-4, 1e-5);
  ExpectNear("autograd dw", Grad(w), r.weight, 1e-4, 1e-5);
  ExpectNear("autograd db", Grad(b), r.bias, 1e-4, 1e-5);
}

TG_TEST(validation_names_the_argument) {
  const Tensor x = Random({1, 4, 5, 5}, 1), w = Random({2, 4, 3, 3}, 2);
  auto err = [&](const Tensor& xx, const Tensor& ww, const Tensor* b, const Conv2dParams& p) {
    return ErrorOf([&] { Conv2d(xx, ww, b, p); });
  };
  EXPECT_TRUE(err(Random({4, 5, 5}, 3), w, nullptr, Conv2dParams{}).find("input must be 4-D") != std::string::npos);
  EXPECT_TRUE(err(x, Random({2, 4, 3}, 3), nullptr, Conv2dParams{}).find("weight must be 4-D") != std::string::npos);
  EXPECT_TRUE(err(x, Random({2, 3, 3, 3}, 3), nullptr, Conv2dParams{}).find("expects 3 input channels") != std::string::npos);
  EXPECT_TRUE(err(x, Random({3, 2, 3, 3}, 3), nullptr, Params({1, 1}, {0, 0, 0, 0}, {1, 1}, 2)).find("divisible by groups") !=
              std::string::npos);
  EXPECT_TRUE(err(x, w, nullptr, Params({1, 1}, {0, 0, 0, 0}, {1, 1}, 3)).find("input channels (4) must be divisible") !=
              std::string::npos);
  const Tensor bad_bias = Random({3}, 4);
  EXPECT_TRUE(err(x, w, &bad_bias, Conv2dParams{}).find("bias must have shape [2]") != std::string::npos);
  EXPECT_TRUE(err(x, w, nullptr, Params({0, 1}, {0, 0, 0, 0}, {1, 1}, 1)).find("stride must be >= 1") != std::string::npos);
  EXPECT_TRUE(err(x, w, nullptr, Params({1, 1}, {0, -1, 0, 0}, {1, 1}, 1)).find("padding must be >= 0") != std::string::npos);
  EXPECT_TRUE(err(x, w, nullptr, Params({1, 1}, {0, 0, 0, 0}, {0, 1}, 1)).find("dilation must be >= 1") != std::string::npos);
  EXPECT_TRUE(err(x, w, nullptr, Params({1, 1}, {0, 0, 0, 0}, {1, 1}, 0)).find("groups must be >= 1") != std::string::npos);
  EXPECT_TRUE(err(x, Random({2, 4, 6, 3}, 5), nullptr, Conv2dParams{}).find("smaller than the dilated kernel") != std::string::npos);
  EXPECT_TRUE(err(x, w, nullptr, Params({1, 1}, {0, 0, 0, 0}, {3, 1}, 1)).find("smaller than the dilated kernel") != std::string::npos);
  // N = 0 is fine: an empty output, zero weight gradient.
  const Tensor empty = Tensor::Empty({0, 4, 5, 5});
  const Tensor y = Conv2d(empty, w, nullptr, Conv2dParams{});
  EXPECT_EQ(y.numel(), int64_t{0});
  const Conv2dGrads d = Conv2dBackward(empty, w, y, y, Conv2dParams{}, true, true, true);
  EXPECT_TRUE(ToVector(d.weight) == std::vector<float>(static_cast<size_t>(w.numel()), 0.0f));
}

TG_TEST_MAIN()
