// The seeded random source behind rand/randn (and, later, dropout and init). Counter-based:
// element i of a draw is a hash of (seed, counter + i), so filling in parallel gives the same
// numbers for any thread count, and a seed reproduces a whole sequence of draws.
#pragma once

#include <cstdint>

namespace tg {

class Generator {
 public:
  // PyTorch's default CPU seed, so an unseeded program is still reproducible.
  static constexpr uint64_t kDefaultSeed = 67280421310721ULL;

  explicit Generator(uint64_t seed = kDefaultSeed) { ManualSeed(seed); }
  void ManualSeed(uint64_t seed) {
    seed_ = seed;
    counter_ = 0;
  }
  uint64_t seed() const { return seed_; }

  // Reserves n consecutive counters and returns the first.
  uint64_t Reserve(uint64_t n) {
    const uint64_t first = counter_;
    counter_ += n;
    return first;
  }

  // 64 random bits for counter c.
  uint64_t Bits(uint64_t c) const;

 private:
  uint64_t seed_ = kDefaultSeed;
  uint64_t counter_ = 0;
};

// Uniform in [0, 1), 24 random bits (every float32 in the grid is reachable).
inline float BitsToUniform(uint64_t bits) { return static_cast<float>(bits >> 40) * (1.0f / 16777216.0f); }

}  // namespace tg
