#include <cmath>
#include <cstring>

#include "ops/launch.h"
#include "ops/ops.h"
#include "ops/strided_loop.h"
#include "runtime/status.h"

namespace tg {
namespace {
constexpr int64_t kCopyGrain = 1 << 16;

template <typename From, typename To>
void CopySpans(const Tensor& src, const Tensor& dst) {
  const auto layout = Coalesce<2>(dst.shape(), {&dst.strides(), &src.strides()});
  To* out = dst.data<To>();
  const From* in = src.data<From>();
  Launch([=] {
    ForEachSpan(layout, kCopyGrain, [&](const std::array<int64_t, 2>& off, int64_t len, const std::array<int64_t, 2>& st) {
      To* o = out + off[0];
      const From* x = in + off[1];
      if constexpr (std::is_same_v<From, To>) {
        if (st[0] == 1 && st[1] == 1) {
          std::memcpy(o, x, static_cast<size_t>(len) * sizeof(To));
          return;
        }
      }
      for (int64_t i = 0; i < len; ++i) {
        const From v = x[i * st[1]];
        if constexpr (std::is_same_v<From, float> && std::is_same_v<To, int32_t>) {
          // float -> int32 truncates toward zero, as torch's .int(); values outside int32 have
          // no defined conversion in C++, so they saturate (NaN becomes 0).
          o[i * st[0]] = std::isnan(v) ? 0 : v >= 2147483647.0f ? INT32_MAX : v <= -2147483648.0f ? INT32_MIN : static_cast<int32_t>(v);
        } else {
          o[i * st[0]] = static_cast<To>(v);
        }
      }
    });
  }, src, dst);
}
}  // namespace

void CopyInto(const Tensor& src, const Tensor& dst) {
  if (src.shape() != dst.shape()) {
    Fail(StatusCode::kShape, "copy expects equal shapes, got ", ShapeToString(src.shape()), " and ",
         ShapeToString(dst.shape()));
  }
  if (dst.numel() == 0) return;
  const bool src_f = src.dtype() == DType::kFloat32, dst_f = dst.dtype() == DType::kFloat32;
  if (src_f && dst_f) CopySpans<float, float>(src, dst);
  else if (src_f) CopySpans<float, int32_t>(src, dst);
  else if (dst_f) CopySpans<int32_t, float>(src, dst);
  else CopySpans<int32_t, int32_t>(src, dst);
}

Tensor Contiguous(const Tensor& t) { return t.is_contiguous() ? t : Clone(t); }

Tensor Clone(const Tensor& t) {
  Tensor out = Tensor::Empty(t.shape(), t.dtype());
  CopyInto(t, out);
  return out;
}

Tensor ToDType(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  Tensor out = Tensor::Empty(t.shape(), dtype);
  CopyInto(t, out);
  return out;
}

}  // namespace tg
