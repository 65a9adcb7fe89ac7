// libFuzzer target: any bytes, read as a heterogeneous chain (JSON or CSV by the first byte),
// must give a chain or a clean exception; a small parsed chain is then planned and replayed.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "memsched/errors.hpp"
#include "memsched/hetero/io.hpp"
#include "memsched/hetero/persistent.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const memsched::HeteroChain chain = (data[0] & 1) != 0 ? memsched::read_hetero_chain_csv(text)
                                                           : memsched::read_hetero_chain_json(text);
    if (chain.num_stages() <= 32) {
      memsched::PersistentOptions options;
      options.num_units = 1 + data[0] % 64;
      const memsched::Bytes budget = chain.store_all_peak() / (1 + data[0] % 4);
      if (const auto plan = memsched::plan_persistent(chain, budget, options)) {
        const memsched::HeteroReport report = memsched::simulate(plan->schedule, chain, budget);
        if (report.peak_bytes > budget || report.makespan != plan->makespan) __builtin_trap();
      }
    }
  } catch (const memsched::ParseError&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
