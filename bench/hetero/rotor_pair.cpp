// Driver of bench/hetero/rotor_pair.sh: builds a seeded network-like chain, writes it in rotor's
// padded unit arrays for the plain C harness, and times memsched's persistent table on it.
// Usage: hetero_rotor_pair table L M ARRAYS_FILE   (rotor-compatible table, user CPU seconds)
//        hetero_rotor_pair plan L M [THREADS]      (plan_persistent as in hetero_bench; user CPU
//                                                 and wall seconds)
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "hetero/persistent_table.hpp"
#include "memsched/hetero/persistent.hpp"

namespace {

using namespace memsched;

// The chain of hetero_bench.cpp: times in [1, 10] ms, activations 1-64 MiB, tapes up to 3x the
// output, temporaries up to one activation.
HeteroChain network(std::int64_t num_stages, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> time(1e-3, 1e-2);
  std::uniform_int_distribution<Bytes> size(1 << 20, 64 << 20);
  std::vector<Bytes> x(static_cast<std::size_t>(num_stages + 1));
  for (auto& v : x) v = size(rng);
  std::vector<HeteroStage> stages;
  for (std::int64_t i = 0; i < num_stages; ++i) {
    const Bytes out = x[static_cast<std::size_t>(i + 1)];
    stages.push_back({time(rng), 2 * time(rng), x[static_cast<std::size_t>(i)],
                      out + static_cast<Bytes>(rng() % static_cast<std::uint64_t>(2 * out)),
                      static_cast<Bytes>(rng() % static_cast<std::uint64_t>(out)),
                      static_cast<Bytes>(rng() % static_cast<std::uint64_t>(out))});
  }
  return HeteroChain(std::move(stages), {x.back(), 0.0, 0});
}

double user_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec) +
         1e-6 * static_cast<double>(usage.ru_utime.tv_usec);
}

template <class T>
void write_array(std::FILE* f, const std::vector<T>& v, std::size_t count) {
  for (std::size_t k = 0; k < count; ++k) {
    std::fprintf(f, " %.17g", k < v.size() ? static_cast<double>(v[k]) : 0.0);
  }
  std::fprintf(f, "\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s table L M ARRAYS_FILE | plan L M [THREADS]\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const std::int64_t num_stages = std::atoll(argv[2]);
  const std::int64_t num_units = std::atoll(argv[3]);
  if (num_stages < 1 || num_units < 1 || (mode != "table" && mode != "plan") ||
      (mode == "table" && argc < 5)) {
    std::fprintf(stderr, "hetero_rotor_pair: bad arguments\n");
    return 2;
  }
  const HeteroChain chain = network(num_stages, 42);
  const Bytes budget = chain.store_all_peak() / 3;
  if (mode == "plan") {
    PersistentOptions options;
    options.num_units = num_units;
    options.num_threads = argc > 4 ? std::atoi(argv[4]) : 1;
    // The up-front limits are sized for interactive use; this driver measures beyond them.
    options.max_table_bytes = std::int64_t{1} << 40;
    options.max_table_operations = 1e13;
    const double start = user_seconds();
    const auto wall_start = std::chrono::steady_clock::now();
    const auto plan = plan_persistent(chain, budget, options);
    const double seconds = user_seconds() - start;
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    std::printf("memsched_plan_user_s %.3f wall_s %.3f makespan %.17g actions %zu\n", seconds, wall,
                plan ? plan->makespan : -1.0, plan ? plan->schedule.size() : std::size_t{0});
    return 0;
  }
  // rotor's top-level call: mem_unit = budget // slots, sizes ceil'ed, mmax = slots.
  const Bytes unit = budget / num_units;
  const detail::UnitChain u = detail::to_units(chain, unit);
  const std::size_t n = static_cast<std::size_t>(num_stages);
  std::FILE* f = std::fopen(argv[4], "w");
  if (f == nullptr) {
    std::fprintf(stderr, "hetero_rotor_pair: cannot write %s\n", argv[4]);
    return 1;
  }
  // L, mmax, then fw (L+1), bw (L+1), cw (L+2), cbw (L+2), fwd_tmp (L+1), bwd_tmp (L+2).
  std::fprintf(f, "%lld %lld\n", static_cast<long long>(num_stages),
               static_cast<long long>(num_units));
  write_array(f, u.fw, n + 1);
  write_array(f, u.bw, n + 1);
  write_array(f, u.cw, n + 2);
  write_array(f, u.cbw, n + 2);
  write_array(f, u.ft, n + 1);
  write_array(f, u.bt, n + 2);
  std::fclose(f);
  const double start = user_seconds();
  const detail::PersistentTable table(u, num_units, /*rotor_compatible=*/true);
  const double seconds = user_seconds() - start;
  std::printf("memsched_table_user_s %.3f opt %.17g\n", seconds,
              table.value(0, num_stages, num_units - u.cw[0]));
  return 0;
}
