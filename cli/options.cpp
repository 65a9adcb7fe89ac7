// Parsing and checking the chain and platform flags, with one clear message per bad value.
#include "options.hpp"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "commands.hpp"

namespace memsched::cli {

namespace {

[[noreturn]] void bad(const char* flag, const std::string& text, const std::string& expected) {
  throw UsageError(std::string(flag) + ": '" + text.substr(0, 80) + "' is not " + expected);
}

std::int64_t parse_integer(const std::string& text, const char* flag, std::int64_t lo,
                           std::int64_t hi, const std::string& expected) {
  if (text.empty() || text.size() > 24) bad(flag, text, expected);
  std::size_t i = text[0] == '+' ? 1 : 0;
  if (i == text.size()) bad(flag, text, expected);
  std::int64_t value = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') bad(flag, text, expected);
    if (__builtin_mul_overflow(value, 10, &value) ||
        __builtin_add_overflow(value, text[i] - '0', &value)) {
      bad(flag, text, expected);
    }
  }
  if (value < lo || value > hi) bad(flag, text, expected);
  return value;
}

}  // namespace

Step parse_steps(const std::string& text, const char* flag) {
  return parse_integer(text, flag, 1, kMaxSteps, "a step count in [1, 2^62]");
}

std::int64_t parse_slots(const std::string& text, const char* flag) {
  if (text == "inf") return kUnlimitedSlots;
  return parse_integer(text, flag, 0, kMaxSteps, "a slot count (an integer >= 0, or inf)");
}

double parse_cost(const std::string& text, const char* flag) {
  const std::string expected = "a finite non-negative cost";
  if (text.empty() || text.size() > 64) bad(flag, text, expected);
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(value) ||
      value < 0.0) {
    bad(flag, text, expected);
  }
  return value;
}

std::int64_t parse_integer(const std::string& text, const char* flag, std::int64_t lo,
                           std::int64_t hi) {
  return parse_integer(text, flag, lo, hi,
                       "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

double parse_number(const std::string& text, const char* flag, double lo, double hi,
                    const std::string& expected) {
  if (text.empty() || text.size() > 64) bad(flag, text, expected);
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(value) ||
      !(value >= lo) || !(value <= hi)) {
    bad(flag, text, expected);
  }
  return value;
}

std::int64_t parse_bytes(const std::string& text, const char* flag, std::int64_t max) {
  std::size_t end = 0;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
  const std::string digits = text.substr(0, end);
  const std::string suffix = text.substr(end);
  const std::pair<const char*, std::int64_t> units[] = {{"", 1},
                                                        {"B", 1},
                                                        {"kB", 1000},
                                                        {"MB", 1000000},
                                                        {"GB", 1000000000},
                                                        {"KiB", 1024},
                                                        {"MiB", 1 << 20},
                                                        {"GiB", std::int64_t{1} << 30}};
  for (const auto& [name, scale] : units) {
    if (suffix != name || digits.empty() || digits.size() > 19) continue;
    std::int64_t value = 0;
    bool overflow = false;
    for (const char c : digits) {
      overflow = overflow || __builtin_mul_overflow(value, 10, &value) ||
                 __builtin_add_overflow(value, c - '0', &value);
    }
    if (overflow || value > max / scale) break;
    return value * scale;
  }
  throw UsageError(std::string(flag) + ": expected bytes such as 1000000, 512MiB or 2GB, got '" +
                   text.substr(0, 80) + "'");
}

void add_problem_options(CLI::App& command, ProblemOptions& o, bool steps_required) {
  auto* steps = command.add_option("--steps,-n", o.steps, "number of steps n of the chain");
  if (steps_required) steps->required();
  command.add_option("--uf", o.uf, "cost of a forward step (default 1)");
  command.add_option("--ub", o.ub, "cost of an adjoint step (default 1)");
  command.add_option("--ram", o.ram, "slots of a free RAM level (integer or inf)");
  command.add_option("--disk", o.disk, "slots of a disk level after RAM (integer or inf)");
  command.add_option("--wd", o.wd, "cost of writing a checkpoint to disk (default 0)");
  command.add_option("--rd", o.rd, "cost of reading a checkpoint from disk (default 0)");
  command.add_option("--level", o.levels,
                     "a storage level SLOTS:WRITE:READ, fastest first; repeat for more levels "
                     "(instead of --ram/--disk)");
  command.add_option("--work-tapes", o.work_tapes,
                     "step tapes the working buffer may hold at once (default 1; inf)");
}

Chain make_chain(const ProblemOptions& o) {
  return Chain(parse_steps(o.steps, "--steps"), parse_cost(o.uf, "--uf"), parse_cost(o.ub, "--ub"));
}

Platform make_platform(const ProblemOptions& o) {
  std::vector<StorageLevel> levels;
  if (!o.levels.empty() && (o.ram || o.disk)) {
    throw UsageError("--level: give the levels either with --level or with --ram/--disk");
  }
  if (o.ram) levels.push_back({"ram", parse_slots(*o.ram, "--ram"), 0.0, 0.0});
  if (o.disk) {
    if (!o.ram) throw UsageError("--disk: needs --ram (the disk level comes after RAM)");
    levels.push_back({"disk", parse_slots(*o.disk, "--disk"), parse_cost(o.wd, "--wd"),
                      parse_cost(o.rd, "--rd")});
  } else if (o.wd != "0" || o.rd != "0") {
    throw UsageError("--wd/--rd: only meaningful with --disk");
  }
  for (std::size_t i = 0; i < o.levels.size(); ++i) {
    const std::string& spec = o.levels[i];
    const std::size_t first = spec.find(':');
    const std::size_t second = first == std::string::npos ? first : spec.find(':', first + 1);
    if (second == std::string::npos || spec.find(':', second + 1) != std::string::npos) {
      throw UsageError("--level: '" + spec.substr(0, 80) + "' is not SLOTS:WRITE:READ");
    }
    levels.push_back({"L" + std::to_string(i), parse_slots(spec.substr(0, first), "--level"),
                      parse_cost(spec.substr(first + 1, second - first - 1), "--level"),
                      parse_cost(spec.substr(second + 1), "--level")});
  }
  if (levels.size() > Platform::kMaxLevels) throw UsageError("--level: at most 64 levels");
  if (levels.empty()) throw UsageError("no storage level: give --ram C (or --level S:W:R)");
  const std::int64_t work_tapes =
      o.work_tapes == "inf"
          ? kUnlimitedSlots
          : parse_integer(o.work_tapes, "--work-tapes", 1, kMaxSteps, "a tape count >= 1 (or inf)");
  return Platform(std::move(levels), work_tapes);
}

}  // namespace memsched::cli
