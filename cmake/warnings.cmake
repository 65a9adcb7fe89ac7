# Warning flags as an INTERFACE target that our own targets link privately; consumers of the
# installed library never inherit them. Warnings become errors only through the presets.
add_library(memsched_warnings INTERFACE)
target_compile_options(memsched_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:C,CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion>
  $<$<AND:$<COMPILE_LANGUAGE:C,CXX>,$<BOOL:${MEMSCHED_WARNINGS_AS_ERRORS}>>:-Werror>)
