// Reading an input file whole, with its size checked before anything is allocated: the one
// entry point of the readers (schedules, trees, heterogeneous chains, matrices).
#pragma once

#include <cstddef>
#include <string>

namespace memsched {

/// The whole text of the file at `path`, or of standard input if `path` is "-". A regular file
/// larger than `max_bytes` is refused from its size before it is read; standard input (a pipe)
/// is read in chunks and refused as soon as it passes `max_bytes`. A directory, a device (such
/// as /dev/zero) or a FIFO given by name is refused before it is opened (a FIFO's open would
/// wait for a writer): read it through standard input. `what` names the input in messages
/// ("schedule", "tree", ...). Throws std::runtime_error with one clear line naming the path.
std::string read_input_file(const std::string& path, std::size_t max_bytes,
                            const std::string& what);

}  // namespace memsched
