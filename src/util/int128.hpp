// 128-bit integers for exact intermediate counts (a GCC/Clang extension, marked as such so
// that -Wpedantic accepts it).
#pragma once

namespace memsched::detail {

__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

}  // namespace memsched::detail
