// The executor's profile: derived costs, the text and JSON reports, the what-if table, RSS.
#include "memsched/exec/profile.hpp"

#include <lz4.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace memsched {

namespace {

double per_second(std::int64_t bytes, double seconds) {
  return seconds > 0 ? double(bytes) / seconds : 0.0;
}

std::string format(const char* pattern, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* pattern, ...) {
  char buffer[512];
  va_list args;
  va_start(args, pattern);
  std::vsnprintf(buffer, sizeof buffer, pattern, args);
  va_end(args);
  return buffer;
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (std::fabs(bytes) >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  return unit == 0 ? format("%.0f %s", bytes, units[unit]) : format("%.1f %s", bytes, units[unit]);
}

std::int64_t status_field(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      std::istringstream value(line.substr(prefix.size()));
      std::int64_t kib = 0;
      value >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

nlohmann::json timing_json(const WorkTiming& t) {
  return {{"count", t.count},
          {"seconds", t.seconds},
          {"mean_seconds", t.mean_seconds()},
          {"max_seconds", t.max_seconds}};
}

}  // namespace

double LevelProfile::write_bandwidth() const noexcept {
  return per_second(counters.bytes_written, counters.write_seconds);
}

double LevelProfile::read_bandwidth() const noexcept {
  return per_second(counters.bytes_read, counters.read_seconds);
}

double ExecutionProfile::forward_seconds() const noexcept {
  const std::int64_t count = advance_first.count + advance_recompute.count + record.count;
  return count == 0
             ? 0.0
             : (advance_first.seconds + advance_recompute.seconds + record.seconds) / double(count);
}

double ExecutionProfile::adjoint_seconds() const noexcept { return reverse.mean_seconds(); }

Chain ExecutionProfile::measured_chain() const {
  return Chain(std::max<Step>(1, num_steps), forward_seconds(), adjoint_seconds());
}

Platform ExecutionProfile::measured_platform(const std::vector<std::int64_t>& slots) const {
  if (slots.size() != levels.size()) {
    throw std::invalid_argument(
        "ExecutionProfile::measured_platform: " + std::to_string(slots.size()) +
        " slot counts for " + std::to_string(levels.size()) + " levels");
  }
  std::vector<StorageLevel> list;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const StorageCounters& c = levels[i].counters;
    const double write = c.writes == 0 ? 0.0 : c.write_seconds / double(c.writes);
    const double read = c.reads == 0 ? 0.0 : c.read_seconds / double(c.reads);
    std::string name = levels[i].name;
    for (std::size_t j = 0; j < i; ++j) {
      if (levels[j].name == name) name += "#" + std::to_string(i);
    }
    list.push_back({name, slots[i], write, read});
  }
  return Platform(std::move(list));
}

std::optional<double> ExecutionProfile::predicted_seconds() const {
  if (!plan) return std::nullopt;
  const double uf = forward_seconds();
  const double ub = adjoint_seconds();
  double cost = uf * double(plan->forward_steps) + ub * double(plan->adjoint_steps);
  for (std::size_t i = 0; i < levels.size() && i < plan->levels.size(); ++i) {
    const StorageCounters& c = levels[i].counters;
    const double write = c.writes == 0 ? 0.0 : c.write_seconds / double(c.writes);
    const double read = c.reads == 0 ? 0.0 : c.read_seconds / double(c.reads);
    cost += write * double(plan->levels[i].writes) + read * double(plan->levels[i].reads);
  }
  return cost;
}

std::string to_text(const ExecutionProfile& p) {
  std::string out;
  out += "== memsched profile: " + (p.problem.empty() ? std::string("run") : p.problem) +
         ", n=" + std::to_string(p.num_steps) +
         (p.planner.empty() ? std::string() : ", schedule=" + p.planner) + " ==\n";
  const std::int64_t n = std::max<std::int64_t>(1, p.num_steps);
  out += format("forward steps %lld = %.2f x n", static_cast<long long>(p.forward_steps()),
                double(p.forward_steps()) / double(n));
  if (p.plan) {
    out += format(" (planned %lld, of which %lld recording runs inside the joint adjoint)",
                  static_cast<long long>(p.plan->forward_steps),
                  static_cast<long long>(p.plan->recorded_steps - p.record.count));
  }
  out += format("\nadjoint steps %lld   actions %lld   replay checks %lld   unplanned steps %lld\n",
                static_cast<long long>(p.reverse.count), static_cast<long long>(p.num_actions),
                static_cast<long long>(p.replay_checks),
                static_cast<long long>(p.unplanned_forward_steps));
  out += format("%-22s %10s %12s %12s %12s\n", "work", "count", "total[ms]", "mean[us]", "max[us]");
  auto row = [&](const char* name, const WorkTiming& t) {
    if (t.count == 0) return;
    out += format("%-22s %10lld %12.3f %12.3f %12.3f\n", name, static_cast<long long>(t.count),
                  t.seconds * 1e3, t.mean_seconds() * 1e6, t.max_seconds * 1e6);
  };
  row("advance (first sweep)", p.advance_first);
  row("advance (recompute)", p.advance_recompute);
  row("record (split)", p.record);
  row("reverse", p.reverse);
  row("seed", p.seed);
  row("replay hash", p.hashing);
  row("state save/load", p.state_codec);
  out += format("%-14s %7s %7s %11s %11s %10s %10s %10s %9s\n", "level", "writes", "reads",
                "written", "stored", "write MB/s", "read MB/s", "codec[ms]", "peak");
  for (const LevelProfile& level : p.levels) {
    const StorageCounters& c = level.counters;
    // Zero-copy reads (RAM) take no time in the level: the copy is the state load.
    auto bandwidth = [](double bytes_per_second, std::int64_t bytes) {
      return bytes > 0 && bytes_per_second == 0 ? std::string("in place")
                                                : format("%.1f", bytes_per_second / 1e6);
    };
    out += format("%-14s %7lld %7lld %11s %11s %10s %10s %10.3f %9s\n", level.name.c_str(),
                  static_cast<long long>(c.writes), static_cast<long long>(c.reads),
                  human_bytes(double(c.bytes_written)).c_str(),
                  human_bytes(double(c.stored_bytes)).c_str(),
                  bandwidth(level.write_bandwidth(), c.bytes_written).c_str(),
                  bandwidth(level.read_bandwidth(), c.bytes_read).c_str(), c.codec_seconds * 1e3,
                  human_bytes(double(c.peak_used_bytes)).c_str());
    if (c.prefetch_hits > 0) {
      out += format("%-14s read-ahead served %lld of %lld reads\n", "",
                    static_cast<long long>(c.prefetch_hits), static_cast<long long>(c.reads));
    }
  }
  if (std::optional<double> predicted = p.predicted_seconds()) {
    out += format("time: measured %.3f s, plan at measured unit costs %.3f s (%+.1f%%)\n",
                  p.total_seconds, *predicted,
                  *predicted > 0 ? (p.total_seconds / *predicted - 1) * 100 : 0.0);
  } else {
    out += format("time: measured %.3f s\n", p.total_seconds);
  }
  if (p.rss_peak_bytes > 0) {
    out += "peak memory (VmHWM" + std::string(p.rss_peak_reset ? ", reset at start" : "") +
           "): " + human_bytes(double(p.rss_peak_bytes)) + " = start " +
           human_bytes(double(p.rss_start_bytes)) + " + " +
           human_bytes(double(p.rss_peak_bytes - p.rss_start_bytes)) + " (plan: + " +
           human_bytes(double(p.planned_extra_bytes)) + ")\n";
  }
  return out;
}

std::string to_json(const ExecutionProfile& p) {
  nlohmann::json j;
  j["problem"] = p.problem;
  j["planner"] = p.planner;
  j["num_steps"] = p.num_steps;
  j["num_actions"] = p.num_actions;
  j["state_bytes"] = p.state_bytes;
  j["forward_steps"] = p.forward_steps();
  j["work"] = {{"advance_first", timing_json(p.advance_first)},
               {"advance_recompute", timing_json(p.advance_recompute)},
               {"record", timing_json(p.record)},
               {"reverse", timing_json(p.reverse)},
               {"seed", timing_json(p.seed)},
               {"hashing", timing_json(p.hashing)},
               {"state_codec", timing_json(p.state_codec)}};
  j["replay_checks"] = p.replay_checks;
  j["unplanned_forward_steps"] = p.unplanned_forward_steps;
  j["total_seconds"] = p.total_seconds;
  nlohmann::json levels = nlohmann::json::array();
  for (const LevelProfile& level : p.levels) {
    const StorageCounters& c = level.counters;
    levels.push_back({{"name", level.name},
                      {"capacity_bytes", level.capacity_bytes},
                      {"persistent", level.persistent},
                      {"writes", c.writes},
                      {"reads", c.reads},
                      {"releases", c.releases},
                      {"bytes_written", c.bytes_written},
                      {"bytes_read", c.bytes_read},
                      {"stored_bytes", c.stored_bytes},
                      {"write_seconds", c.write_seconds},
                      {"read_seconds", c.read_seconds},
                      {"codec_seconds", c.codec_seconds},
                      {"prefetch_hits", c.prefetch_hits},
                      {"peak_used_bytes", c.peak_used_bytes},
                      {"peak_checkpoints", c.peak_checkpoints},
                      {"write_bandwidth", level.write_bandwidth()},
                      {"read_bandwidth", level.read_bandwidth()}});
  }
  j["levels"] = levels;
  if (p.plan) {
    nlohmann::json plan_levels = nlohmann::json::array();
    for (const LevelUsage& usage : p.plan->levels) {
      plan_levels.push_back(
          {{"writes", usage.writes}, {"reads", usage.reads}, {"peak", usage.peak}});
    }
    j["plan"] = {{"forward_steps", p.plan->forward_steps},
                 {"recorded_steps", p.plan->recorded_steps},
                 {"adjoint_steps", p.plan->adjoint_steps},
                 {"levels", plan_levels}};
  }
  if (std::optional<double> predicted = p.predicted_seconds()) j["predicted_seconds"] = *predicted;
  j["memory"] = {{"rss_start_bytes", p.rss_start_bytes},
                 {"rss_peak_bytes", p.rss_peak_bytes},
                 {"rss_peak_reset", p.rss_peak_reset},
                 {"planned_extra_bytes", p.planned_extra_bytes}};
  return j.dump(2);
}

std::vector<WhatIfRow> what_if(const ExecutionProfile& profile, const WhatIfPlanner& planner,
                               const std::vector<std::int64_t>& slots,
                               const std::vector<CompressionEstimate>& compression,
                               const std::vector<StorageLevel>& extra_levels) {
  if (profile.num_steps < 1) {
    throw std::invalid_argument("what_if: the profile has no steps");
  }
  const Chain chain = profile.measured_chain();
  const Platform base = profile.measured_platform(slots);
  const double state_bytes = double(std::max<std::uint64_t>(1, profile.state_bytes));
  auto predict = [&](const Platform& platform) -> std::optional<double> {
    std::unique_ptr<ActionStream> stream = planner(chain, platform);
    if (!stream) return std::nullopt;
    return simulate(*stream, chain, platform).cost;
  };
  const std::optional<double> current = predict(base);
  if (!current) return {};
  std::vector<WhatIfRow> rows;
  auto consider = [&](const std::string& change, const Platform& platform, double bytes) {
    WhatIfRow row;
    row.change = change;
    row.memory_change_bytes = static_cast<std::int64_t>(std::llround(bytes));
    if (std::optional<double> t = predict(platform)) {
      row.predicted_seconds = *t;
      row.time_change_seconds = *t - *current;
    } else {
      row.feasible = false;
    }
    rows.push_back(row);
  };
  for (std::size_t i = 0; i < base.num_levels(); ++i) {
    const StorageLevel& level = base.level(i);
    for (std::int64_t delta : {std::int64_t{1}, std::int64_t{-1}, level.num_slots}) {
      if (delta == 0 || level.num_slots + delta < 0 || level.num_slots == kUnlimitedSlots) {
        continue;
      }
      std::vector<StorageLevel> changed = base.levels();
      changed[i].num_slots += delta;
      const std::string what =
          delta == level.num_slots ? "x2 slots" : (delta > 0 ? "+1 slot" : "-1 slot");
      consider(level.name + " " + what, Platform(changed), double(delta) * state_bytes);
    }
    for (const CompressionEstimate& codec : compression) {
      // Compressed: ratio times the slots in the same bytes, codec time added to each access.
      std::vector<StorageLevel> changed = base.levels();
      if (level.num_slots == kUnlimitedSlots) continue;
      changed[i].num_slots =
          static_cast<std::int64_t>(std::floor(double(level.num_slots) * codec.ratio));
      changed[i].write_cost += codec.compress_seconds;
      changed[i].read_cost += codec.decompress_seconds;
      consider(level.name + " compressed (" + codec.name + format(", ratio %.2f)", codec.ratio),
               Platform(changed), 0.0);
    }
  }
  for (const StorageLevel& extra : extra_levels) {
    std::vector<StorageLevel> changed = base.levels();
    StorageLevel added = extra;
    for (const StorageLevel& level : changed) {
      if (level.name == added.name) added.name += "'";
    }
    changed.push_back(added);
    consider(format("add level %s (%lld slots)", added.name.c_str(),
                    static_cast<long long>(added.num_slots)),
             Platform(changed),
             added.num_slots == kUnlimitedSlots ? 0.0 : double(added.num_slots) * state_bytes);
  }
  {
    // Store-all in level 0.
    std::vector<StorageLevel> changed = base.levels();
    if (!changed.empty()) {
      const std::int64_t extra =
          std::max<std::int64_t>(0, chain.num_steps() - changed[0].num_slots);
      changed[0].num_slots = std::max<std::int64_t>(changed[0].num_slots, chain.num_steps());
      consider(changed[0].name + " holds every state", Platform(changed),
               double(extra) * state_bytes);
    }
  }
  std::stable_sort(rows.begin(), rows.end(), [](const WhatIfRow& a, const WhatIfRow& b) {
    auto group = [](const WhatIfRow& r) {
      return r.memory_change_bytes < 0 ? 0 : (r.memory_change_bytes == 0 ? 1 : 2);
    };
    if (group(a) != group(b)) return group(a) < group(b);
    auto gain = [](const WhatIfRow& r) {
      return r.memory_change_bytes == 0
                 ? r.time_change_seconds
                 : r.time_change_seconds / double(std::llabs(r.memory_change_bytes));
    };
    return gain(a) < gain(b);
  });
  return rows;
}

std::string to_text(const std::vector<WhatIfRow>& rows) {
  std::string out = "WHAT-IF (one change at a time, measured unit costs)\n";
  const char* groups[] = {" * memory gain ", " * neutral     ", " * memory cost "};
  for (const WhatIfRow& row : rows) {
    const int group = row.memory_change_bytes < 0 ? 0 : (row.memory_change_bytes == 0 ? 1 : 2);
    if (!row.feasible) {
      out += format("%s: %-36s infeasible (no schedule fits)\n", groups[group], row.change.c_str());
      continue;
    }
    const std::string bytes = (row.memory_change_bytes >= 0 ? "+" : "-") +
                              human_bytes(double(std::llabs(row.memory_change_bytes)));
    out += format("%s: %-36s %+10.3f ms  %12s\n", groups[group], row.change.c_str(),
                  row.time_change_seconds * 1e3, bytes.c_str());
  }
  return out;
}

std::vector<CompressionEstimate> measure_compression(const std::vector<std::byte>& sample,
                                                     int repetitions) {
  using Clock = std::chrono::steady_clock;
  repetitions = std::max(1, repetitions);
  std::vector<CompressionEstimate> result;
  std::vector<char> compressed(std::max<std::size_t>(
      ZSTD_compressBound(sample.size()),
      static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(sample.size())))));
  std::vector<char> restored(sample.size());
  for (int codec = 0; codec < 2; ++codec) {
    std::vector<double> c_times;
    std::vector<double> d_times;
    std::size_t size = 0;
    for (int r = 0; r < repetitions; ++r) {
      auto t = Clock::now();
      if (codec == 0) {
        size = ZSTD_compress(compressed.data(), compressed.size(), sample.data(), sample.size(), 1);
      } else {
        size = static_cast<std::size_t>(LZ4_compress_default(
            reinterpret_cast<const char*>(sample.data()), compressed.data(),
            static_cast<int>(sample.size()), static_cast<int>(compressed.size())));
      }
      c_times.push_back(std::chrono::duration<double>(Clock::now() - t).count());
      t = Clock::now();
      if (codec == 0) {
        ZSTD_decompress(restored.data(), restored.size(), compressed.data(), size);
      } else {
        LZ4_decompress_safe(compressed.data(), restored.data(), static_cast<int>(size),
                            static_cast<int>(restored.size()));
      }
      d_times.push_back(std::chrono::duration<double>(Clock::now() - t).count());
    }
    std::sort(c_times.begin(), c_times.end());
    std::sort(d_times.begin(), d_times.end());
    CompressionEstimate e;
    e.name = codec == 0 ? "zstd" : "lz4";
    e.ratio = size == 0 ? 1.0 : double(sample.size()) / double(size);
    e.compress_seconds = c_times[c_times.size() / 2];
    e.decompress_seconds = d_times[d_times.size() / 2];
    result.push_back(e);
  }
  return result;
}

std::int64_t peak_rss_bytes() { return status_field("VmHWM"); }

std::int64_t current_rss_bytes() { return status_field("VmRSS"); }

bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  if (!out) return false;
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

}  // namespace memsched
