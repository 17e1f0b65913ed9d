#include "ops/random.h"

namespace tg {

namespace {
// SplitMix64's finaliser: a bijective mix with full avalanche.
uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

uint64_t Generator::Bits(uint64_t c) const {
  return Mix(Mix(seed_ + 0x9e3779b97f4a7c15ULL) ^ (c * 0xd1b54a32d192ed03ULL + 0x8cb92ba72f3d8dd7ULL));
}

}  // namespace tg
