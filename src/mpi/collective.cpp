// The MPI layer's collectives: agreement on errors, schedule fingerprints, cost reduction,
// collective planning, per-rank paths, resume agreement and the gathered profile.
#include <algorithm>
#include <cstdio>
#include <new>
#include <set>
#include <system_error>

#include "exec/detail/schedule_identity.hpp"
#include "memsched/chain/simulate.hpp"
#include "memsched/errors.hpp"
#include "memsched/exec/codec.hpp"
#include "memsched/mpi/executor.hpp"

namespace memsched::mpi {

namespace {

int rank_of(MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  return rank;
}

int size_of(MPI_Comm comm) {
  int size = 0;
  MPI_Comm_size(comm, &size);
  return size;
}

// The exception kinds agree() rebuilds with their own type.
enum class Kind : std::int64_t {
  kReplay,
  kChecksum,
  kStorage,
  kResume,
  kSchedule,
  kMismatch,
  kInvalidArgument,
  kOutOfRange,
  kLogic,
  kBadAlloc,
  kRuntime,
};

// An exception flattened for a broadcast: its kind, a number (step, action index), its
// message (or reason) and an extra text (a ScheduleError's action).
struct Flat {
  Kind kind = Kind::kRuntime;
  std::int64_t number = 0;
  std::string message;
  std::string extra;
};

std::string after_prefix(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0 ? text.substr(prefix.size()) : text;
}

Flat flatten(std::exception_ptr error) {
  Flat flat;
  try {
    std::rethrow_exception(error);
  } catch (const ReplayError& e) {
    flat.kind = Kind::kReplay;
    flat.number = e.step();
    flat.message =
        after_prefix(e.what(), "replay check failed at x_" + std::to_string(e.step()) + ": ");
  } catch (const ChecksumError& e) {
    flat = {Kind::kChecksum, 0, e.what(), {}};
  } catch (const StorageError& e) {
    flat = {Kind::kStorage, 0, e.what(), {}};
  } catch (const ResumeError& e) {
    flat = {Kind::kResume, 0, e.what(), {}};
  } catch (const ScheduleMismatchError& e) {
    flat = {Kind::kMismatch, 0, e.what(), {}};
  } catch (const ScheduleError& e) {
    flat.kind = Kind::kSchedule;
    flat.number = e.action_index();
    flat.message = e.reason();
    // what() is "action <index> (<action>): <reason>".
    const std::string what = e.what();
    const std::string prefix = "action " + std::to_string(e.action_index()) + " (";
    const std::size_t tail = 3 + e.reason().size();
    if (what.size() >= prefix.size() + tail) {
      flat.extra = what.substr(prefix.size(), what.size() - prefix.size() - tail);
    }
  } catch (const std::out_of_range& e) {
    flat = {Kind::kOutOfRange, 0, e.what(), {}};
  } catch (const std::invalid_argument& e) {
    flat = {Kind::kInvalidArgument, 0, e.what(), {}};
  } catch (const std::logic_error& e) {
    flat = {Kind::kLogic, 0, e.what(), {}};
  } catch (const std::bad_alloc& e) {
    flat = {Kind::kBadAlloc, 0, e.what(), {}};
  } catch (const std::exception& e) {
    flat = {Kind::kRuntime, 0, e.what(), {}};
  } catch (...) {
    flat = {Kind::kRuntime, 0, "an exception that is not a std::exception", {}};
  }
  return flat;
}

[[noreturn]] void throw_flat(const Flat& flat, int rank, int size) {
  const std::string who = "rank " + std::to_string(rank) + " of " + std::to_string(size) + ": ";
  switch (flat.kind) {
    case Kind::kReplay:
      throw ReplayError(flat.number, who + flat.message);
    case Kind::kChecksum:
      throw ChecksumError(who + flat.message);
    case Kind::kStorage:
      throw StorageError(who + flat.message);
    case Kind::kResume:
      throw ResumeError(who + flat.message);
    case Kind::kSchedule:
      throw ScheduleError(flat.number, flat.extra, who + flat.message);
    case Kind::kMismatch:
      throw ScheduleMismatchError(who + flat.message);
    case Kind::kInvalidArgument:
      throw std::invalid_argument(who + flat.message);
    case Kind::kOutOfRange:
      throw std::out_of_range(who + flat.message);
    case Kind::kLogic:
      throw std::logic_error(who + flat.message);
    case Kind::kBadAlloc:
      throw std::bad_alloc();
    case Kind::kRuntime:
      break;
  }
  throw std::runtime_error(who + flat.message);
}

std::string hex(std::uint64_t value) {
  char text[19];
  std::snprintf(text, sizeof text, "0x%016llx", static_cast<unsigned long long>(value));
  return text;
}

std::filesystem::path with_suffix(std::filesystem::path path, const std::string& suffix) {
  path += suffix;
  return path;
}

std::string rank_suffix(int rank) {
  char text[16];
  std::snprintf(text, sizeof text, "rank%05d", rank);
  return text;
}

}  // namespace

void agree(MPI_Comm comm, std::exception_ptr local) {
  const int rank = rank_of(comm);
  const int size = size_of(comm);
  int failed = local ? rank : size;
  int root = size;
  MPI_Allreduce(&failed, &root, 1, MPI_INT, MPI_MIN, comm);
  if (root == size) return;
  Flat flat;
  if (rank == root) flat = flatten(local);
  std::int64_t header[4] = {static_cast<std::int64_t>(flat.kind), flat.number,
                            static_cast<std::int64_t>(flat.message.size()),
                            static_cast<std::int64_t>(flat.extra.size())};
  MPI_Bcast(header, 4, MPI_INT64_T, root, comm);
  std::string text = flat.message + flat.extra;
  text.resize(static_cast<std::size_t>(header[2] + header[3]));
  MPI_Bcast(text.data(), static_cast<int>(text.size()), MPI_CHAR, root, comm);
  flat.kind = static_cast<Kind>(header[0]);
  flat.number = header[1];
  flat.message = text.substr(0, static_cast<std::size_t>(header[2]));
  flat.extra = text.substr(static_cast<std::size_t>(header[2]));
  throw_flat(flat, root, size);
}

ScheduleFingerprint fingerprint(ActionStream& stream) {
  ScheduleFingerprint print;
  while (std::optional<Action> a = stream.next()) {
    print.num_actions += 1;
    print.hash = hash_combine(print.hash, memsched::detail::action_hash(*a));
  }
  return print;
}

void check_same_schedule(MPI_Comm comm, ScheduleFingerprint local) {
  const int rank = rank_of(comm);
  const int size = size_of(comm);
  std::int64_t root_print[2] = {local.num_actions, static_cast<std::int64_t>(local.hash)};
  MPI_Bcast(root_print, 2, MPI_INT64_T, 0, comm);
  const bool differs =
      root_print[0] != local.num_actions || static_cast<std::uint64_t>(root_print[1]) != local.hash;
  int mine = differs ? rank : size;
  int first = size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size) return;
  std::int64_t other[2] = {local.num_actions, static_cast<std::int64_t>(local.hash)};
  MPI_Bcast(other, 2, MPI_INT64_T, first, comm);
  throw ScheduleMismatchError(
      "mpi: the ranks hold different schedules: rank 0 has " + std::to_string(root_print[0]) +
      " actions (hash " + hex(static_cast<std::uint64_t>(root_print[1])) + "), rank " +
      std::to_string(first) + " has " + std::to_string(other[0]) + " actions (hash " +
      hex(static_cast<std::uint64_t>(other[1])) +
      "); plan collectively (plan_collective) or give every rank the same planner inputs");
}

std::filesystem::path rank_path(MPI_Comm comm, const std::filesystem::path& base) {
  return base / rank_suffix(rank_of(comm));
}

std::unique_ptr<Storage> make_rank_file_storage(MPI_Comm comm, const std::filesystem::path& base,
                                                std::uint64_t capacity_bytes,
                                                FileStorageOptions options, std::string name) {
  std::unique_ptr<Storage> storage;
  agree_on(comm, [&] {
    storage = make_file_storage(rank_path(comm, base), capacity_bytes, options, std::move(name));
  });
  return storage;
}

StepCosts reduce_costs(MPI_Comm comm, const StepCosts& local) {
  agree_on(comm, [&] {
    if (local.write_seconds.size() != local.read_seconds.size()) {
      throw std::invalid_argument(
          "mpi::reduce_costs: " + std::to_string(local.write_seconds.size()) + " write costs but " +
          std::to_string(local.read_seconds.size()) + " read costs");
    }
  });
  long long levels[2] = {static_cast<long long>(local.write_seconds.size()),
                         -static_cast<long long>(local.write_seconds.size())};
  long long range[2] = {0, 0};
  MPI_Allreduce(levels, range, 2, MPI_LONG_LONG, MPI_MAX, comm);
  if (range[0] != -range[1]) {
    throw std::invalid_argument("mpi::reduce_costs: the ranks measured between " +
                                std::to_string(-range[1]) + " and " + std::to_string(range[0]) +
                                " storage levels");
  }
  std::vector<double> values = {local.forward_seconds, local.adjoint_seconds,
                                static_cast<double>(local.state_bytes)};
  values.insert(values.end(), local.write_seconds.begin(), local.write_seconds.end());
  values.insert(values.end(), local.read_seconds.begin(), local.read_seconds.end());
  std::vector<double> maxima(values.size());
  MPI_Allreduce(values.data(), maxima.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_MAX,
                comm);
  // State sizes are exact integers: reduce them as integers, not through double.
  unsigned long long bytes = local.state_bytes;
  unsigned long long max_bytes = 0;
  MPI_Allreduce(&bytes, &max_bytes, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, comm);
  StepCosts reduced;
  reduced.forward_seconds = maxima[0];
  reduced.adjoint_seconds = maxima[1];
  reduced.state_bytes = max_bytes;
  const std::size_t n = local.write_seconds.size();
  reduced.write_seconds.assign(maxima.begin() + 3, maxima.begin() + 3 + static_cast<long>(n));
  reduced.read_seconds.assign(maxima.begin() + 3 + static_cast<long>(n), maxima.end());
  return reduced;
}

std::optional<CollectivePlan> plan_collective(MPI_Comm comm, const std::string& planner,
                                              Step num_steps, const StepCosts& local,
                                              const std::vector<Storage*>& levels,
                                              const PlanOptions& options) {
  const PlannerInfo* info = nullptr;
  agree_on(comm, [&] {
    info = &find_chain_planner(planner);
    if (num_steps < 1) {
      throw std::invalid_argument("mpi::plan_collective: num_steps must be >= 1, got " +
                                  std::to_string(num_steps));
    }
    if (levels.empty()) throw std::invalid_argument("mpi::plan_collective: no storage level");
    for (const Storage* level : levels) {
      if (level == nullptr) throw std::invalid_argument("mpi::plan_collective: a level is null");
    }
    if (!local.write_seconds.empty() && local.write_seconds.size() != levels.size()) {
      throw std::invalid_argument("mpi::plan_collective: costs for " +
                                  std::to_string(local.write_seconds.size()) + " levels, " +
                                  std::to_string(levels.size()) + " levels given");
    }
  });
  CollectivePlan plan;
  plan.planner = planner;
  plan.num_steps = num_steps;
  plan.costs = reduce_costs(comm, local);
  if (plan.costs.state_bytes == 0) {
    agree(comm, std::make_exception_ptr(
                    std::invalid_argument("mpi::plan_collective: the state has 0 bytes")));
  }

  // Slots per level: what the smallest budget holds of the largest state.
  std::vector<long long> slots(levels.size());
  for (std::size_t l = 0; l < levels.size(); ++l) {
    const std::uint64_t footprint =
        std::max<std::uint64_t>(1, levels[l]->footprint_bytes(plan.costs.state_bytes));
    slots[l] = static_cast<long long>(levels[l]->capacity_bytes() / footprint);
  }
  std::vector<long long> min_slots(levels.size());
  MPI_Allreduce(slots.data(), min_slots.data(), static_cast<int>(slots.size()), MPI_LONG_LONG,
                MPI_MIN, comm);
  // Footprints depend on the state size only, but the same footprint on a larger state can
  // differ between ranks; the footprint of the largest state bounds every rank's.
  std::vector<StorageLevel> list;
  std::set<std::string> names;
  for (std::size_t l = 0; l < levels.size(); ++l) {
    std::string name = levels[l]->name();
    if (name.empty() || !names.insert(name).second) name += "#" + std::to_string(l);
    names.insert(name);
    const double write = plan.costs.write_seconds.empty() ? 0.0 : plan.costs.write_seconds[l];
    const double read = plan.costs.read_seconds.empty() ? 0.0 : plan.costs.read_seconds[l];
    list.push_back({name, static_cast<std::int64_t>(min_slots[l]), write, read});
  }
  plan.chain = Chain(num_steps, plan.costs.forward_seconds, plan.costs.adjoint_seconds);
  plan.platform = Platform(std::move(list));

  // Every rank plans from the same inputs; the fingerprint check below catches a planner
  // that is not deterministic across ranks (or a rank with other inputs).
  const Chain chain = plan.chain;
  const Platform platform = plan.platform;
  plan.make_schedule = [info, chain, platform, options]() {
    std::unique_ptr<ActionStream> stream = info->plan(chain, platform, options);
    if (!stream) throw std::logic_error("mpi: the planner no longer has a schedule");
    return stream;
  };
  bool planned = false;
  agree_on(comm, [&] {
    std::unique_ptr<ActionStream> stream = info->plan(chain, platform, options);
    if (!stream) return;
    planned = true;
    plan.fingerprint = fingerprint(*stream);
  });
  // Every rank planned from the same inputs; a rank that found no schedule while another did
  // shows up as a fingerprint mismatch below (0 actions).
  int found = planned ? 1 : 0;
  int everywhere = 0;
  MPI_Allreduce(&found, &everywhere, 1, MPI_INT, MPI_MAX, comm);
  if (everywhere == 0) return std::nullopt;
  check_same_schedule(comm, plan.fingerprint);
  return plan;
}

const RankSummary& MpiProfile::slowest() const {
  if (ranks.empty()) throw std::logic_error("MpiProfile::slowest: no rank summaries");
  return *std::max_element(
      ranks.begin(), ranks.end(),
      [](const RankSummary& a, const RankSummary& b) { return a.total_seconds < b.total_seconds; });
}

std::int64_t MpiProfile::max_peak_stored_bytes() const noexcept {
  std::int64_t peak = 0;
  for (const RankSummary& r : ranks) peak = std::max(peak, r.peak_stored_bytes);
  return peak;
}

std::string to_text(const MpiProfile& profile) {
  std::string text =
      "rank   total s  forward s  reverse s  agree s  storage s    own s  fwd steps  written B"
      "     read B  peak stored B\n";
  auto line = [&](const std::string& label, const RankSummary& r) {
    char row[256];
    std::snprintf(
        row, sizeof row,
        "%-6s %7.4f %10.4f %10.4f %8.4f %10.4f %8.4f %10lld %10lld %10lld %14lld\n", label.c_str(),
        r.total_seconds, r.forward_seconds, r.reverse_seconds, r.agreement_seconds,
        r.storage_seconds, r.total_seconds - r.forward_seconds - r.reverse_seconds,
        static_cast<long long>(r.forward_steps), static_cast<long long>(r.bytes_written),
        static_cast<long long>(r.bytes_read), static_cast<long long>(r.peak_stored_bytes));
    text += row;
  };
  for (const RankSummary& r : profile.ranks) line(std::to_string(r.rank), r);
  if (!profile.ranks.empty()) {
    line("slow " + std::to_string(profile.slowest().rank), profile.slowest());
  }
  return text;
}

namespace detail {

RunSupport::RunSupport(MPI_Comm comm, const ScheduleFactory& make_schedule, Step num_steps,
                       const std::vector<Storage*>& levels, ExecutorOptions& options)
    : comm_(comm), journal_written_(std::make_shared<bool>(false)) {
  // Every rank must take the same branches below (they communicate).
  int flags[3] = {options.journal.empty() ? 0 : 1, options.resume ? 1 : 0,
                  static_cast<int>(std::min<std::size_t>(levels.size(), 1u << 20))};
  int low[3] = {0, 0, 0};
  int high[3] = {0, 0, 0};
  MPI_Allreduce(flags, low, 3, MPI_INT, MPI_MIN, comm);
  MPI_Allreduce(flags, high, 3, MPI_INT, MPI_MAX, comm);
  agree_on(comm, [&] {
    if (low[0] != high[0] || low[1] != high[1]) {
      throw std::invalid_argument(
          "mpi::run_adjoint: the ranks disagree on the journal or resume options");
    }
    if (low[2] != high[2]) {
      throw std::invalid_argument("mpi::run_adjoint: the ranks give between " +
                                  std::to_string(low[2]) + " and " + std::to_string(high[2]) +
                                  " storage levels");
    }
  });
  ScheduleFingerprint print;
  agree_on(comm, [&] {
    std::unique_ptr<ActionStream> stream = make_schedule();
    if (!stream) throw std::invalid_argument("mpi::run_adjoint: the schedule factory gave null");
    print = fingerprint(*stream);
  });
  check_same_schedule(comm, print);
  if (options.journal.empty()) {
    agree_on(comm, [&] {
      if (options.resume) throw std::invalid_argument("mpi::run_adjoint: resume needs a journal");
    });
    return;
  }
  journal_ = with_suffix(options.journal, "." + rank_suffix(rank_of(comm)));
  options.journal = journal_;
  const std::filesystem::path previous = with_suffix(journal_, ".prev");
  if (!options.resume) {
    std::error_code ignored;
    std::filesystem::remove(previous, ignored);
    return;
  }

  // Resume point: the latest entry every rank holds (its last or the one before).
  const std::optional<std::int64_t> last = journal_progress(journal_);
  const std::optional<std::int64_t> before = journal_progress(previous);
  agree_on(comm, [&] {
    if (!last) throw ResumeError("resume: no readable journal " + journal_.string());
  });
  long long mine = *last;
  long long point = 0;
  MPI_Allreduce(&mine, &point, 1, MPI_LONG_LONG, MPI_MIN, comm);
  agree_on(comm, [&] {
    if (*last == point) return;
    if (!before || *before != point) {
      throw ResumeError("resume: this rank's journal is at action " + std::to_string(*last) +
                        ", another rank's at " + std::to_string(point) +
                        ", and the entry before is gone: the ranks cannot agree on a point");
    }
    std::filesystem::copy_file(previous, journal_,
                               std::filesystem::copy_options::overwrite_existing);
  });

  // The checkpoints the levels hold after `point` actions: a checkpoint missing on one rank is
  // released on all, so that every rank recomputes the same states (with the same halo
  // exchanges) while resuming.
  std::vector<std::pair<std::size_t, CheckpointKey>> expected;
  agree_on(comm, [&] {
    for (const Storage* level : levels) {
      if (level == nullptr) throw std::invalid_argument("mpi::run_adjoint: a level is null");
    }
    const Chain chain(num_steps);
    const Platform platform = memsched::detail::validation_platform(levels);
    Simulator simulator(chain, platform);
    std::unique_ptr<ActionStream> stream = make_schedule();
    for (long long i = 0; i < point; ++i) {
      std::optional<Action> a = stream->next();
      if (!a) throw ResumeError("resume: the schedule is shorter than the interrupted run's");
      simulator.apply(*a);
    }
    for (std::size_t l = 0; l < levels.size(); ++l) {
      for (const auto& [step, content] : simulator.checkpoints(l)) {
        expected.push_back({l, CheckpointKey{step, content}});
      }
    }
  });
  std::vector<int> held(expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    held[i] = levels[expected[i].first]->contains(expected[i].second) ? 1 : 0;
  }
  std::vector<int> everywhere(expected.size());
  MPI_Allreduce(held.data(), everywhere.data(), static_cast<int>(held.size()), MPI_INT, MPI_MIN,
                comm);
  agree_on(comm, [&] {
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (held[i] == 1 && everywhere[i] == 0) {
        levels[expected[i].first]->release(expected[i].second);
      }
    }
  });
}

void RunSupport::watch(ExecutorOptions& options) {
  if (journal_.empty()) return;
  std::shared_ptr<bool> written = journal_written_;
  std::function<void(const Action&, std::int64_t)> user = std::move(options.on_action);
  options.on_action = [written, user](const Action& action, std::int64_t index) {
    if (action.kind == ActionKind::kReverse || action.kind == ActionKind::kEndForward) {
      *written = true;
    }
    if (user) user(action, index);
  };
}

void RunSupport::keep_journal_generation() {
  if (!*journal_written_) return;
  *journal_written_ = false;
  // Every rank passed the agreement after its latest entry, so a rank killed from here on
  // holds that entry or the next: keeping this one lets all ranks find a common entry.
  const std::filesystem::path previous = with_suffix(journal_, ".prev");
  const std::filesystem::path temporary = with_suffix(journal_, ".prev.tmp");
  std::error_code error;
  std::filesystem::remove(temporary, error);
  std::filesystem::create_hard_link(journal_, temporary, error);
  if (error) {
    error.clear();
    std::filesystem::copy_file(journal_, temporary,
                               std::filesystem::copy_options::overwrite_existing, error);
  }
  if (!error) std::filesystem::rename(temporary, previous, error);
  if (error) {
    throw StorageError("mpi: keeping the journal entry " + journal_.string() + " as " +
                       previous.string() + " failed: " + error.message());
  }
}

void RunSupport::agree(std::exception_ptr error) {
  const auto start = std::chrono::steady_clock::now();
  try {
    mpi::agree(comm_, error);
  } catch (...) {
    agreement_seconds_ +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    throw;
  }
  agreement_seconds_ +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

MpiProfile RunSupport::finish(ExecutionProfile local) {
  if (!journal_.empty()) {
    std::error_code ignored;
    std::filesystem::remove(with_suffix(journal_, ".prev"), ignored);
  }
  RankSummary mine;
  mine.rank = rank_of(comm_);
  mine.total_seconds = local.total_seconds;
  mine.forward_seconds =
      local.advance_first.seconds + local.advance_recompute.seconds + local.record.seconds;
  mine.reverse_seconds = local.reverse.seconds + local.seed.seconds;
  mine.agreement_seconds = agreement_seconds_;
  mine.forward_steps = local.forward_steps();
  for (const LevelProfile& level : local.levels) {
    mine.storage_seconds += level.counters.write_seconds + level.counters.read_seconds;
    mine.bytes_written += level.counters.bytes_written;
    mine.bytes_read += level.counters.bytes_read;
    mine.peak_stored_bytes += level.counters.peak_used_bytes;
  }
  const double times[5] = {mine.total_seconds, mine.forward_seconds, mine.reverse_seconds,
                           mine.storage_seconds, mine.agreement_seconds};
  const long long counts[4] = {mine.forward_steps, mine.bytes_written, mine.bytes_read,
                               mine.peak_stored_bytes};
  const int size = size_of(comm_);
  std::vector<double> all_times(static_cast<std::size_t>(size) * 5);
  std::vector<long long> all_counts(static_cast<std::size_t>(size) * 4);
  MPI_Allgather(times, 5, MPI_DOUBLE, all_times.data(), 5, MPI_DOUBLE, comm_);
  MPI_Allgather(counts, 4, MPI_LONG_LONG, all_counts.data(), 4, MPI_LONG_LONG, comm_);
  MpiProfile profile;
  profile.local = std::move(local);
  for (int r = 0; r < size; ++r) {
    const double* t = all_times.data() + 5 * r;
    const long long* c = all_counts.data() + 4 * r;
    RankSummary s;
    s.rank = r;
    s.total_seconds = t[0];
    s.forward_seconds = t[1];
    s.reverse_seconds = t[2];
    s.storage_seconds = t[3];
    s.agreement_seconds = t[4];
    s.forward_steps = c[0];
    s.bytes_written = c[1];
    s.bytes_read = c[2];
    s.peak_stored_bytes = c[3];
    profile.ranks.push_back(s);
  }
  return profile;
}

}  // namespace detail

}  // namespace memsched::mpi
