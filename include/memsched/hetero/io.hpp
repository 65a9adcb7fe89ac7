// Reading and writing heterogeneous chains: JSON for programs, CSV for spreadsheets.
#pragma once

#include <ostream>
#include <string_view>

#include "memsched/hetero/chain.hpp"

namespace memsched {

/// Reads a chain from JSON:
///
///     {"stages": [{"forward_time": 1, "backward_time": 2, "input_bytes": 2, "tape_bytes": 3,
///                  "forward_tmp_bytes": 0, "backward_tmp_bytes": 0}, ...],
///      "loss": {"input_bytes": 1, "time": 0, "backward_tmp_bytes": 0}}
///
/// The two *_tmp_bytes and the loss's time and backward_tmp_bytes may be omitted (0). Sizes
/// are integers in [0, 2^50]; times finite and >= 0; unknown keys are errors (typos). Throws
/// ParseError (with line and column) on malformed JSON, a wrong type, a missing or unknown key,
/// input above 64 MiB or nested deeper than 32; std::invalid_argument when the values break a
/// HeteroChain rule. Never allocates more than a small multiple of the input size.
HeteroChain read_hetero_chain_json(std::string_view text);

/// Reads a chain from CSV: a header line naming the columns
/// `stage,forward_time,backward_time,input_bytes,tape_bytes,forward_tmp_bytes,backward_tmp_bytes`
/// (in any order; the two *_tmp_bytes columns are optional), one line per stage in order, and a
/// last line whose `stage` is `loss` (its backward_time is the loss time; its forward_time and
/// tape_bytes must be empty or 0). Blank lines and lines starting with '#' are skipped.
/// Same errors as read_hetero_chain_json.
HeteroChain read_hetero_chain_csv(std::string_view text);

/// Writes the chain as JSON in the format read_hetero_chain_json reads (times printed exactly).
void write_hetero_chain_json(std::ostream& out, const HeteroChain& chain);

}  // namespace memsched
