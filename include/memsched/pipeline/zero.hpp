// Per-device model-state memory under data parallelism: DDP, ZeRO stages 1-3 and FSDP.
#pragma once

#include <cstdint>
#include <string>

#include "memsched/hetero/chain.hpp"

namespace memsched {

/// What data-parallel replicas shard (Rajbhandari et al., "ZeRO: Memory Optimizations Toward
/// Training Trillion Parameter Models", SC 2020). PyTorch FSDP (Zhao et al., "PyTorch FSDP:
/// Experiences on Scaling Fully Sharded Data Parallel", VLDB 2023): NO_SHARD = kNone,
/// SHARD_GRAD_OP ≈ kZero2, FULL_SHARD = kZero3.
enum class DataParallelSharding : std::uint8_t {
  kNone,   ///< every replica holds everything (DDP)
  kZero1,  ///< optimizer states sharded
  kZero2,  ///< optimizer states and gradients sharded
  kZero3,  ///< optimizer states, gradients and parameters sharded
};

/// "none", "zero1", "zero2", "zero3".
std::string to_string(DataParallelSharding sharding);
/// Inverse of to_string, also "ddp" (kNone) and "fsdp" (kZero3); std::invalid_argument otherwise.
DataParallelSharding parse_data_parallel_sharding(const std::string& text);

/// Bytes of model state per parameter; the defaults are mixed-precision Adam: fp16 parameters
/// and gradients, and K = 12 bytes of fp32 master weights, momentum and variance.
struct StateBytesPerParameter {
  Bytes parameter = 2;
  Bytes gradient = 2;
  Bytes optimizer = 12;  ///< K
};

/// One device's model state, in bytes.
struct ModelStateBytes {
  Bytes parameters = 0;
  Bytes gradients = 0;
  Bytes optimizer = 0;
  Bytes total = 0;
};

/// Model state per device for `parameters` parameters replicated over `degree` devices:
/// kNone (2 + 2 + K)Ψ, kZero1 4Ψ + KΨ/d, kZero2 2Ψ + (2 + K)Ψ/d, kZero3 (4 + K)Ψ/d with the
/// defaults (each sharded part rounded up). Activations, the gathered working copy of a layer
/// under kZero3 and communication buckets are not included. Throws std::invalid_argument if
/// parameters < 0, degree < 1, a per-parameter size is outside [0, 64], or the total exceeds
/// kMaxBytes.
ModelStateBytes model_state_bytes(std::int64_t parameters, std::int64_t degree,
                                  DataParallelSharding sharding,
                                  const StateBytesPerParameter& per_parameter = {});

}  // namespace memsched
