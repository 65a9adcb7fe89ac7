# Warning flags as an INTERFACE target that our own targets link privately; consumers of the
# installed library never inherit them. Warnings become errors only through the presets.
add_library(memsched_warnings INTERFACE)
target_compile_options(memsched_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion
  $<$<BOOL:${MEMSCHED_WARNINGS_AS_ERRORS}>:-Werror>)
