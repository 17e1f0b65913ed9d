// The reference twins of the recurrent gate kernels (kernels/rnn.h): the formulas as written,
// one element at a time, in double.
#include <cmath>

#include "kernels/rnn.h"

namespace tg::reference {
namespace {

double Sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

void LstmCellForward(const LstmForwardArgs& a) {
  const int64_t H = a.hidden;
  for (int64_t r = 0; r < a.rows; ++r) {
    for (int64_t j = 0; j < H; ++j) {
      auto pre = [&](int gate) { return double(a.xw[r * 4 * H + gate * H + j]) + a.hw[r * 4 * H + gate * H + j]; };
      const double i = Sigmoid(pre(0)), f = Sigmoid(pre(1)), g = std::tanh(pre(2)), o = Sigmoid(pre(3));
      const double c = f * a.c_prev[r * H + j] + i * g;
      float* gates = a.gates + r * 4 * H + j;
      gates[0] = float(i);
      gates[H] = float(f);
      gates[2 * H] = float(g);
      gates[3 * H] = float(o);
      a.c[r * H + j] = float(c);
      a.tc[r * H + j] = float(std::tanh(c));
      a.m[r * H + j] = float(o * std::tanh(c));
    }
  }
}

void LstmCellBackward(const LstmBackwardArgs& a) {
  const int64_t H = a.hidden;
  for (int64_t r = 0; r < a.rows; ++r) {
    for (int64_t j = 0; j < H; ++j) {
      const float* g = a.gates + r * 4 * H + j;
      const double i = g[0], f = g[H], gv = g[2 * H], o = g[3 * H];
      const double t = a.tc[r * H + j], dm = a.dm[r * H + j];
      const double dc = a.dc[r * H + j] + dm * o * (1 - t * t);
      float* d = a.dgates + r * 4 * H + j;
      d[0] = float(dc * gv * i * (1 - i));
      d[H] = float(dc * a.c_prev[r * H + j] * f * (1 - f));
      d[2 * H] = float(dc * i * (1 - gv * gv));
      d[3 * H] = float(dm * t * o * (1 - o));
      a.dc[r * H + j] = float(dc * f);
    }
  }
}

void GruCellForward(const GruForwardArgs& a) {
  const int64_t H = a.hidden;
  for (int64_t r = 0; r < a.rows; ++r) {
    for (int64_t j = 0; j < H; ++j) {
      const float *xw = a.xw + r * 3 * H + j, *hw = a.hw + r * 3 * H + j;
      const double rv = Sigmoid(double(xw[0]) + hw[0]), z = Sigmoid(double(xw[H]) + hw[H]);
      const double n = std::tanh(xw[2 * H] + rv * hw[2 * H]);
      float* g = a.gates + r * 3 * H + j;
      g[0] = float(rv);
      g[H] = float(z);
      g[2 * H] = float(n);
      a.hn[r * H + j] = hw[2 * H];
      a.h[r * H + j] = float((1 - z) * n + z * a.h_prev[r * H + j]);
    }
  }
}

void GruCellBackward(const GruBackwardArgs& a) {
  const int64_t H = a.hidden;
  for (int64_t r = 0; r < a.rows; ++r) {
    for (int64_t j = 0; j < H; ++j) {
      const float* g = a.gates + r * 3 * H + j;
      const double rv = g[0], z = g[H], n = g[2 * H], dh = a.dh[r * H + j];
      const double dn = dh * (1 - z) * (1 - n * n);
      const double dr = dn * a.hn[r * H + j] * rv * (1 - rv);
      const double dz = dh * (double(a.h_prev[r * H + j]) - n) * z * (1 - z);
      float *dgx = a.dgx + r * 3 * H + j, *dgh = a.dgh + r * 3 * H + j;
      dgx[0] = dgh[0] = float(dr);
      dgx[H] = dgh[H] = float(dz);
      dgx[2 * H] = float(dn);
      dgh[2 * H] = float(dn * rv);
      a.dh_prev[r * H + j] = float(dh * z);
    }
  }
}

void RnnCellForward(const RnnForwardArgs& a) {
  for (int64_t j = 0; j < a.rows * a.hidden; ++j) {
    const double pre = double(a.xw[j]) + a.hw[j];
    a.h[j] = float(a.relu ? (pre > 0 ? pre : 0) : std::tanh(pre));
  }
}

void RnnCellBackward(const RnnBackwardArgs& a) {
  for (int64_t j = 0; j < a.rows * a.hidden; ++j) {
    const double h = a.h[j];
    a.dpre[j] = float(a.relu ? (h > 0 ? a.dh[j] : 0.0) : a.dh[j] * (1 - h * h));
  }
}

}  // namespace tg::reference
