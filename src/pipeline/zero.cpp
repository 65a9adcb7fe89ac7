// ZeRO / FSDP model-state arithmetic (Rajbhandari et al., SC 2020, Fig. 1 and Section 5).
#include "memsched/pipeline/zero.hpp"

#include <stdexcept>

namespace memsched {

std::string to_string(DataParallelSharding sharding) {
  switch (sharding) {
    case DataParallelSharding::kNone:
      return "none";
    case DataParallelSharding::kZero1:
      return "zero1";
    case DataParallelSharding::kZero2:
      return "zero2";
    case DataParallelSharding::kZero3:
      return "zero3";
  }
  return "unknown";
}

DataParallelSharding parse_data_parallel_sharding(const std::string& text) {
  if (text == "ddp") return DataParallelSharding::kNone;
  if (text == "fsdp") return DataParallelSharding::kZero3;
  for (DataParallelSharding s : {DataParallelSharding::kNone, DataParallelSharding::kZero1,
                                 DataParallelSharding::kZero2, DataParallelSharding::kZero3}) {
    if (to_string(s) == text) return s;
  }
  throw std::invalid_argument(
      "parse_data_parallel_sharding: expected none, ddp, zero1, zero2, zero3 or fsdp, got '" +
      text + "'");
}

ModelStateBytes model_state_bytes(std::int64_t parameters, std::int64_t degree,
                                  DataParallelSharding sharding,
                                  const StateBytesPerParameter& per) {
  if (parameters < 0 || degree < 1) {
    throw std::invalid_argument("model_state_bytes: need parameters >= 0 and degree >= 1, got " +
                                std::to_string(parameters) + " and " + std::to_string(degree));
  }
  for (Bytes b : {per.parameter, per.gradient, per.optimizer}) {
    if (b < 0 || b > 64) {
      throw std::invalid_argument(
          "model_state_bytes: bytes per parameter must be in [0, 64], got " + std::to_string(b));
    }
  }
  // 192 bytes per parameter at most: keep the products below kMaxBytes before dividing.
  if (parameters > kMaxBytes / 192) {
    throw std::invalid_argument("model_state_bytes: " + std::to_string(parameters) +
                                " parameters exceed the limit of " +
                                std::to_string(kMaxBytes / 192));
  }
  auto whole = [&](Bytes b) { return b * parameters; };
  auto shard = [&](Bytes b) {
    const Bytes all = b * parameters;
    return all / degree + (all % degree != 0 ? 1 : 0);
  };
  ModelStateBytes out;
  const bool s1 = sharding != DataParallelSharding::kNone;
  const bool s2 =
      sharding == DataParallelSharding::kZero2 || sharding == DataParallelSharding::kZero3;
  const bool s3 = sharding == DataParallelSharding::kZero3;
  out.optimizer = s1 ? shard(per.optimizer) : whole(per.optimizer);
  out.gradients = s2 ? shard(per.gradient) : whole(per.gradient);
  out.parameters = s3 ? shard(per.parameter) : whole(per.parameter);
  out.total = out.parameters + out.gradients + out.optimizer;
  return out;
}

}  // namespace memsched
