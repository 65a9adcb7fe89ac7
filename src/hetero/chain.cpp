// HeteroChain: validation at the boundary and the two reference quantities of a chain.
#include "memsched/hetero/chain.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace memsched {

namespace {

void check_time(double t, const char* what, std::int64_t i) {
  if (!std::isfinite(t) || t < 0.0) {
    throw std::invalid_argument(std::string("HeteroChain: ") + what + " of stage " +
                                std::to_string(i) + " must be finite and >= 0, got " +
                                std::to_string(t));
  }
}

void check_bytes(Bytes b, const char* what, std::int64_t i) {
  if (b < 0 || b > kMaxBytes) {
    throw std::invalid_argument(std::string("HeteroChain: ") + what + " of stage " +
                                std::to_string(i) + " must be in [0, 2^50], got " +
                                std::to_string(b));
  }
}

}  // namespace

bool operator==(const HeteroStage& a, const HeteroStage& b) noexcept {
  return a.forward_time == b.forward_time && a.backward_time == b.backward_time &&
         a.input_bytes == b.input_bytes && a.tape_bytes == b.tape_bytes &&
         a.forward_tmp_bytes == b.forward_tmp_bytes &&
         a.backward_tmp_bytes == b.backward_tmp_bytes &&
         a.recording_tmp_bytes == b.recording_tmp_bytes;
}

bool operator==(const HeteroLoss& a, const HeteroLoss& b) noexcept {
  return a.input_bytes == b.input_bytes && a.time == b.time &&
         a.backward_tmp_bytes == b.backward_tmp_bytes;
}

bool operator==(const HeteroChain& a, const HeteroChain& b) noexcept {
  return a.stages_ == b.stages_ && a.loss_ == b.loss_;
}

HeteroChain::HeteroChain(std::vector<HeteroStage> stages, HeteroLoss loss)
    : stages_(std::move(stages)), loss_(loss) {
  const auto n = static_cast<std::int64_t>(stages_.size());
  if (n < 1 || n > kMaxStages) {
    throw std::invalid_argument("HeteroChain: number of stages must be in [1, 2^20], got " +
                                std::to_string(n));
  }
  for (std::int64_t i = 0; i < n; ++i) {
    const HeteroStage& s = stages_[static_cast<std::size_t>(i)];
    check_time(s.forward_time, "forward_time", i);
    check_time(s.backward_time, "backward_time", i);
    check_bytes(s.input_bytes, "input_bytes", i);
    check_bytes(s.tape_bytes, "tape_bytes", i);
    check_bytes(s.forward_tmp_bytes, "forward_tmp_bytes", i);
    check_bytes(s.backward_tmp_bytes, "backward_tmp_bytes", i);
    if (s.recording_tmp_bytes) check_bytes(*s.recording_tmp_bytes, "recording_tmp_bytes", i);
  }
  check_time(loss_.time, "time", n);
  check_bytes(loss_.input_bytes, "input_bytes", n);
  check_bytes(loss_.backward_tmp_bytes, "backward_tmp_bytes", n);
  for (std::int64_t i = 0; i < n; ++i) {
    if (tape(i) < x(i + 1)) {
      throw std::invalid_argument("HeteroChain: tape_bytes of stage " + std::to_string(i) + " (" +
                                  std::to_string(tape(i)) + ") is smaller than its output (" +
                                  std::to_string(x(i + 1)) + " bytes), which the tape contains");
    }
  }
}

const HeteroStage& HeteroChain::stage(std::int64_t i) const {
  if (i < 0 || i >= num_stages()) {
    throw std::out_of_range("HeteroChain::stage: no stage " + std::to_string(i));
  }
  return stages_[static_cast<std::size_t>(i)];
}

Bytes HeteroChain::x(std::int64_t i) const {
  if (i == num_stages()) return loss_.input_bytes;
  return stage(i).input_bytes;
}

Bytes HeteroChain::tape(std::int64_t i) const { return stage(i).tape_bytes; }

double HeteroChain::minimal_makespan() const noexcept {
  double total = loss_.time;
  for (const HeteroStage& s : stages_) total += s.forward_time + s.backward_time;
  return total;
}

Bytes HeteroChain::store_all_peak() const noexcept {
  // Sizes are <= 2^50 and there are <= 2^20 stages, so no sum below can overflow 2^63.
  const std::int64_t n = num_stages();
  Bytes held = x(0);
  Bytes peak = held;
  for (std::int64_t i = 0; i < n; ++i) {  // Fe_i
    const HeteroStage& s = stages_[static_cast<std::size_t>(i)];
    peak = std::max(peak, held + s.tape_bytes + s.recording_tmp());
    held += s.tape_bytes;
  }
  peak = std::max(peak, held + loss_.input_bytes + loss_.backward_tmp_bytes);  // L
  held += loss_.input_bytes;
  for (std::int64_t i = n - 1; i >= 0; --i) {  // B_i: ȳ_{i+1} and x̄_{i+1} -> ȳ_i
    const HeteroStage& s = stages_[static_cast<std::size_t>(i)];
    peak = std::max(peak, held + s.input_bytes + s.backward_tmp_bytes);
    held += s.input_bytes - x(i + 1) - s.tape_bytes;
  }
  return peak;
}

}  // namespace memsched
