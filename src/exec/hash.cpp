// hash_bytes: a four-lane multiply-rotate hash for replay checks and checkpoint checksums.
#include <cstring>
#include <stdexcept>
#include <string>

#include "memsched/exec/codec.hpp"

namespace memsched {

namespace {

constexpr std::uint64_t kPrime1 = 0x9e3779b185ebca87ULL;
constexpr std::uint64_t kPrime2 = 0xc2b2ae3d27d4eb4fULL;
constexpr std::uint64_t kPrime3 = 0x165667b19e3779f9ULL;

inline std::uint64_t rotl(std::uint64_t x, int r) noexcept { return (x << r) | (x >> (64 - r)); }

inline std::uint64_t load64(const unsigned char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// One lane round: the words of each lane are mixed independently, so the four multiplies
// pipeline (the same structure as xxHash64's, written from its published description).
inline std::uint64_t round(std::uint64_t lane, std::uint64_t word) noexcept {
  return rotl(lane + word * kPrime2, 31) * kPrime1;
}

// MurmurHash3's 64-bit finaliser: every input bit affects every output bit.
inline std::uint64_t avalanche(std::uint64_t h) noexcept {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

}  // namespace

std::uint64_t hash_bytes(const void* data, std::size_t size, std::uint64_t seed) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  const unsigned char* end = p + size;
  std::uint64_t h;
  if (size >= 32) {
    std::uint64_t a = seed + kPrime1 + kPrime2, b = seed + kPrime2, c = seed, d = seed - kPrime1;
    for (; end - p >= 32; p += 32) {
      a = round(a, load64(p));
      b = round(b, load64(p + 8));
      c = round(c, load64(p + 16));
      d = round(d, load64(p + 24));
    }
    h = rotl(a, 1) + rotl(b, 7) + rotl(c, 12) + rotl(d, 18);
    h = (h ^ round(0, a)) * kPrime1 + kPrime3;
    h = (h ^ round(0, b)) * kPrime1 + kPrime3;
    h = (h ^ round(0, c)) * kPrime1 + kPrime3;
    h = (h ^ round(0, d)) * kPrime1 + kPrime3;
  } else {
    h = seed + kPrime3;
  }
  h += static_cast<std::uint64_t>(size);
  for (; end - p >= 8; p += 8) h = rotl(h ^ round(0, load64(p)), 27) * kPrime1 + kPrime3;
  for (; p < end; ++p) h = rotl(h ^ (*p * kPrime3), 11) * kPrime1;
  return avalanche(h);
}

namespace detail {

void throw_codec_size(const char* what, std::size_t expected, std::size_t got) {
  throw std::invalid_argument(std::string(what) + ": expected " + std::to_string(expected) +
                              " bytes, got " + std::to_string(got));
}

}  // namespace detail

}  // namespace memsched
