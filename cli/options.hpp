// Flags shared by the chain subcommands (the chain, the storage levels) and the value parsers
// every subcommand uses (counts, numbers, bytes), with one message shape per kind of value.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"

namespace CLI {
class App;
}

namespace memsched::cli {

/// The chain and platform flags as typed; checked and converted by make_chain/make_platform.
struct ProblemOptions {
  std::string steps;
  std::string uf = "1";
  std::string ub = "1";
  std::optional<std::string> ram;
  std::optional<std::string> disk;
  std::string wd = "0";
  std::string rd = "0";
  std::vector<std::string> levels;
  std::string work_tapes = "1";
};

/// Adds --steps, --uf, --ub, --ram, --disk, --wd, --rd, --level and --work-tapes to `command`.
void add_problem_options(CLI::App& command, ProblemOptions& options, bool steps_required);

/// The chain the flags describe; throws UsageError naming the flag and value if bad.
Chain make_chain(const ProblemOptions& options);
/// The platform the flags describe; throws UsageError if bad or if no level is given.
Platform make_platform(const ProblemOptions& options);

/// Parses a step count in [1, 2^62]; throws UsageError naming `flag`.
Step parse_steps(const std::string& text, const char* flag);
/// Parses a slot count: an integer >= 0 or "inf"; throws UsageError naming `flag`.
std::int64_t parse_slots(const std::string& text, const char* flag);
/// Parses a finite, non-negative cost; throws UsageError naming `flag`.
double parse_cost(const std::string& text, const char* flag);

/// Parses a decimal integer in [lo, hi] (lo >= 0); throws UsageError
/// "FLAG: 'TEXT' is not an integer in [LO, HI]".
std::int64_t parse_integer(const std::string& text, const char* flag, std::int64_t lo,
                           std::int64_t hi);
/// Parses a finite number in [lo, hi]; throws UsageError "FLAG: 'TEXT' is not EXPECTED".
double parse_number(const std::string& text, const char* flag, double lo, double hi,
                    const std::string& expected);
/// Parses a byte count with an optional unit: B, kB, MB, GB (powers of 1000) or KiB, MiB, GiB
/// (of 1024), at most `max` bytes; throws UsageError "FLAG: expected bytes such as 1000000,
/// 512MiB or 2GB, got 'TEXT'".
std::int64_t parse_bytes(const std::string& text, const char* flag, std::int64_t max);

}  // namespace memsched::cli
