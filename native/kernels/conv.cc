// im2col / col2im and the direct reference convolution. See conv.h.
#include "kernels/conv.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace tg {
namespace {

// The output columns [first, last) whose input column ow·stride - pad + tap lies in [0, size):
// computed once per row, so the inner loops carry no bounds test.
void ValidRange(int64_t out_size, int64_t size, int64_t stride, int64_t offset, int64_t* first, int64_t* last) {
  // offset = tap·dilation - pad; need 0 <= ow·stride + offset < size.
  int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t hi = size - offset <= 0 ? 0 : (size - offset - 1) / stride + 1;
  lo = std::min(lo, out_size);
  hi = std::clamp(hi, lo, out_size);
  *first = lo;
  *last = hi;
}



// Im2Col for unit stride and dilation along W: each channel is first copied into a plane
// padded on every side (zeros), so every output row is one branch-free copy of W_out floats,
// done in 4-float pieces: a row's last piece may spill up to 3 floats past it, which the next
// row overwrites (rows are written in order; the caller's cols has kIm2ColSlack floats spare),
// and reads up to 3 floats past the padded plane's row (the plane has as many spare).
// The per-row memcpy / fill calls this replaces measured about half of Im2Col's time.
void Im2ColUnitW(const Conv2dGeometry& g, const float* x, int64_t channels, float* cols) {
  const int64_t ho = g.OutH(), wo = g.OutW();
  const int64_t hp = g.h + g.pad_top + g.pad_bottom, wp = g.w + g.pad_left + g.pad_right;
  std::vector<float> padded(static_cast<size_t>(hp * wp + kIm2ColSlack), 0.0f);
  for (int64_t c = 0; c < channels; ++c) {
    const float* plane = x + c * g.h * g.w;
    for (int64_t r = 0; r < g.h; ++r) {
      std::memcpy(&padded[(r + g.pad_top) * wp + g.pad_left], plane + r * g.w, static_cast<size_t>(g.w) * sizeof(float));
    }
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        float* out = cols + ((c * g.kh + i) * g.kw + j) * ho * wo;
        for (int64_t oh = 0; oh < ho; ++oh, out += wo) {
          const float* in = &padded[(oh * g.stride_h + i * g.dil_h) * wp + j];
          for (int64_t q = 0; q < wo; q += 4) std::memcpy(out + q, in + q, 4 * sizeof(float));
        }
      }
    }
  }
}

}  // namespace

// x (channels, H, W) -> cols (channels·kH·kW, H_out·W_out)
void Im2Col(const Conv2dGeometry& g, const float* x, int64_t channels, float* cols) {
  if (g.stride_w == 1 && g.dil_w == 1) {
    Im2ColUnitW(g, x, channels, cols);
    return;
  }
  const int64_t ho = g.OutH(), wo = g.OutW();
  for (int64_t c = 0; c < channels; ++c) {
    const float* plane = x + c * g.h * g.w;
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        float* row = cols + ((c * g.kh + i) * g.kw + j) * ho * wo;
        const int64_t off_w = j * g.dil_w - g.pad_left;
        int64_t ow0, ow1;
        ValidRange(wo, g.w, g.stride_w, off_w, &ow0, &ow1);
        for (int64_t oh = 0; oh < ho; ++oh) {
          float* out = row + oh * wo;
          const int64_t ih = oh * g.stride_h + i * g.dil_h - g.pad_top;
          if (ih < 0 || ih >= g.h) {
            std::fill(out, out + wo, 0.0f);
            continue;
          }
          const float* in = plane + ih * g.w + off_w;
          std::fill(out, out + ow0, 0.0f);
          if (g.stride_w == 1) {
            std::memcpy(out + ow0, in + ow0, static_cast<size_t>(ow1 - ow0) * sizeof(float));
          } else {
            for (int64_t ow = ow0; ow < ow1; ++ow) out[ow] = in[ow * g.stride_w];
          }
          std::fill(out + ow1, out + wo, 0.0f);
        }
      }
    }
  }
}

// cols (channels·kH·kW, H_out·W_out) -> dx (channels, H, W), accumulating
void Col2Im(const Conv2dGeometry& g, const float* cols, int64_t channels, float* dx) {
  const int64_t ho = g.OutH(), wo = g.OutW();
  for (int64_t c = 0; c < channels; ++c) {
    float* plane = dx + c * g.h * g.w;
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        const float* row = cols + ((c * g.kh + i) * g.kw + j) * ho * wo;
        const int64_t off_w = j * g.dil_w - g.pad_left;
        int64_t ow0, ow1;
        ValidRange(wo, g.w, g.stride_w, off_w, &ow0, &ow1);
        for (int64_t oh = 0; oh < ho; ++oh) {
          const int64_t ih = oh * g.stride_h + i * g.dil_h - g.pad_top;
          if (ih < 0 || ih >= g.h) continue;
          const float* in = row + oh * wo;
          float* out = plane + ih * g.w + off_w;
          for (int64_t ow = ow0; ow < ow1; ++ow) out[ow * g.stride_w] += in[ow];
        }
      }
    }
  }
}

// x (N, C_in, H, W), w (C_out, C_in/groups, kH, kW), bias (C_out) -> y (N, C_out, H_out, W_out)
void Conv2dForwardReference(const Conv2dGeometry& g, const float* x, const float* w, const float* bias,
                            Activation act, float slope, float* y) {
  const int64_t ho = g.OutH(), wo = g.OutW(), cg = g.GroupIn(), og = g.GroupOut();
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t co = 0; co < g.c_out; ++co) {
      const int64_t group = co / og;
      for (int64_t oh = 0; oh < ho; ++oh) {
        for (int64_t ow = 0; ow < wo; ++ow) {
          double s = bias != nullptr ? bias[co] : 0.0;
          for (int64_t ci = 0; ci < cg; ++ci) {
            const int64_t c = group * cg + ci;
            for (int64_t i = 0; i < g.kh; ++i) {
              const int64_t ih = oh * g.stride_h + i * g.dil_h - g.pad_top;
              if (ih < 0 || ih >= g.h) continue;
              for (int64_t j = 0; j < g.kw; ++j) {
                const int64_t iw = ow * g.stride_w + j * g.dil_w - g.pad_left;
                if (iw < 0 || iw >= g.w) continue;
                s += static_cast<double>(x[((n * g.c_in + c) * g.h + ih) * g.w + iw]) *
                     w[((co * cg + ci) * g.kh + i) * g.kw + j];
              }
            }
          }
          y[((n * g.c_out + co) * ho + oh) * wo + ow] = static_cast<float>(ApplyActivation<double>(s, act, slope));
        }
      }
    }
  }
}

// dy, y (N, C_out, H_out, W_out) -> dx (N, C_in, H, W), dw (C_out, C_in/groups, kH, kW), db (C_out)
void Conv2dBackwardReference(const Conv2dGeometry& g, const float* x, const float* w, const float* y,
                             const float* dy, Activation act, float slope, float* dx, float* dw, float* db) {
  const int64_t ho = g.OutH(), wo = g.OutW(), cg = g.GroupIn(), og = g.GroupOut();
  const int64_t out_count = g.n * g.c_out * ho * wo;
  std::vector<double> dz(static_cast<size_t>(out_count));
  for (int64_t e = 0; e < out_count; ++e) {
    dz[e] = dy[e] * (act == Activation::kIdentity ? 1.0 : ActivationDerivativeFromOutput<double>(act, y[e], slope));
  }
  std::vector<double> gx(static_cast<size_t>(g.n * g.c_in * g.h * g.w), 0.0);
  std::vector<double> gw(static_cast<size_t>(g.c_out * cg * g.kh * g.kw), 0.0);
  std::vector<double> gb(static_cast<size_t>(g.c_out), 0.0);
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t co = 0; co < g.c_out; ++co) {
      const int64_t group = co / og;
      for (int64_t oh = 0; oh < ho; ++oh) {
        for (int64_t ow = 0; ow < wo; ++ow) {
          const double d = dz[((n * g.c_out + co) * ho + oh) * wo + ow];
          gb[co] += d;
          for (int64_t ci = 0; ci < cg; ++ci) {
            const int64_t c = group * cg + ci;
            for (int64_t i = 0; i < g.kh; ++i) {
              const int64_t ih = oh * g.stride_h + i * g.dil_h - g.pad_top;
              if (ih < 0 || ih >= g.h) continue;
              for (int64_t j = 0; j < g.kw; ++j) {
                const int64_t iw = ow * g.stride_w + j * g.dil_w - g.pad_left;
                if (iw < 0 || iw >= g.w) continue;
                const int64_t xi = ((n * g.c_in + c) * g.h + ih) * g.w + iw;
                const int64_t wi = ((co * cg + ci) * g.kh + i) * g.kw + j;
                gx[xi] += d * w[wi];
                gw[wi] += d * x[xi];
              }
            }
          }
        }
      }
    }
  }
  if (dx != nullptr) std::transform(gx.begin(), gx.end(), dx, [](double v) { return static_cast<float>(v); });
  if (dw != nullptr) std::transform(gw.begin(), gw.end(), dw, [](double v) { return static_cast<float>(v); });
  if (db != nullptr) std::transform(gb.begin(), gb.end(), db, [](double v) { return static_cast<float>(v); });
}

}  // namespace tg
