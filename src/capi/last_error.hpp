// The per-thread message behind memsched_last_error(), shared by the C API's files.
#pragma once

#include <string>

namespace memsched::detail {

/// Sets the message memsched_last_error() returns on this thread (never throws).
void set_last_error(std::string message) noexcept;

}  // namespace memsched::detail
