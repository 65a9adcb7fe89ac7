# Installs the build tree to a scratch prefix, then builds and runs the consumer programs twice,
# as a new user would: through find_package(memsched) and through pkg-config; checks that the
# chain-only programs link neither CHOLMOD nor StarPU (ldd), and that the sparse one does link
# CHOLMOD where memsched was built with it (so that the check can fail).
# Variables: BUILD_DIR, SOURCE_DIR, WORK_DIR, CXX_FLAGS and LINKER_FLAGS (the sanitizers'),
# C_COMPILER, CXX_COMPILER, Fortran_COMPILER (empty: no Fortran), HAVE_CHOLMOD, HAVE_STARPU,
# HAVE_CBC (the graph MILP component is built, installed and used),
# HAVE_MPI.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
                RESULT_VARIABLE result OUTPUT_QUIET)
if(result)
  message(FATAL_ERROR "install failed")
endif()

# Shared libraries (BUILD_SHARED_LIBS) in this scratch prefix: programs built with pkg-config
# find them as a user's would, through LD_LIBRARY_PATH.
file(GLOB library_dirs ${prefix}/lib ${prefix}/lib64 ${prefix}/lib/*-linux-gnu)
list(JOIN library_dirs ":" library_path)
# Under the sanitizers, leaks are traced with the slow unwinder so that OpenMPI's own
# allocations (the MPI consumer) match tests/lsan.supp, as in the MPI tests.
if(DEFINED ENV{LSAN_OPTIONS})
  set(lsan_options "$ENV{LSAN_OPTIONS}:fast_unwind_on_malloc=0")
else()
  set(lsan_options "fast_unwind_on_malloc=0")
endif()
function(run program)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${library_path}
                          LSAN_OPTIONS=${lsan_options} ${program}
                  RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(result)
    message(FATAL_ERROR "${program} returned ${result}: ${output}")
  endif()
endfunction()

# ldd's list of shared libraries must (expect TRUE) or must not (FALSE) name cholmod/starpu.
function(check_links program expect)
  execute_process(COMMAND ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${library_path} ldd ${program}
                  OUTPUT_VARIABLE libraries RESULT_VARIABLE result)
  if(result)
    message(FATAL_ERROR "ldd ${program} failed")
  endif()
  if(libraries MATCHES "cholmod|starpu")
    set(links TRUE)
  else()
    set(links FALSE)
  endif()
  if(NOT links STREQUAL expect)
    message(FATAL_ERROR "${program}: links CHOLMOD or StarPU = ${links}, expected ${expect}:\n"
                        "${libraries}")
  endif()
endfunction()

# 1. find_package
set(fortran_option OFF)
if(Fortran_COMPILER)
  set(fortran_option ON)
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build
                        -DCMAKE_PREFIX_PATH=${prefix} "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
                        "-DCMAKE_C_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINKER_FLAGS}"
                        -DCMAKE_C_COMPILER=${C_COMPILER} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
                        -DCMAKE_Fortran_COMPILER=${Fortran_COMPILER}
                        -DMEMSCHED_CONSUMER_FORTRAN=${fortran_option}
                        -DMEMSCHED_CONSUMER_MPI=${HAVE_MPI}
                RESULT_VARIABLE result)
if(result)
  message(FATAL_ERROR "configuring the consumer failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build RESULT_VARIABLE result)
if(result)
  message(FATAL_ERROR "building the consumer failed")
endif()
set(programs consumer consumer_c consumer_problems consumer_sparse consumer_starpu)
if(Fortran_COMPILER)
  list(APPEND programs consumer_fortran)
endif()
if(HAVE_CBC)
  list(APPEND programs consumer_graph_milp)
endif()
if(HAVE_MPI)
  list(APPEND programs consumer_mpi)
endif()
foreach(program ${programs})
  run(${WORK_DIR}/build/${program})
endforeach()
check_links(${WORK_DIR}/build/consumer FALSE)
check_links(${WORK_DIR}/build/consumer_c FALSE)
check_links(${WORK_DIR}/build/consumer_problems FALSE)
if(HAVE_CHOLMOD)
  check_links(${WORK_DIR}/build/consumer_sparse TRUE)
endif()
if(HAVE_STARPU)
  check_links(${WORK_DIR}/build/consumer_starpu TRUE)
endif()

# 2. pkg-config: `c++ main.cpp $(pkg-config --cflags --libs memsched)` and friends.
find_program(PKG_CONFIG pkg-config REQUIRED)
file(GLOB pc_dirs ${prefix}/lib*/pkgconfig ${prefix}/lib/*/pkgconfig)
list(JOIN pc_dirs ":" pc_path)
set(ENV{PKG_CONFIG_PATH} "${pc_path}")
separate_arguments(cxx_flags UNIX_COMMAND "${CXX_FLAGS} ${LINKER_FLAGS}")
function(build_with_pkg_config compiler source output package)
  execute_process(COMMAND ${PKG_CONFIG} --cflags --libs ${package} OUTPUT_VARIABLE flags
                  RESULT_VARIABLE result OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(result)
    message(FATAL_ERROR "pkg-config ${package} failed")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  execute_process(COMMAND ${compiler} ${cxx_flags} ${SOURCE_DIR}/${source} -o ${output} ${flags}
                  RESULT_VARIABLE result)
  if(result)
    message(FATAL_ERROR "${compiler} ${source} with pkg-config ${package} failed")
  endif()
  run(${output})
endfunction()
build_with_pkg_config(${CXX_COMPILER} main.cpp ${WORK_DIR}/pc_consumer memsched)
check_links(${WORK_DIR}/pc_consumer FALSE)
build_with_pkg_config(${C_COMPILER} main.c ${WORK_DIR}/pc_consumer_c memsched)
check_links(${WORK_DIR}/pc_consumer_c FALSE)
build_with_pkg_config(${CXX_COMPILER} problems.cpp ${WORK_DIR}/pc_consumer_problems
                      memsched_problems)
build_with_pkg_config(${CXX_COMPILER} sparse.cpp ${WORK_DIR}/pc_consumer_sparse memsched_sparse)
build_with_pkg_config(${CXX_COMPILER} starpu.cpp ${WORK_DIR}/pc_consumer_starpu memsched_starpu)
if(HAVE_MPI)
  build_with_pkg_config(${CXX_COMPILER} mpi.cpp ${WORK_DIR}/pc_consumer_mpi memsched_mpi)
endif()
if(HAVE_CHOLMOD)
  check_links(${WORK_DIR}/pc_consumer_sparse TRUE)
endif()
if(HAVE_CBC)
  build_with_pkg_config(${CXX_COMPILER} graph_milp.cpp ${WORK_DIR}/pc_consumer_graph_milp
                        memsched_graph_milp)
endif()
if(Fortran_COMPILER)
  # Compile flags are the C/C++ compiler's; the link flags (sanitizer runtimes) apply.
  separate_arguments(cxx_flags UNIX_COMMAND "${LINKER_FLAGS}")
  build_with_pkg_config(${Fortran_COMPILER} main.f90 ${WORK_DIR}/pc_consumer_fortran
                        memsched_fortran)
endif()
message(STATUS "consumer programs built with find_package and pkg-config, and run: ${programs}")
