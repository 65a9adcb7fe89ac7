// How a checkpoint is made from a user's state: the codec (size, save, load, hash) and the
// ready-made codecs for contiguous arrays, scalars, tuples of them and structs that list their
// fields.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace memsched {

/// A 64-bit hash of `size` bytes (seeded): fast (several GB/s, four independent lanes) and
/// good at catching any changed bit; not cryptographic. Used for the replay check and for
/// checkpoint file checksums. O(size).
std::uint64_t hash_bytes(const void* data, std::size_t size, std::uint64_t seed = 0) noexcept;

/// Combines two hashes (order matters).
constexpr std::uint64_t hash_combine(std::uint64_t a, std::uint64_t b) noexcept {
  return (a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2))) * 0xff51afd7ed558ccdULL;
}

/// The codec of a checkpointable type T: what a checkpoint of a T contains.
///
/// A codec is a struct with four static functions:
///   std::size_t size(const T&)                       bytes that save() writes
///   void save(const T&, std::byte* out)              writes exactly size() bytes
///   void load(const std::byte* in, std::size_t, T&)  reads them back into an existing T
///   std::uint64_t hash(const T&)                     equal for equal saved bytes
/// The state must be *complete*: everything a step reads that changes over the run (time,
/// time step, RNG state, ...) belongs in it, or recomputed steps silently differ; the
/// executor's replay check compares hashes to catch exactly that. load() throws
/// std::invalid_argument on bytes of the wrong size or shape.
///
/// Ready-made: trivially copyable values (scalars, plain structs, std::array of them),
/// std::vector of trivially copyable values, std::pair / std::tuple of codable types (also of
/// references, from std::tie), and any type with `checkpoint_fields()` member functions (const and
/// non-const) returning a std::tie of its fields:
///
///     struct Ocean {
///       std::vector<double> u, v;
///       double time = 0;
///       auto checkpoint_fields() { return std::tie(u, v, time); }
///       auto checkpoint_fields() const { return std::tie(u, v, time); }
///     };
///     // StateCodec<Ocean> now exists.
///
/// Specialise StateCodec<T> for anything else.
template <typename T, typename Enable = void>
struct StateCodec;

namespace detail {

[[noreturn]] void throw_codec_size(const char* what, std::size_t expected, std::size_t got);

template <typename T, typename = void>
struct HasCheckpointFields : std::false_type {};
template <typename T>
struct HasCheckpointFields<T, std::void_t<decltype(std::declval<T&>().checkpoint_fields())>>
    : std::true_type {};

template <typename T>
struct IsTuple : std::false_type {};
template <typename... Ts>
struct IsTuple<std::tuple<Ts...>> : std::true_type {};
template <typename A, typename B>
struct IsTuple<std::pair<A, B>> : std::true_type {};

template <typename T>
using Bare = std::remove_cv_t<std::remove_reference_t<T>>;

}  // namespace detail

/// Trivially copyable values (scalars, plain structs, enums, std::array of them): their
/// object bytes.
template <typename T>
struct StateCodec<
    T, std::enable_if_t<std::is_trivially_copyable_v<T> && !detail::HasCheckpointFields<T>::value &&
                        !detail::IsTuple<T>::value>> {
  static std::size_t size(const T&) noexcept { return sizeof(T); }
  static void save(const T& value, std::byte* out) noexcept { std::memcpy(out, &value, sizeof(T)); }
  static void load(const std::byte* in, std::size_t size, T& value) {
    if (size != sizeof(T)) detail::throw_codec_size("StateCodec<scalar>::load", sizeof(T), size);
    std::memcpy(&value, in, sizeof(T));
  }
  static std::uint64_t hash(const T& value) noexcept { return hash_bytes(&value, sizeof(T)); }
};

/// A vector of trivially copyable values: an 8-byte element count, then the elements. load()
/// resizes the vector (no allocation when the size is unchanged, the usual case).
template <typename T, typename Alloc>
struct StateCodec<std::vector<T, Alloc>, std::enable_if_t<std::is_trivially_copyable_v<T>>> {
  using Vector = std::vector<T, Alloc>;
  static std::size_t size(const Vector& v) noexcept { return 8 + v.size() * sizeof(T); }
  static void save(const Vector& v, std::byte* out) noexcept {
    const std::uint64_t count = v.size();
    std::memcpy(out, &count, 8);
    if (!v.empty()) std::memcpy(out + 8, v.data(), v.size() * sizeof(T));
  }
  static void load(const std::byte* in, std::size_t size, Vector& v) {
    std::uint64_t count = 0;
    if (size < 8) detail::throw_codec_size("StateCodec<vector>::load", 8, size);
    std::memcpy(&count, in, 8);
    if (count > (size - 8) / sizeof(T) || 8 + count * sizeof(T) != size) {
      detail::throw_codec_size("StateCodec<vector>::load", 8 + count * sizeof(T), size);
    }
    v.resize(static_cast<std::size_t>(count));
    if (count != 0) std::memcpy(v.data(), in + 8, v.size() * sizeof(T));
  }
  static std::uint64_t hash(const Vector& v) noexcept {
    return hash_bytes(v.data(), v.size() * sizeof(T), v.size());
  }
};

namespace detail {

// Tuples (of values or references): each field's size as 8 bytes, then the fields.
template <typename Tuple>
struct TupleCodec {
  static constexpr std::size_t kCount = std::tuple_size_v<Bare<Tuple>>;

  template <std::size_t... I>
  static std::size_t size(const Tuple& t, std::index_sequence<I...>) {
    return (std::size_t{0} + ... +
            (8 + StateCodec<Bare<std::tuple_element_t<I, Bare<Tuple>>>>::size(std::get<I>(t))));
  }
  template <std::size_t... I>
  static void save(const Tuple& t, std::byte* out, std::index_sequence<I...>) {
    (save_one<I>(t, out), ...);
  }
  template <std::size_t I>
  static void save_one(const Tuple& t, std::byte*& out) {
    using Field = Bare<std::tuple_element_t<I, Bare<Tuple>>>;
    const std::uint64_t bytes = StateCodec<Field>::size(std::get<I>(t));
    std::memcpy(out, &bytes, 8);
    StateCodec<Field>::save(std::get<I>(t), out + 8);
    out += 8 + bytes;
  }
  template <std::size_t... I>
  static void load(const std::byte* in, std::size_t size, Tuple& t, std::index_sequence<I...>) {
    const std::byte* end = in + size;
    (load_one<I>(in, end, t), ...);
    if (in != end) throw_codec_size("StateCodec<tuple>::load", size - std::size_t(end - in), size);
  }
  template <std::size_t I>
  static void load_one(const std::byte*& in, const std::byte* end, Tuple& t) {
    using Field = Bare<std::tuple_element_t<I, Bare<Tuple>>>;
    std::uint64_t bytes = 0;
    if (end - in < 8) throw_codec_size("StateCodec<tuple>::load", 8, std::size_t(end - in));
    std::memcpy(&bytes, in, 8);
    if (bytes > static_cast<std::uint64_t>(end - in - 8)) {
      throw_codec_size("StateCodec<tuple>::load", bytes, std::size_t(end - in - 8));
    }
    StateCodec<Field>::load(in + 8, static_cast<std::size_t>(bytes), std::get<I>(t));
    in += 8 + bytes;
  }
  template <std::size_t... I>
  static std::uint64_t hash(const Tuple& t, std::index_sequence<I...>) {
    std::uint64_t h = kCount;
    ((h = hash_combine(
          h, StateCodec<Bare<std::tuple_element_t<I, Bare<Tuple>>>>::hash(std::get<I>(t)))),
     ...);
    return h;
  }
};

}  // namespace detail

/// std::tuple and std::pair of codable types (values or references).
template <typename T>
struct StateCodec<T, std::enable_if_t<detail::IsTuple<T>::value>> {
  using Codec = detail::TupleCodec<T>;
  using Indices = std::make_index_sequence<std::tuple_size_v<T>>;
  static std::size_t size(const T& t) { return Codec::size(t, Indices{}); }
  static void save(const T& t, std::byte* out) { Codec::save(t, out, Indices{}); }
  static void load(const std::byte* in, std::size_t size, T& t) {
    Codec::load(in, size, t, Indices{});
  }
  static std::uint64_t hash(const T& t) { return Codec::hash(t, Indices{}); }
};

/// Structs listing their fields with checkpoint_fields() (a std::tie).
template <typename T>
struct StateCodec<T, std::enable_if_t<detail::HasCheckpointFields<T>::value>> {
  using ConstFields = decltype(std::declval<const T&>().checkpoint_fields());
  using Fields = decltype(std::declval<T&>().checkpoint_fields());
  static std::size_t size(const T& value) {
    return StateCodec<ConstFields>::size(value.checkpoint_fields());
  }
  static void save(const T& value, std::byte* out) {
    StateCodec<ConstFields>::save(value.checkpoint_fields(), out);
  }
  static void load(const std::byte* in, std::size_t size, T& value) {
    Fields fields = value.checkpoint_fields();
    StateCodec<Fields>::load(in, size, fields);
  }
  static std::uint64_t hash(const T& value) {
    return StateCodec<ConstFields>::hash(value.checkpoint_fields());
  }
};

}  // namespace memsched
