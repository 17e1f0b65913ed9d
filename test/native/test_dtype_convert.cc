// The element conversions of kernels/dtype_convert.h against plain references: every one of
// the 65536 F16 bit patterns (ldexp arithmetic, NaN payloads by bits), BF16 by its float32
// meaning, F64 rounding and the float32 range edge, and each integer width at its limits,
// with the first out-of-range index reported and unaligned sources.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/dtype_convert.h"
#include "testing.h"

using namespace tg;

namespace {

uint32_t Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// binary16 by its definition: (-1)^s · m·2^-24 (subnormal) or (1 + m/1024)·2^(e-15).
double HalfReference(uint16_t h) {
  const int sign = (h >> 15) ? -1 : 1;
  const int e = (h >> 10) & 0x1f;
  const int m = h & 0x3ff;
  if (e == 0x1f) return m == 0 ? sign * INFINITY : NAN;
  if (e == 0) return sign * std::ldexp(static_cast<double>(m), -24);
  return sign * std::ldexp(1.0 + m / 1024.0, e - 15);
}

template <class T>
std::vector<unsigned char> BytesOf(const std::vector<T>& values, size_t misalign = 0) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(values.data());
  std::vector<unsigned char> out(misalign + values.size() * sizeof(T));
  for (size_t i = misalign; i < out.size(); ++i) out[i] = bytes[i - misalign];  // a loop: GCC 12 misreads memcpy here
  return out;
}

// Converts `values` of type T (stored one byte off alignment) to int32 and expects them back
// unchanged up to the first out-of-range one, whose index is `bad` (-1 for none).
template <class T>
void ExpectIntegers(SourceType type, const std::vector<T>& values, int64_t bad) {
  EXPECT_EQ(SourceElementSize(type), sizeof(T));
  EXPECT_TRUE(!ConvertsToFloat32(type));
  const std::vector<unsigned char> bytes = BytesOf(values, 1);
  std::vector<int32_t> out(values.size(), -7);
  EXPECT_EQ(ConvertToInt32(bytes.data() + 1, type, static_cast<int64_t>(values.size()), out.data()), bad);
  const size_t good = bad < 0 ? values.size() : static_cast<size_t>(bad);
  for (size_t i = 0; i < good; ++i) EXPECT_EQ(static_cast<int64_t>(out[i]), static_cast<int64_t>(values[i]));
}

}  // namespace

TG_TEST(F16EveryBitPattern) {
  std::vector<uint16_t> all(65536);
  for (uint32_t i = 0; i < 65536; ++i) all[i] = static_cast<uint16_t>(i);
  const std::vector<unsigned char> bytes = BytesOf(all, 1);
  std::vector<float> out(all.size());
  EXPECT_EQ(ConvertToFloat32(bytes.data() + 1, SourceType::kF16, 65536, out.data()), int64_t{-1});
  int wrong = 0;
  for (uint32_t i = 0; i < 65536; ++i) {
    const double want = HalfReference(static_cast<uint16_t>(i));
    const bool ok = std::isnan(want) ? std::isnan(out[i]) && Bits(out[i]) == (((i & 0x8000u) << 16) | 0x7f800000u | ((i & 0x3ffu) << 13))
                                     : Bits(out[i]) == Bits(static_cast<float>(want));  // also tells -0 from +0
    if (!ok && ++wrong <= 5) EXPECT_TRUE(ok && "F16 pattern converted wrongly");
    EXPECT_EQ(Bits(HalfToFloat(static_cast<uint16_t>(i))), Bits(out[i]));
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(out[0x0001], std::ldexp(1.0f, -24));  // the smallest subnormal
  EXPECT_EQ(out[0x03ff], std::ldexp(1023.0f, -24));  // the largest subnormal
  EXPECT_EQ(out[0x7bff], 65504.0f);  // the largest finite half
  EXPECT_EQ(Bits(out[0x8000]), 0x80000000u);
}

TG_TEST(BF16IsTheTopHalfOfAFloat32) {
  const std::vector<float> want = {0.0f, -0.0f, 1.0f, -2.5f, INFINITY, -INFINITY, 3.0e38f, 1.0e-40f, NAN};
  std::vector<uint16_t> halves;
  for (float f : want) halves.push_back(static_cast<uint16_t>(Bits(f) >> 16));
  const std::vector<unsigned char> bytes = BytesOf(halves, 1);
  std::vector<float> out(want.size());
  EXPECT_EQ(ConvertToFloat32(bytes.data() + 1, SourceType::kBF16, static_cast<int64_t>(want.size()), out.data()), int64_t{-1});
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(Bits(out[i]), Bits(want[i]) & 0xffff0000u);
}

TG_TEST(F64RoundsAndReportsTheFirstValueBeyondFloat32) {
  const double max = std::numeric_limits<float>::max();
  std::vector<double> values = {0.1, -1e-300, max, -max, INFINITY, -INFINITY, NAN, 1.0 / 3};
  std::vector<float> out(values.size());
  std::vector<unsigned char> bytes = BytesOf(values, 3);
  EXPECT_EQ(ConvertToFloat32(bytes.data() + 3, SourceType::kF64, static_cast<int64_t>(values.size()), out.data()), int64_t{-1});
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) EXPECT_TRUE(std::isnan(out[i]));
    else EXPECT_EQ(Bits(out[i]), Bits(static_cast<float>(values[i])));
  }
  for (double beyond : {1e39, -1e39, std::numeric_limits<double>::max(), std::ldexp(1.0, 128)}) {
    values = {1.0, 2.0, beyond, 3.0};
    bytes = BytesOf(values);
    out.assign(values.size(), 0.0f);
    EXPECT_EQ(ConvertToFloat32(bytes.data(), SourceType::kF64, 4, out.data()), int64_t{2});
  }
}

TG_TEST(IntegersConvertUpToTheirFirstValueOutsideInt32) {
  constexpr int64_t kMin = std::numeric_limits<int32_t>::min(), kMax = std::numeric_limits<int32_t>::max();
  ExpectIntegers<int64_t>(SourceType::kI64, {0, -1, kMin, kMax, 42}, -1);
  ExpectIntegers<int64_t>(SourceType::kI64, {0, kMax, kMax + 1, 5}, 2);
  ExpectIntegers<int64_t>(SourceType::kI64, {kMin - 1}, 0);
  ExpectIntegers<int64_t>(SourceType::kI64, {1, std::numeric_limits<int64_t>::min()}, 1);
  ExpectIntegers<uint64_t>(SourceType::kU64, {0, static_cast<uint64_t>(kMax)}, -1);
  ExpectIntegers<uint64_t>(SourceType::kU64, {7, static_cast<uint64_t>(kMax) + 1}, 1);
  ExpectIntegers<uint64_t>(SourceType::kU64, {std::numeric_limits<uint64_t>::max()}, 0);
  ExpectIntegers<uint32_t>(SourceType::kU32, {0, static_cast<uint32_t>(kMax)}, -1);
  ExpectIntegers<uint32_t>(SourceType::kU32, {1, 2, 0x80000000u}, 2);
  ExpectIntegers<int8_t>(SourceType::kI8, {-128, -1, 0, 127}, -1);
  ExpectIntegers<uint8_t>(SourceType::kU8, {0, 1, 255}, -1);
  ExpectIntegers<int16_t>(SourceType::kI16, {-32768, 0, 32767}, -1);
  ExpectIntegers<uint16_t>(SourceType::kU16, {0, 65535}, -1);
  ExpectIntegers<uint8_t>(SourceType::kBool, {0, 1, 1, 0}, -1);
  ExpectIntegers<uint8_t>(SourceType::kBool, {0, 1, 2}, 2);
}

TG_TEST(EmptyInputsConvertNothing) {
  float f = 5.0f;
  int32_t i = 5;
  EXPECT_EQ(ConvertToFloat32(nullptr, SourceType::kF16, 0, &f), int64_t{-1});
  EXPECT_EQ(ConvertToInt32(nullptr, SourceType::kI64, 0, &i), int64_t{-1});
  EXPECT_EQ(f, 5.0f);
  EXPECT_EQ(i, 5);
}

TG_TEST_MAIN()
