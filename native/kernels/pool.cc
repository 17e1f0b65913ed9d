// 2-D pooling kernels and their plain twins (see pool.h). The kernels clip each window to the
// input once per output row and column, so their inner loops carry no bounds checks; max pool
// has a straight-line path for the common 2x2, stride-2 window away from any edge.
#include "kernels/pool.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace tg {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// The taps of one window along an axis: begin, begin + d, ... < end, all inside [0, n).
struct Span {
  int64_t begin, end;
  int64_t padded;  // avg pool: the window's length clipped to the padded input (n + pad), padding counted
};

// Window o along an axis of length n: starts at o·s - p, k taps d apart.
Span TapSpan(int64_t o, int64_t n, int64_t k, int64_t s, int64_t p, int64_t d) {
  int64_t b = o * s - p;
  const int64_t e = std::min(b + (k - 1) * d + 1, n);
  const int64_t padded = std::min(b + k, n + p) - b;  // only meaningful for d == 1
  if (b < 0) b += (-b + d - 1) / d * d;               // first tap at or past 0
  return {b, e, padded};
}

std::vector<Span> Spans(int64_t outputs, int64_t n, int64_t k, int64_t s, int64_t p, int64_t d) {
  std::vector<Span> v(static_cast<size_t>(outputs));
  for (int64_t o = 0; o < outputs; ++o) v[o] = TapSpan(o, n, k, s, p, d);
  return v;
}

// PyTorch's comparison: a larger value or any NaN takes the place of the running maximum.
// Written as selects, not a branch: on real data the winner is unpredictable.
inline void Consider(float v, int32_t i, float& best, int32_t& at) {
  const bool take = (v > best) | (v != v);
  best = take ? v : best;
  at = take ? i : at;
}

int64_t AvgDivisor(AvgPoolMode m, int64_t padded_area, int64_t real_area) {
  if (m.divisor_override > 0) return m.divisor_override;
  return m.count_include_pad ? padded_area : real_area;
}

// Adaptive window i along an axis: [⌊i·n/out⌋, ⌈(i+1)·n/out⌉).
inline int64_t AdaptiveBegin(int64_t i, int64_t n, int64_t out) { return i * n / out; }
inline int64_t AdaptiveEnd(int64_t i, int64_t n, int64_t out) { return ((i + 1) * n + out - 1) / out; }

}  // namespace

// x (P, H, W) -> y, idx (P, OH, OW)
void MaxPool2dPlanes(const Pool2dGeometry& g, const float* x, int64_t p_begin, int64_t p_end, float* y,
                     int32_t* idx) {
  const std::vector<Span> rows = Spans(g.oh, g.h, g.kh, g.sh, g.ph, g.dh);
  const std::vector<Span> cols = Spans(g.ow, g.w, g.kw, g.sw, g.pw, g.dw);
  // 2x2 stride 2: outputs whose window lies wholly inside the plane (all but a ceil-mode edge).
  const bool two_by_two = g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && g.dh == 1 &&
                          g.dw == 1;
  const int64_t full_rows = two_by_two ? std::min(g.oh, g.h / 2) : 0;
  const int64_t full_cols = two_by_two ? std::min(g.ow, g.w / 2) : 0;
  for (int64_t p = p_begin; p < p_end; ++p) {
    const float* xp = x + p * g.h * g.w;
    float* yp = y + p * g.oh * g.ow;
    int32_t* ip = idx + p * g.oh * g.ow;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const Span r = rows[oh];
      // The straight-line 2x2 windows of this row first, in a loop with no branch and no
      // dependence between outputs, which the compiler vectorizes (SSE2 in this baseline file):
      // it measured 21% of a LeNet training step on one thread with the branch inside the loop.
      const int64_t straight = oh < full_rows ? full_cols : 0;
      {
        const float* x0 = xp + 2 * oh * g.w;
        const float* x1 = x0 + g.w;
        float* yr = yp + oh * g.ow;
        int32_t* ir = ip + oh * g.ow;
        const int32_t row0 = static_cast<int32_t>(2 * oh * g.w), row1 = static_cast<int32_t>(row0 + g.w);
        for (int64_t ow = 0; ow < straight; ++ow) {
          const int32_t c = static_cast<int32_t>(2 * ow);
          float best = kNegInf;
          int32_t at = row0 + c;
          Consider(x0[2 * ow], row0 + c, best, at);
          Consider(x0[2 * ow + 1], row0 + c + 1, best, at);
          Consider(x1[2 * ow], row1 + c, best, at);
          Consider(x1[2 * ow + 1], row1 + c + 1, best, at);
          yr[ow] = best;
          ir[ow] = at;
        }
      }
      for (int64_t ow = straight; ow < g.ow; ++ow) {
        float best = kNegInf;
        int32_t at = -1;
        {
          const Span c = cols[ow];
          for (int64_t ih = r.begin; ih < r.end; ih += g.dh) {
            if (c.begin < c.end && at < 0) at = static_cast<int32_t>(ih * g.w + c.begin);  // an all -inf window
            for (int64_t iw = c.begin; iw < c.end; iw += g.dw) {
              Consider(xp[ih * g.w + iw], static_cast<int32_t>(ih * g.w + iw), best, at);
            }
          }
        }
        yp[oh * g.ow + ow] = best;
        ip[oh * g.ow + ow] = at;
      }
    }
  }
}

// dy, idx (P, OH, OW) -> dx (P, H, W)
void MaxPool2dBackwardPlanes(const Pool2dGeometry& g, const float* dy, const int32_t* idx, int64_t p_begin,
                             int64_t p_end, float* dx) {
  const int64_t plane = g.h * g.w, outputs = g.oh * g.ow;
  for (int64_t p = p_begin; p < p_end; ++p) {
    float* dxp = dx + p * plane;
    std::fill(dxp, dxp + plane, 0.0f);
    const float* dyp = dy + p * outputs;
    const int32_t* ip = idx + p * outputs;
    for (int64_t o = 0; o < outputs; ++o) {
      if (ip[o] >= 0 && ip[o] < plane) dxp[ip[o]] += dyp[o];
    }
  }
}

// x (P, H, W) -> y (P, OH, OW)
void AvgPool2dPlanes(const Pool2dGeometry& g, AvgPoolMode m, const float* x, int64_t p_begin, int64_t p_end,
                     float* y) {
  const std::vector<Span> rows = Spans(g.oh, g.h, g.kh, g.sh, g.ph, 1);
  const std::vector<Span> cols = Spans(g.ow, g.w, g.kw, g.sw, g.pw, 1);
  for (int64_t p = p_begin; p < p_end; ++p) {
    const float* xp = x + p * g.h * g.w;
    float* yp = y + p * g.oh * g.ow;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const Span r = rows[oh];
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const Span c = cols[ow];
        if (r.begin >= r.end || c.begin >= c.end) {
          yp[oh * g.ow + ow] = 0.0f;
          continue;
        }
        double sum = 0.0;
        for (int64_t ih = r.begin; ih < r.end; ++ih) {
          for (int64_t iw = c.begin; iw < c.end; ++iw) sum += xp[ih * g.w + iw];
        }
        const int64_t divisor = AvgDivisor(m, r.padded * c.padded, (r.end - r.begin) * (c.end - c.begin));
        yp[oh * g.ow + ow] = static_cast<float>(sum / static_cast<double>(divisor));
      }
    }
  }
}

// dy (P, OH, OW) -> dx (P, H, W)
void AvgPool2dBackwardPlanes(const Pool2dGeometry& g, AvgPoolMode m, const float* dy, int64_t p_begin,
                             int64_t p_end, float* dx) {
  const std::vector<Span> rows = Spans(g.oh, g.h, g.kh, g.sh, g.ph, 1);
  const std::vector<Span> cols = Spans(g.ow, g.w, g.kw, g.sw, g.pw, 1);
  for (int64_t p = p_begin; p < p_end; ++p) {
    float* dxp = dx + p * g.h * g.w;
    std::fill(dxp, dxp + g.h * g.w, 0.0f);
    const float* dyp = dy + p * g.oh * g.ow;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const Span r = rows[oh];
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const Span c = cols[ow];
        if (r.begin >= r.end || c.begin >= c.end) continue;
        const int64_t divisor = AvgDivisor(m, r.padded * c.padded, (r.end - r.begin) * (c.end - c.begin));
        const float share = dyp[oh * g.ow + ow] / static_cast<float>(divisor);
        for (int64_t ih = r.begin; ih < r.end; ++ih) {
          for (int64_t iw = c.begin; iw < c.end; ++iw) dxp[ih * g.w + iw] += share;
        }
      }
    }
  }
}

// x (P, H, W) -> y (P, OH, OW)
void AdaptiveAvgPool2dPlanes(const Pool2dGeometry& g, const float* x, int64_t p_begin, int64_t p_end, float* y) {
  for (int64_t p = p_begin; p < p_end; ++p) {
    const float* xp = x + p * g.h * g.w;
    float* yp = y + p * g.oh * g.ow;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const int64_t h0 = AdaptiveBegin(oh, g.h, g.oh), h1 = AdaptiveEnd(oh, g.h, g.oh);
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t w0 = AdaptiveBegin(ow, g.w, g.ow), w1 = AdaptiveEnd(ow, g.w, g.ow);
        double sum = 0.0;
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) sum += xp[ih * g.w + iw];
        }
        yp[oh * g.ow + ow] = static_cast<float>(sum / static_cast<double>((h1 - h0) * (w1 - w0)));
      }
    }
  }
}

// dy (P, OH, OW) -> dx (P, H, W)
void AdaptiveAvgPool2dBackwardPlanes(const Pool2dGeometry& g, const float* dy, int64_t p_begin, int64_t p_end,
                                     float* dx) {
  for (int64_t p = p_begin; p < p_end; ++p) {
    float* dxp = dx + p * g.h * g.w;
    std::fill(dxp, dxp + g.h * g.w, 0.0f);
    const float* dyp = dy + p * g.oh * g.ow;
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      const int64_t h0 = AdaptiveBegin(oh, g.h, g.oh), h1 = AdaptiveEnd(oh, g.h, g.oh);
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t w0 = AdaptiveBegin(ow, g.w, g.ow), w1 = AdaptiveEnd(ow, g.w, g.ow);
        const float share = dyp[oh * g.ow + ow] / static_cast<float>((h1 - h0) * (w1 - w0));
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) dxp[ih * g.w + iw] += share;
        }
      }
    }
  }
}

// ---- the plain twins ----------------------------------------------------------------------

// x (P, H, W) -> y, idx (P, OH, OW)
void MaxPool2dPlanesReference(const Pool2dGeometry& g, const float* x, int64_t p_begin, int64_t p_end, float* y,
                              int32_t* idx) {
  for (int64_t p = p_begin; p < p_end; ++p) {
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        float best = kNegInf;
        int32_t at = -1;
        for (int64_t i = 0; i < g.kh; ++i) {
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t ih = oh * g.sh - g.ph + i * g.dh, iw = ow * g.sw - g.pw + j * g.dw;
            if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
            const float v = x[(p * g.h + ih) * g.w + iw];
            const int32_t here = static_cast<int32_t>(ih * g.w + iw);
            if (at < 0) at = here;  // the first tap: the index of an all -inf window
            if (v > best || std::isnan(v)) {
              best = v;
              at = here;
            }
          }
        }
        y[(p * g.oh + oh) * g.ow + ow] = best;
        idx[(p * g.oh + oh) * g.ow + ow] = at;
      }
    }
  }
}

// dy, idx (P, OH, OW) -> dx (P, H, W): each input element gathers the outputs that chose it.
void MaxPool2dBackwardPlanesReference(const Pool2dGeometry& g, const float* dy, const int32_t* idx,
                                      int64_t p_begin, int64_t p_end, float* dx) {
  const int64_t plane = g.h * g.w, outputs = g.oh * g.ow;
  for (int64_t p = p_begin; p < p_end; ++p) {
    for (int64_t i = 0; i < plane; ++i) {
      float sum = 0.0f;
      for (int64_t o = 0; o < outputs; ++o) {
        if (idx[p * outputs + o] == i) sum += dy[p * outputs + o];
      }
      dx[p * plane + i] = sum;
    }
  }
}

namespace {

// One avg-pool window walked tap by tap: the sum of its real elements, how many there are, and
// how many taps fall inside the padded input (PyTorch's count_include_pad divisor).
struct AvgWindow {
  double sum = 0.0;
  int64_t real = 0, padded = 0;
};

AvgWindow WalkAvgWindow(const Pool2dGeometry& g, const float* xp, int64_t oh, int64_t ow) {
  AvgWindow a;
  for (int64_t i = 0; i < g.kh; ++i) {
    for (int64_t j = 0; j < g.kw; ++j) {
      const int64_t ih = oh * g.sh - g.ph + i, iw = ow * g.sw - g.pw + j;
      if (ih < g.h + g.ph && iw < g.w + g.pw) ++a.padded;
      if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
      ++a.real;
      if (xp != nullptr) a.sum += xp[ih * g.w + iw];
    }
  }
  return a;
}

bool InAvgWindow(const Pool2dGeometry& g, int64_t oh, int64_t ow, int64_t ih, int64_t iw) {
  const int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  return ih >= h0 && ih < h0 + g.kh && iw >= w0 && iw < w0 + g.kw;
}

}  // namespace

// x (P, H, W) -> y (P, OH, OW)
void AvgPool2dPlanesReference(const Pool2dGeometry& g, AvgPoolMode m, const float* x, int64_t p_begin,
                              int64_t p_end, float* y) {
  for (int64_t p = p_begin; p < p_end; ++p) {
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const AvgWindow a = WalkAvgWindow(g, x + p * g.h * g.w, oh, ow);
        y[(p * g.oh + oh) * g.ow + ow] =
            a.real == 0 ? 0.0f : static_cast<float>(a.sum / static_cast<double>(AvgDivisor(m, a.padded, a.real)));
      }
    }
  }
}

// dy (P, OH, OW) -> dx (P, H, W): each input element gathers the windows that hold it.
void AvgPool2dBackwardPlanesReference(const Pool2dGeometry& g, AvgPoolMode m, const float* dy, int64_t p_begin,
                                      int64_t p_end, float* dx) {
  for (int64_t p = p_begin; p < p_end; ++p) {
    for (int64_t ih = 0; ih < g.h; ++ih) {
      for (int64_t iw = 0; iw < g.w; ++iw) {
        float sum = 0.0f;
        for (int64_t oh = 0; oh < g.oh; ++oh) {
          for (int64_t ow = 0; ow < g.ow; ++ow) {
            if (!InAvgWindow(g, oh, ow, ih, iw)) continue;
            const AvgWindow a = WalkAvgWindow(g, nullptr, oh, ow);
            sum += dy[(p * g.oh + oh) * g.ow + ow] / static_cast<float>(AvgDivisor(m, a.padded, a.real));
          }
        }
        dx[(p * g.h + ih) * g.w + iw] = sum;
      }
    }
  }
}

namespace {

// The adaptive window along an axis from the formula in floating point, as written.
void AdaptiveWindow(int64_t i, int64_t n, int64_t out, int64_t& begin, int64_t& end) {
  begin = static_cast<int64_t>(std::floor(static_cast<double>(i) * n / out));
  end = static_cast<int64_t>(std::ceil(static_cast<double>(i + 1) * n / out));
}

}  // namespace

// x (P, H, W) -> y (P, OH, OW)
void AdaptiveAvgPool2dPlanesReference(const Pool2dGeometry& g, const float* x, int64_t p_begin, int64_t p_end,
                                      float* y) {
  for (int64_t p = p_begin; p < p_end; ++p) {
    for (int64_t oh = 0; oh < g.oh; ++oh) {
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        int64_t h0, h1, w0, w1;
        AdaptiveWindow(oh, g.h, g.oh, h0, h1);
        AdaptiveWindow(ow, g.w, g.ow, w0, w1);
        double sum = 0.0;
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) sum += x[(p * g.h + ih) * g.w + iw];
        }
        y[(p * g.oh + oh) * g.ow + ow] = static_cast<float>(sum / static_cast<double>((h1 - h0) * (w1 - w0)));
      }
    }
  }
}

// dy (P, OH, OW) -> dx (P, H, W): each input element gathers the windows that hold it.
void AdaptiveAvgPool2dBackwardPlanesReference(const Pool2dGeometry& g, const float* dy, int64_t p_begin,
                                              int64_t p_end, float* dx) {
  for (int64_t p = p_begin; p < p_end; ++p) {
    for (int64_t ih = 0; ih < g.h; ++ih) {
      for (int64_t iw = 0; iw < g.w; ++iw) {
        float sum = 0.0f;
        for (int64_t oh = 0; oh < g.oh; ++oh) {
          for (int64_t ow = 0; ow < g.ow; ++ow) {
            int64_t h0, h1, w0, w1;
            AdaptiveWindow(oh, g.h, g.oh, h0, h1);
            AdaptiveWindow(ow, g.w, g.ow, w0, w1);
            if (ih < h0 || ih >= h1 || iw < w0 || iw >= w1) continue;
            sum += dy[(p * g.oh + oh) * g.ow + ow] / static_cast<float>((h1 - h0) * (w1 - w0));
          }
        }
        dx[(p * g.h + ih) * g.w + iw] = sum;
      }
    }
  }
}

}  // namespace tg
