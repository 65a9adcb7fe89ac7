// libFuzzer target: any bytes, read as a schedule in any format and replayed, must give a
// schedule or a clean exception: never a crash, a hang, a leak or an unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "memsched/chain/formats.hpp"
#include "memsched/chain/simulate.hpp"
#include "memsched/errors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the chain length and the platform; the rest is the schedule text.
  const memsched::Step n = 1 + data[0] % 16;
  const memsched::Platform platform =
      data[0] & 0x80 ? memsched::Platform::ram_disk(1 + data[0] % 3, 4, 1.0, 2.0)
                     : memsched::Platform::ram(data[0] % 5);
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    const memsched::ScheduleFile file = memsched::read_schedule(text, n);
    try {
      memsched::simulate(file.schedule, memsched::Chain(file.num_steps.value_or(n)), platform);
    } catch (const memsched::ScheduleError&) {
    }
  } catch (const memsched::ParseError&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
