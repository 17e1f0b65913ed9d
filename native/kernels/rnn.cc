// The portable recurrent gate kernels (kRnnRef, kernels/rnn.h), for CPUs without AVX2 and for
// arm64: sigmoid and tanh come from the portable activation kernels, one call per gate block of
// a row (H contiguous floats, still in L1 when the products run); the products are plain loops
// the compiler vectorizes for the baseline ISA (SSE2, NEON).
#include "kernels/rnn.h"

#include "kernels/activation.h"

namespace tg {
namespace {

void Sigmoid(const float* x, float* y, int64_t n) {
  kActivationRef.forward[static_cast<int>(Activation::kSigmoid)](x, y, n, 0.0f);
}
void Tanh(const float* x, float* y, int64_t n) {
  kActivationRef.forward[static_cast<int>(Activation::kTanh)](x, y, n, 0.0f);
}
void AddRow(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t j = 0; j < n; ++j) out[j] = a[j] + b[j];
}

void LstmCellForward(const LstmForwardArgs& a) {
  const int64_t H = a.hidden;
  for (int64_t r = 0; r < a.rows; ++r) {
    float* g = a.gates + r * 4 * H;
    AddRow(a.xw + r * 4 * H, a.hw + r * 4 * H, g, 4 * H);
    Sigmoid(g, g, 2 * H);  // i, f
    Tanh(g + 2 * H, g + 2 * H, H);
    Sigmoid(g + 3 * H, g + 3 * H, H);
    const float *gi = g, *gf = g + H, *gg = g + 2 * H, *go = g + 3 * H;
    const float* cp = a.c_prev + r * H;
    float *c = a.c + r * H, *tc = a.tc + r * H, *m = a.m + r * H;
    for (int64_t j = 0; j < H; ++j) c[j] = gf[j] * cp[j] + gi[j] * gg[j];
    Tanh(c, tc, H);
    for (int64_t j = 0; j < H; ++j) m[j] = go[j] * tc[j];
  }
}

void LstmCellBackward(const LstmBackwardArgs& a) {
  const int64_t H = a.hidden;
  for (int64_t r = 0; r < a.rows; ++r) {
    const float* g = a.gates + r * 4 * H;
    const float *gi = g, *gf = g + H, *gg = g + 2 * H, *go = g + 3 * H;
    const float *cp = a.c_prev + r * H, *tc = a.tc + r * H, *dm = a.dm + r * H;
    float* dc = a.dc + r * H;
    float* d = a.dgates + r * 4 * H;
    for (int64_t j = 0; j < H; ++j) {
      const float i = gi[j], f = gf[j], gv = gg[j], o = go[j], t = tc[j];
      const float dct = dc[j] + dm[j] * o * (1.0f - t * t);
      d[j] = dct * gv * i * (1.0f - i);
      d[H + j] = dct * cp[j] * f * (1.0f - f);
      d[2 * H + j] = dct * i * (1.0f - gv * gv);
      d[3 * H + j] = dm[j] * t * o * (1.0f - o);
      dc[j] = dct * f;
    }
  }
}

void GruCellForward(const GruForwardArgs& a) {
  const int64_t H = a.hidden;
  for (int64_t r = 0; r < a.rows; ++r) {
    const float *xw = a.xw + r * 3 * H, *hw = a.hw + r * 3 * H, *hp = a.h_prev + r * H;
    float *g = a.gates + r * 3 * H, *hn = a.hn + r * H, *h = a.h + r * H;
    AddRow(xw, hw, g, 2 * H);
    Sigmoid(g, g, 2 * H);  // r, z
    const float *gr = g, *gz = g + H;
    float* gn = g + 2 * H;
    for (int64_t j = 0; j < H; ++j) {
      hn[j] = hw[2 * H + j];
      gn[j] = xw[2 * H + j] + gr[j] * hn[j];
    }
    Tanh(gn, gn, H);
    for (int64_t j = 0; j < H; ++j) h[j] = gn[j] + gz[j] * (hp[j] - gn[j]);
  }
}

void GruCellBackward(const GruBackwardArgs& a) {
  const int64_t H = a.hidden;
  for (int64_t r = 0; r < a.rows; ++r) {
    const float *g = a.gates + r * 3 * H, *hn = a.hn + r * H, *hp = a.h_prev + r * H, *dh = a.dh + r * H;
    float *dgx = a.dgx + r * 3 * H, *dgh = a.dgh + r * 3 * H, *dhp = a.dh_prev + r * H;
    for (int64_t j = 0; j < H; ++j) {
      const float rv = g[j], z = g[H + j], n = g[2 * H + j];
      const float dn = dh[j] * (1.0f - z) * (1.0f - n * n);
      const float dr = dn * hn[j] * rv * (1.0f - rv);
      const float dz = dh[j] * (hp[j] - n) * z * (1.0f - z);
      dgx[j] = dgh[j] = dr;
      dgx[H + j] = dgh[H + j] = dz;
      dgx[2 * H + j] = dn;
      dgh[2 * H + j] = dn * rv;
      dhp[j] = dh[j] * z;
    }
  }
}

void RnnCellForward(const RnnForwardArgs& a) {
  const int64_t n = a.rows * a.hidden;
  AddRow(a.xw, a.hw, a.h, n);
  if (a.relu) {
    for (int64_t j = 0; j < n; ++j) a.h[j] = a.h[j] < 0.0f ? 0.0f : a.h[j];
  } else {
    Tanh(a.h, a.h, n);
  }
}

void RnnCellBackward(const RnnBackwardArgs& a) {
  const int64_t n = a.rows * a.hidden;
  for (int64_t j = 0; j < n; ++j) {
    a.dpre[j] = a.relu ? (a.h[j] > 0.0f ? a.dh[j] : 0.0f) : a.dh[j] * (1.0f - a.h[j] * a.h[j]);
  }
}

}  // namespace

const RnnKernels kRnnRef = {LstmCellForward, LstmCellBackward, GruCellForward,
                            GruCellBackward, RnnCellForward,   RnnCellBackward};

}  // namespace tg
