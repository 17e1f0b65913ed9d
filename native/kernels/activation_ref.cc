// Portable scalar activation kernels: the reference every SIMD table is tested against, and the
// table used where no SIMD ISA is available. The contracts are in activation.h; the forward is
// ApplyActivation (also there), the scalar code of the portable GEMM epilogue, so there too a
// fused linear and a standalone activation agree bit for bit.
#include "kernels/activation.h"

namespace tg {
namespace {

// act'(.)·dy from the saved v (activation.h says which tensor v is). Written as PyTorch's CPU
// kernels write them (sigmoid: dy·(1 - y)·y, tanh: dy·(1 - y·y)), in float.
template <Activation kAct>
float Grad(float v, float dy, float slope) {
  switch (kAct) {
    case Activation::kIdentity: return dy;
    case Activation::kRelu: return v <= 0.0f ? 0.0f : dy;
    case Activation::kLeakyRelu: return v > 0.0f ? dy : dy * slope;
    case Activation::kSigmoid: return dy * (1.0f - v) * v;
    case Activation::kTanh: return dy * (1.0f - v * v);
  }
  return dy;
}

// x (n) -> y (n)
template <Activation kAct>
void Forward(const float* x, float* y, int64_t n, float slope) {
  for (int64_t i = 0; i < n; ++i) y[i] = ApplyActivation(x[i], kAct, slope);
}

// v (n), dy (n) -> dx (n)
template <Activation kAct>
void Backward(const float* v, const float* dy, float* dx, int64_t n, float slope) {
  for (int64_t i = 0; i < n; ++i) dx[i] = Grad<kAct>(v[i], dy[i], slope);
}

// x (n) -> y (n)
void Step(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] != x[i] ? x[i] : (x[i] > 0.0f ? 1.0f : 0.0f);
}

// y, dy, dz (rows, cols; leading dimension ld) -> dz, db (cols). Rows are walked in order over
// chunks of kChunk columns (so memory is read row by row), each column summed exactly as
// activation.h fixes the order.
template <Activation kAct>
void Colsum(float slope, const float* y, const float* dy, float* dz, float* db, int64_t rows,
            int64_t cols, int64_t ld) {
  constexpr int64_t kChunk = 64;
  for (int64_t j0 = 0; j0 < cols; j0 += kChunk) {
    const int64_t width = cols - j0 < kChunk ? cols - j0 : kChunk;
    double total[kChunk] = {};
    for (int64_t i0 = 0; i0 < rows; i0 += kColsumRowBlock) {
      const int64_t i1 = rows - i0 < kColsumRowBlock ? rows : i0 + kColsumRowBlock;
      float partial[kChunk] = {};
      for (int64_t i = i0; i < i1; ++i) {
        for (int64_t j = 0; j < width; ++j) {
          const int64_t at = i * ld + j0 + j;
          const float v = kAct == Activation::kIdentity ? 0.0f : y[at];  // y may be null then
          const float d = Grad<kAct>(v, dy[at], slope);
          dz[at] = d;
          partial[j] += d;
        }
      }
      for (int64_t j = 0; j < width; ++j) total[j] += partial[j];
    }
    if (db == nullptr) continue;
    for (int64_t j = 0; j < width; ++j) db[j0 + j] = static_cast<float>(total[j]);
  }
}

void ActBackwardColsum(Activation act, float slope, const float* y, const float* dy, float* dz,
                       float* db, int64_t rows, int64_t cols, int64_t ld) {
  switch (act) {
    case Activation::kIdentity:
      return Colsum<Activation::kIdentity>(slope, y, dy, dz, db, rows, cols, ld);
    case Activation::kRelu: return Colsum<Activation::kRelu>(slope, y, dy, dz, db, rows, cols, ld);
    case Activation::kLeakyRelu:
      return Colsum<Activation::kLeakyRelu>(slope, y, dy, dz, db, rows, cols, ld);
    case Activation::kSigmoid:
      return Colsum<Activation::kSigmoid>(slope, y, dy, dz, db, rows, cols, ld);
    case Activation::kTanh: return Colsum<Activation::kTanh>(slope, y, dy, dz, db, rows, cols, ld);
  }
}

}  // namespace

// In Activation order.
const ActivationKernels kActivationRef = {
    {&Forward<Activation::kIdentity>, &Forward<Activation::kRelu>,
     &Forward<Activation::kLeakyRelu>, &Forward<Activation::kSigmoid>,
     &Forward<Activation::kTanh>},
    {&Backward<Activation::kIdentity>, &Backward<Activation::kRelu>,
     &Backward<Activation::kLeakyRelu>, &Backward<Activation::kSigmoid>,
     &Backward<Activation::kTanh>},
    &Step,
    &ActBackwardColsum,
};

}  // namespace tg
