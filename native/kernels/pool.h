// 2-D pooling over planes: x (P, H, W) with P = N·C, each plane pooled on its own, so the
// caller (ops/pool.cc) splits [0, P) over threads. Within a plane everything runs serially in
// one fixed order, so results (the backward's accumulation where windows overlap included)
// do not depend on the thread count. Window rules follow PyTorch 1.13's CPU kernels exactly.
#pragma once

#include <cstdint>

namespace tg {

struct Pool2dGeometry {
  int64_t h, w;    // input plane
  int64_t oh, ow;  // output plane
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;  // kernel, stride, padding, dilation (unused by adaptive)
};

// Max pool: y (P, OH, OW), idx (P, OH, OW) = flat index into the input plane (ih·W + iw) of
// the window's maximum. Padding acts as -inf; the first maximum wins a tie, and a NaN wins
// over any number (the last NaN of the window, as PyTorch). A window with no input element
// in it (possible with dilation) gives -inf and index -1, so its gradient goes nowhere.
void MaxPool2dPlanes(const Pool2dGeometry& g, const float* x, int64_t p_begin, int64_t p_end, float* y,
                     int32_t* idx);
// dx (P, H, W) = 0, then dx[idx] += dy for each output in row-major order; idx outside the
// plane is skipped.
void MaxPool2dBackwardPlanes(const Pool2dGeometry& g, const float* dy, const int32_t* idx, int64_t p_begin,
                             int64_t p_end, float* dx);

// Avg pool: y (P, OH, OW) = Σ window / divisor, summed in double. The divisor is
// divisor_override when > 0, else the window's size clipped to the padded input (H + pad) when
// count_include_pad, else the number of real input elements in it. A window with no input
// element gives 0.
struct AvgPoolMode {
  bool count_include_pad;
  int64_t divisor_override;  // 0: none
};
void AvgPool2dPlanes(const Pool2dGeometry& g, AvgPoolMode m, const float* x, int64_t p_begin, int64_t p_end,
                     float* y);
// dx (P, H, W) = Σ over the windows holding each element of dy / divisor (written, not
// accumulated).
void AvgPool2dBackwardPlanes(const Pool2dGeometry& g, AvgPoolMode m, const float* dy, int64_t p_begin,
                             int64_t p_end, float* dx);

// Adaptive avg pool: output row i averages input rows [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉), columns alike.
// y (P, OH, OW); dx (P, H, W) written.
void AdaptiveAvgPool2dPlanes(const Pool2dGeometry& g, const float* x, int64_t p_begin, int64_t p_end, float* y);
void AdaptiveAvgPool2dBackwardPlanes(const Pool2dGeometry& g, const float* dy, int64_t p_begin, int64_t p_end,
                                     float* dx);

// The plain twins: every window walked over its full kernel with a bounds check per tap, and
// the backwards as gathers (each input element sums the outputs that reach it) rather than
// scatters, so they share no loop structure with the kernels above.
void MaxPool2dPlanesReference(const Pool2dGeometry& g, const float* x, int64_t p_begin, int64_t p_end, float* y,
                              int32_t* idx);
void MaxPool2dBackwardPlanesReference(const Pool2dGeometry& g, const float* dy, const int32_t* idx,
                                      int64_t p_begin, int64_t p_end, float* dx);
void AvgPool2dPlanesReference(const Pool2dGeometry& g, AvgPoolMode m, const float* x, int64_t p_begin,
                              int64_t p_end, float* y);
void AvgPool2dBackwardPlanesReference(const Pool2dGeometry& g, AvgPoolMode m, const float* dy, int64_t p_begin,
                                      int64_t p_end, float* dx);
void AdaptiveAvgPool2dPlanesReference(const Pool2dGeometry& g, const float* x, int64_t p_begin, int64_t p_end,
                                      float* y);
void AdaptiveAvgPool2dBackwardPlanesReference(const Pool2dGeometry& g, const float* dy, int64_t p_begin,
                                              int64_t p_end, float* dx);

}  // namespace tg
