// Flags shared by the chain subcommands: the chain (steps, costs) and the storage levels.
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

}  // namespace memsched::cli
