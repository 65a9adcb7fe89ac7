// Tests of the state codecs: round trips, sizes, hashes, malformed input.
#include "memsched/exec/codec.hpp"

#include <gtest/gtest.h>

#include <array>
#include <tuple>
#include <vector>

namespace memsched {
namespace {

template <typename T>
std::vector<std::byte> save(const T& value) {
  std::vector<std::byte> bytes(StateCodec<T>::size(value));
  StateCodec<T>::save(value, bytes.data());
  return bytes;
}

struct Ocean {
  std::vector<double> u;
  std::vector<float> v;
  double time = 0;
  std::int64_t rng = 0;
  auto checkpoint_fields() { return std::tie(u, v, time, rng); }
  auto checkpoint_fields() const { return std::tie(u, v, time, rng); }
};

TEST(StateCodec, VectorRoundTrip) {
  const std::vector<double> a = {1.5, -2.25, 3e300};
  const auto bytes = save(a);
  EXPECT_EQ(bytes.size(), 8 + 3 * sizeof(double));
  std::vector<double> b;
  StateCodec<std::vector<double>>::load(bytes.data(), bytes.size(), b);
  EXPECT_EQ(a, b);
  EXPECT_EQ(StateCodec<std::vector<double>>::hash(a), StateCodec<std::vector<double>>::hash(b));
}

TEST(StateCodec, ArrayAndScalar) {
  const std::array<int, 4> a = {1, 2, 3, 4};
  std::array<int, 4> b{};
  const auto bytes = save(a);
  StateCodec<std::array<int, 4>>::load(bytes.data(), bytes.size(), b);
  EXPECT_EQ(a, b);
  double x = 0;
  const auto scalar = save(2.5);
  StateCodec<double>::load(scalar.data(), scalar.size(), x);
  EXPECT_EQ(x, 2.5);
  EXPECT_THROW(StateCodec<double>::load(scalar.data(), 4, x), std::invalid_argument);
}

TEST(StateCodec, TupleOfVectorsRoundTrip) {
  using Tuple = std::tuple<std::vector<double>, std::vector<int>, double>;
  const Tuple a{{1, 2, 3}, {4, 5}, 6.5};
  const auto bytes = save(a);
  Tuple b;
  StateCodec<Tuple>::load(bytes.data(), bytes.size(), b);
  EXPECT_EQ(a, b);
}

TEST(StateCodec, StructWithFields) {
  Ocean a;
  a.u = {1, 2};
  a.v = {3};
  a.time = 0.25;
  a.rng = 42;
  const auto bytes = save(a);
  Ocean b;
  StateCodec<Ocean>::load(bytes.data(), bytes.size(), b);
  EXPECT_EQ(a.u, b.u);
  EXPECT_EQ(a.v, b.v);
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.rng, b.rng);
  EXPECT_EQ(StateCodec<Ocean>::hash(a), StateCodec<Ocean>::hash(b));
  b.time = 0.5;  // the field a replay check must see
  EXPECT_NE(StateCodec<Ocean>::hash(a), StateCodec<Ocean>::hash(b));
}

TEST(StateCodec, MalformedBytesThrow) {
  const std::vector<double> a = {1, 2, 3};
  auto bytes = save(a);
  std::vector<double> b;
  EXPECT_THROW(StateCodec<std::vector<double>>::load(bytes.data(), bytes.size() - 1, b),
               std::invalid_argument);
  EXPECT_THROW(StateCodec<std::vector<double>>::load(bytes.data(), 4, b), std::invalid_argument);
  using Tuple = std::tuple<std::vector<double>, double>;
  const auto tuple_bytes = save(Tuple{{1.0}, 2.0});
  Tuple t;
  EXPECT_THROW(StateCodec<Tuple>::load(tuple_bytes.data(), tuple_bytes.size() - 3, t),
               std::invalid_argument);
}

TEST(HashBytes, EveryBitMatters) {
  std::vector<unsigned char> data(1000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<unsigned char>(i * 7);
  const std::uint64_t h = hash_bytes(data.data(), data.size());
  for (std::size_t i : {std::size_t{0}, std::size_t{31}, std::size_t{500}, std::size_t{999}}) {
    for (int bit = 0; bit < 8; ++bit) {
      data[i] ^= static_cast<unsigned char>(1 << bit);
      EXPECT_NE(hash_bytes(data.data(), data.size()), h) << i << " " << bit;
      data[i] ^= static_cast<unsigned char>(1 << bit);
    }
  }
  EXPECT_EQ(hash_bytes(data.data(), data.size()), h);
  EXPECT_NE(hash_bytes(data.data(), 999), h);
  EXPECT_NE(hash_bytes(data.data(), data.size(), 1), h);
}

}  // namespace
}  // namespace memsched
