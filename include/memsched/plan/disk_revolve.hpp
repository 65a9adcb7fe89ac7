// Disk-Revolve and Periodic-Disk-Revolve: free RAM with a bounded number of slots plus a disk
// with write and read costs and (practically) unlimited room (Aupy, Herrmann, Hovland & Robert,
// SIAM J. Sci. Comput. 38(3), 2016; Aupy & Herrmann, Optim. Methods Softw. 32(3), 2017).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "memsched/chain/chain.hpp"
#include "memsched/chain/platform.hpp"
#include "memsched/chain/schedule.hpp"

namespace memsched {

/// The cost model of Disk-Revolve, in the papers' convention (l = n - 1 forward steps).
struct DiskModel {
  std::int64_t ram_slots = 1;  ///< c_m, x_0's slot included
  double forward_cost = 1.0;   ///< uf
  double adjoint_cost = 1.0;   ///< ub
  double write_cost = 0.0;     ///< w_d
  double read_cost = 0.0;      ///< r_d
  /// The one-read restriction of checkpoint_schedules (a disk checkpoint feeds only one
  /// memory-only sub-schedule after it is read). Not optimal; for comparisons only.
  bool one_read = false;
};

/// The Disk-Revolve model of a platform: level 0 free RAM (slots capped at n, beyond which
/// none is used), level 1 a disk with at least `disk_needed` slots, uniform step costs.
/// nullopt if the chain or platform does not fit it.
std::optional<DiskModel> disk_model(const Chain& chain, const Platform& platform,
                                    std::int64_t disk_needed);

/// The Disk-Revolve tables for every l <= length: Opt_0 (memory only, closed form
/// uf t(l+1, c_m) + ub (l+1)), Opt_1D (x_0 already on disk, read any number of times) and
/// Opt_inf (the optimum), each with every split j = 1..l (docs/theory/chain.md), and the
/// decision of each entry: among equally cheap decisions the one with the fewest disk reads,
/// then the fewest forward steps (the memory-only schedule, with no read, wins its ties).
///
/// By default Opt_inf's first disk segment j is searched only up to a proven bound J
/// (`first_segment_limit`, docs/multilevel.md "Disk-Revolve in O(n J)"): every value and every
/// decision is bit-identical to the search over all j, in Θ(length J + J^2) time, and Opt_1D
/// (`opt1d`, `split1d`) is solved for l = 0..H only, H >= J - 1 (all the heads the schedule
/// uses). `every_split = true` searches every j and solves Opt_1D for every l <= length:
/// Θ(length^2), for comparisons and for callers that need Opt_1D of any length. Θ(length)
/// memory. Throws std::invalid_argument on negative or non-finite costs, a negative slot count
/// or length.
struct DiskRevolveTables {
  DiskRevolveTables(Step length, const DiskModel& model, bool every_split = false);
  DiskModel model;
  std::vector<double> opt0;    ///< Opt_0(l, c_m), l = 0..length
  std::vector<double> opt1d;   ///< Opt_1D(l), l = 0..H (H = length with every_split)
  std::vector<double> optinf;  ///< Opt_inf(l), l = 0..length
  std::vector<Step> split1d;   ///< Opt_1D(l)'s split j, 0 for the memory-only schedule
  std::vector<Step> splitinf;  ///< Opt_inf(l)'s split j, 0 for the memory-only schedule
  /// The largest first disk segment searched (J; length when searching every split).
  Step first_segment_limit = 0;
};

/// The bound J that DiskRevolveTables(length, model) starts from (it may lower it further):
/// no first disk segment longer than J is ever optimal or tied with the optimum, for any
/// l <= length; `length` when none is found (uf = 0). O(256^2 + J log J) time, O(256) memory:
/// cheap enough for an estimate before planning. Same exceptions as DiskRevolveTables.
Step disk_revolve_segment_bound(Step length, const DiskModel& model);

/// Disk-Revolve (multi-read by default) as a stream. The memory-only sub-schedules are Revolve;
/// every disk checkpoint is read with Copy and with Move at its last read.
class DiskRevolveStream final : public ActionStream {
 public:
  ~DiskRevolveStream() override;
  DiskRevolveStream(DiskRevolveStream&&) noexcept;
  DiskRevolveStream& operator=(DiskRevolveStream&&) noexcept;
  std::optional<Action> next() override;

 private:
  friend std::optional<DiskRevolveStream> disk_revolve(const Chain&, const Platform&, bool);
  friend std::optional<DiskRevolveStream> periodic_disk_revolve(const Chain&, const Platform&);
  friend std::unique_ptr<ActionStream> disk_periods_reversal(Step, Step, const DiskModel&);
  class Impl;
  explicit DiskRevolveStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Disk-Revolve on a platform whose level 0 is free RAM and level 1 a disk with at least n
/// slots (levels beyond 1 are ignored). nullopt if the chain has per-step costs, level 0 has
/// costs (use hrevolve), level 1 is missing or has fewer than n slots, or nothing fits.
std::optional<DiskRevolveStream> disk_revolve(const Chain& chain, const Platform& platform,
                                              bool one_read = false);
/// The cost disk_revolve() promises (our convention: the papers' value + n uf).
std::optional<double> disk_revolve_cost(const Chain& chain, const Platform& platform,
                                        bool one_read = false);

/// The period m_X of Periodic-Disk-Revolve: argmin over 1 <= m <= m_max of
/// (w_d + r_d + Opt_1D(m - 1)) / m, ties to the larger m, with m_max =
/// max(beta(c_m, t1 + 1), 2 beta(c_m, t2) + 1), t1 = min{t : beta(c_m, t) > (w_d + r_d) / uf},
/// t2 = min{t : beta(c_m, t) > w_d / uf} (Aupy & Herrmann 2017; docs/theory/chain.md). It does not
/// depend on n: an online forward sweep writes a disk checkpoint every m_X steps.
/// Requires ram_slots >= 1 and uf > 0 (std::invalid_argument otherwise). The search solves
/// Disk-Revolve for m_max - 1 steps: std::length_error, with its estimate, where that is beyond
/// the planners' limits (periodic_disk_search_cost; with 1000 RAM slots and w_d + r_d = 3 uf,
/// m_max = 501,501).
Step periodic_disk_period(const DiskModel& model);

/// What periodic_disk_period's search costs: m_max, and the operations and bytes of the
/// Disk-Revolve table it builds (Θ(m_max²): every 1D row is a candidate period's cost). Same
/// exceptions as periodic_disk_period, except std::length_error.
struct PeriodSearchCost {
  Step search_length = 0;  ///< m_max
  double operations = 0.0;
  double bytes = 0.0;
};
PeriodSearchCost periodic_disk_search_cost(const DiskModel& model);

/// The reversal of `periods` consecutive periods of `period` steps whose starts x_0,
/// x_period, ... are on the disk (level 1), last first, each by 1D-Revolve (multi-read) with
/// model.ram_slots RAM slots, each disk checkpoint released at its last read; ends with
/// EndReverse and emits no EndForward. The completed periods of Periodic-Disk-Revolve, and of
/// its online form (OnlineTwoLevel). Θ(period²) time to build, Θ(period) memory. Throws
/// std::invalid_argument if period < 1, periods < 0 or the model's costs are invalid.
std::unique_ptr<ActionStream> disk_periods_reversal(Step period, Step periods,
                                                    const DiskModel& model);

/// Periodic-Disk-Revolve: disk checkpoints every m_X steps in the forward sweep, 1D-Revolve
/// (multi-read) inside each period, the last (partial) period by Revolve or 1D-Revolve,
/// whichever is cheaper. Same platform rules as disk_revolve().
std::optional<DiskRevolveStream> periodic_disk_revolve(const Chain& chain,
                                                       const Platform& platform);
/// Its cost, our convention: k (w_d + m uf) + tail + k (r_d + Opt_1D(m - 1)) + n uf.
std::optional<double> periodic_disk_revolve_cost(const Chain& chain, const Platform& platform);

}  // namespace memsched
