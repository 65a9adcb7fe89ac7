# `cpack -G DEB` of the build tree: the package must hold the libraries, the C, C++ and Fortran
# headers, the CMake and pkg-config files and the tool, under /usr.
# Variables: BUILD_DIR, WORK_DIR, FORTRAN (ON when the Fortran module is built), CBC (ON when
# the graph MILP component is).
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_CPACK_COMMAND} -G DEB -B ${WORK_DIR} --config
                        ${BUILD_DIR}/CPackConfig.cmake
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(result)
  message(FATAL_ERROR "cpack failed:\n${output}")
endif()
file(GLOB debs ${WORK_DIR}/memsched_*.deb)
list(LENGTH debs count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "expected one memsched_*.deb in ${WORK_DIR}, found: ${debs}")
endif()
execute_process(COMMAND dpkg-deb --contents ${debs} OUTPUT_VARIABLE contents RESULT_VARIABLE result)
if(result)
  message(FATAL_ERROR "dpkg-deb --contents failed")
endif()
set(expected ./usr/bin/memsched ./usr/include/memsched/memsched.h
    ./usr/include/memsched/memsched.hpp ./usr/include/memsched/revolve.h
    ./usr/include/memsched/version.hpp ./usr/lib/libmemsched.a ./usr/lib/libmemsched_sparse.a
    ./usr/lib/libmemsched_starpu.a ./usr/lib/libmemsched_problems.a
    ./usr/lib/cmake/memsched/memschedConfig.cmake ./usr/lib/cmake/memsched/memschedTargets.cmake
    ./usr/lib/pkgconfig/memsched.pc ./usr/lib/pkgconfig/memsched_sparse.pc)
if(FORTRAN)
  list(APPEND expected ./usr/lib/libmemsched_fortran.a ./usr/include/memsched/fortran/memsched.mod
       ./usr/lib/pkgconfig/memsched_fortran.pc)
endif()
if(CBC)
  list(APPEND expected ./usr/lib/libmemsched_graph_milp.a ./usr/lib/pkgconfig/memsched_graph_milp.pc)
endif()
foreach(file ${expected})
  string(FIND "${contents}" " ${file}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${debs} lacks ${file}:\n${contents}")
  endif()
endforeach()
execute_process(COMMAND dpkg-deb --field ${debs} Package Version Depends OUTPUT_VARIABLE fields)
message(STATUS "${debs}:\n${fields}")
if(NOT fields MATCHES "Package: memsched" OR NOT fields MATCHES "libzstd-dev")
  message(FATAL_ERROR "unexpected control fields:\n${fields}")
endif()
