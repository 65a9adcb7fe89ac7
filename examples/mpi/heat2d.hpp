// A 2D reaction-diffusion (heat) model split into row strips over MPI ranks, with halo
// exchanges and a hand-written per-step adjoint: the distributed example's user model.
#pragma once

#include <mpi.h>

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "memsched/chain/action.hpp"

namespace heat2d {

/// u_t = Δu - c·u³ on the unit square, u = 0 on the boundary, nx × ny interior points (spacing
/// h = 1/(nx+1) in x, 1/(ny+1) in y; the example uses nx = ny), explicit Euler with
/// r = dt/h² = 0.2 (stable below 0.25):
///   u⁺_{j,i} = u_{j,i} + r·((u_{j,i-1} + u_{j,i+1}) + (u_{j-1,i} + u_{j+1,i}) - 4·u_{j,i})
///              - dt·c·u_{j,i}³
/// Rank p holds rows [first_row, first_row + num_rows) (strips as equal as possible); one
/// forward step first exchanges halo rows with the neighbours (MPI_Sendrecv), so every rank
/// sees bitwise the values a single process would: the forward states do not depend on the
/// number of ranks.
///
/// The objective is J(u_n) = ½·h²·Σ u_n²; the adjoint of one step is the transpose of the
/// step's Jacobian: y_{j,i} = (1 - 4r - 3·dt·c·u_{j,i}²)·y⁺_{j,i} + r·(sum of the neighbours'
/// y⁺ within the strip), and the halo exchange reversed: the parts y⁺ of a strip's edge rows
/// send to the neighbouring strip's ghost rows (r·y⁺) go back to that neighbour, which adds
/// them to its own edge row. That last addition happens in another order than within a strip,
/// so gradients for different rank counts agree to round-off, not bitwise.
class Model {
 public:
  using State = std::vector<double>;    ///< this rank's rows, row-major (num_rows × nx)
  using Adjoint = std::vector<double>;  ///< dJ/du for this rank's rows

  Model(MPI_Comm comm, int nx, int ny, double reaction = 10.0)
      : comm_(comm), nx_(nx), ny_(ny), reaction_(reaction) {
    if (nx < 1 || ny < 1) {
      throw std::invalid_argument("heat2d::Model: grid must be at least 1 x 1, got " +
                                  std::to_string(nx) + " x " + std::to_string(ny));
    }
    MPI_Comm_rank(comm, &rank_);
    MPI_Comm_size(comm, &size_);
    if (ny < size_) {
      throw std::invalid_argument("heat2d::Model: " + std::to_string(ny) + " rows for " +
                                  std::to_string(size_) + " ranks");
    }
    const int base = ny / size_;
    const int extra = ny % size_;
    num_rows_ = base + (rank_ < extra ? 1 : 0);
    first_row_ = rank_ * base + std::min(rank_, extra);
    above_ = rank_ == 0 ? MPI_PROC_NULL : rank_ - 1;
    below_ = rank_ == size_ - 1 ? MPI_PROC_NULL : rank_ + 1;
    h_ = 1.0 / (nx + 1);
    dt_ = kRatio * h_ * h_;
    ghost_above_.assign(static_cast<std::size_t>(nx), 0.0);
    ghost_below_.assign(static_cast<std::size_t>(nx), 0.0);
  }

  int rank() const noexcept { return rank_; }
  int first_row() const noexcept { return first_row_; }
  int num_rows() const noexcept { return num_rows_; }
  int nx() const noexcept { return nx_; }
  int ny() const noexcept { return ny_; }

  /// u_0(x, y) = sin(πx)·sin(πy) + 0.3·sin(3πx)·sin(2πy) on this rank's rows.
  State initial_state() const {
    State u(static_cast<std::size_t>(num_rows_) * static_cast<std::size_t>(nx_));
    const double pi = std::acos(-1.0);
    const double hy = 1.0 / (ny_ + 1);
    for (int j = 0; j < num_rows_; ++j) {
      const double y = (first_row_ + j + 1) * hy;
      for (int i = 0; i < nx_; ++i) {
        const double x = (i + 1) * h_;
        u[index(j, i)] =
            std::sin(pi * x) * std::sin(pi * y) + 0.3 * std::sin(3 * pi * x) * std::sin(2 * pi * y);
      }
    }
    return u;
  }

  /// One forward step on every rank (collective: halo exchange).
  void advance(State& u, memsched::Step /*k*/) {
    exchange_halo(u);
    next_.resize(u.size());
    for (int j = 0; j < num_rows_; ++j) {
      const double* north = j == 0 ? ghost_above_.data() : &u[index(j - 1, 0)];
      const double* south = j == num_rows_ - 1 ? ghost_below_.data() : &u[index(j + 1, 0)];
      for (int i = 0; i < nx_; ++i) {
        const double c = u[index(j, i)];
        const double west = i == 0 ? 0.0 : u[index(j, i - 1)];
        const double east = i == nx_ - 1 ? 0.0 : u[index(j, i + 1)];
        const double lap = (west + east) + (north[i] + south[i]) - 4.0 * c;
        next_[index(j, i)] = c + kRatio * lap - dt_ * reaction_ * (c * c * c);
      }
    }
    u.swap(next_);
  }

  /// y_n = dJ/du_n = h²·u_n.
  void seed(const State& u, Adjoint& y) const {
    y.resize(u.size());
    for (std::size_t k = 0; k < u.size(); ++k) y[k] = h_ * h_ * u[k];
  }

  /// One adjoint step on every rank (collective: the halo exchange reversed).
  void reverse(const State& u, Adjoint& y, memsched::Step /*k*/) {
    next_.assign(y.size(), 0.0);
    for (int j = 0; j < num_rows_; ++j) {
      for (int i = 0; i < nx_; ++i) {
        const double c = u[index(j, i)];
        const double diagonal = 1.0 - 4.0 * kRatio - 3.0 * dt_ * reaction_ * c * c;
        const double west = i == 0 ? 0.0 : y[index(j, i - 1)];
        const double east = i == nx_ - 1 ? 0.0 : y[index(j, i + 1)];
        const double north = j == 0 ? 0.0 : y[index(j - 1, i)];
        const double south = j == num_rows_ - 1 ? 0.0 : y[index(j + 1, i)];
        next_[index(j, i)] = diagonal * y[index(j, i)] + kRatio * ((west + east) + (north + south));
      }
    }
    // The ghost rows' adjoints: this strip's edge rows fed the neighbours' ghost rows.
    std::vector<double>& to_above = ghost_above_;
    std::vector<double>& to_below = ghost_below_;
    for (int i = 0; i < nx_; ++i) {
      to_above[static_cast<std::size_t>(i)] = kRatio * y[index(0, i)];
      to_below[static_cast<std::size_t>(i)] = kRatio * y[index(num_rows_ - 1, i)];
    }
    from_above_.assign(static_cast<std::size_t>(nx_), 0.0);
    from_below_.assign(static_cast<std::size_t>(nx_), 0.0);
    MPI_Sendrecv(to_above.data(), nx_, MPI_DOUBLE, above_, kAdjointTag, from_below_.data(), nx_,
                 MPI_DOUBLE, below_, kAdjointTag, comm_, MPI_STATUS_IGNORE);
    MPI_Sendrecv(to_below.data(), nx_, MPI_DOUBLE, below_, kAdjointTag + 1, from_above_.data(), nx_,
                 MPI_DOUBLE, above_, kAdjointTag + 1, comm_, MPI_STATUS_IGNORE);
    if (above_ != MPI_PROC_NULL) {
      for (int i = 0; i < nx_; ++i) next_[index(0, i)] += from_above_[static_cast<std::size_t>(i)];
    }
    if (below_ != MPI_PROC_NULL) {
      for (int i = 0; i < nx_; ++i) {
        next_[index(num_rows_ - 1, i)] += from_below_[static_cast<std::size_t>(i)];
      }
    }
    y.swap(next_);
  }

  /// J(u_n) over all ranks (collective).
  double objective(const State& u) const {
    double local = 0;
    for (double v : u) local += v * v;
    double total = 0;
    MPI_Allreduce(&local, &total, 1, MPI_DOUBLE, MPI_SUM, comm_);
    return 0.5 * h_ * h_ * total;
  }

  /// The whole field on rank 0 in global row order (collective; empty on other ranks).
  std::vector<double> gather(const std::vector<double>& part) const {
    std::vector<int> counts(static_cast<std::size_t>(size_));
    std::vector<int> offsets(static_cast<std::size_t>(size_));
    const int mine = static_cast<int>(part.size());
    MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm_);
    std::vector<double> whole;
    if (rank_ == 0) {
      int total = 0;
      for (int p = 0; p < size_; ++p) {
        offsets[static_cast<std::size_t>(p)] = total;
        total += counts[static_cast<std::size_t>(p)];
      }
      whole.resize(static_cast<std::size_t>(total));
    }
    MPI_Gatherv(part.data(), mine, MPI_DOUBLE, whole.data(), counts.data(), offsets.data(),
                MPI_DOUBLE, 0, comm_);
    return whole;
  }

 private:
  static constexpr double kRatio = 0.2;  // r = dt / h²
  static constexpr int kStateTag = 71;
  static constexpr int kAdjointTag = 72;

  std::size_t index(int j, int i) const noexcept {
    return static_cast<std::size_t>(j) * static_cast<std::size_t>(nx_) +
           static_cast<std::size_t>(i);
  }

  // Ghost rows from the neighbours (zeros at the domain's edges: MPI_PROC_NULL sends nothing).
  void exchange_halo(const State& u) {
    std::fill(ghost_above_.begin(), ghost_above_.end(), 0.0);
    std::fill(ghost_below_.begin(), ghost_below_.end(), 0.0);
    MPI_Sendrecv(&u[index(num_rows_ - 1, 0)], nx_, MPI_DOUBLE, below_, kStateTag,
                 ghost_above_.data(), nx_, MPI_DOUBLE, above_, kStateTag, comm_, MPI_STATUS_IGNORE);
    MPI_Sendrecv(&u[index(0, 0)], nx_, MPI_DOUBLE, above_, kStateTag + 1, ghost_below_.data(), nx_,
                 MPI_DOUBLE, below_, kStateTag + 1, comm_, MPI_STATUS_IGNORE);
  }

  MPI_Comm comm_;
  int nx_;
  int ny_;
  double reaction_;
  int rank_ = 0;
  int size_ = 1;
  int num_rows_ = 0;
  int first_row_ = 0;
  int above_ = MPI_PROC_NULL;
  int below_ = MPI_PROC_NULL;
  double h_ = 0;
  double dt_ = 0;
  std::vector<double> ghost_above_, ghost_below_, from_above_, from_below_, next_;
};

}  // namespace heat2d
