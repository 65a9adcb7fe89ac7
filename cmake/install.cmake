# Install the libraries, the headers (C++, C and Fortran), the CMake package
# (find_package(memsched [COMPONENTS sparse starpu problems fortran])), one pkg-config file per
# library, and the command-line tool; `cpack -G DEB` packs the same files.
include(CMakePackageConfigHelpers)
set(MEMSCHED_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/memsched)
get_property(MEMSCHED_COMPONENTS GLOBAL PROPERTY MEMSCHED_COMPONENTS)
set(MEMSCHED_LIBRARIES memsched)
foreach(component IN LISTS MEMSCHED_COMPONENTS)
  list(APPEND MEMSCHED_LIBRARIES memsched_${component})
endforeach()
if(TARGET memsched_fortran)
  install(DIRECTORY ${MEMSCHED_FORTRAN_MODULE_DIR}/
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/memsched/fortran FILES_MATCHING PATTERN "*.mod")
endif()
install(TARGETS ${MEMSCHED_LIBRARIES} EXPORT memschedTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/memsched DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/memsched/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/memsched)
install(EXPORT memschedTargets NAMESPACE memsched:: DESTINATION ${MEMSCHED_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/memschedConfig.cmake.in
  ${PROJECT_BINARY_DIR}/memschedConfig.cmake INSTALL_DESTINATION ${MEMSCHED_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/memschedConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/memschedConfig.cmake
              ${PROJECT_BINARY_DIR}/memschedConfigVersion.cmake
        DESTINATION ${MEMSCHED_INSTALL_CMAKEDIR})

# pkg-config: relocatable (prefix found from the file's own place). A static library lists its
# dependencies in Libs, so that `pkg-config --libs` alone links; a shared one in Libs.private.
file(RELATIVE_PATH MEMSCHED_PC_PREFIX /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /root)
# memsched_pkg_config(NAME DESCRIPTION REQUIRES EXTRA_LIBS [EXTRA_CFLAGS]): NAME.pc for libNAME.
# Components (memsched_component in src/CMakeLists.txt) get theirs from their target properties.
function(memsched_pkg_config name description requires libs)
  set(cflags "-I\${includedir}")
  if(ARGC GREATER 4 AND NOT "${ARGV4}" STREQUAL "")
    string(APPEND cflags " ${ARGV4}")
  endif()
  set(text "prefix=\${pcfiledir}/${MEMSCHED_PC_PREFIX}
libdir=\${prefix}/${CMAKE_INSTALL_LIBDIR}
includedir=\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}

Name: ${name}
Description: ${description}
Version: ${PROJECT_VERSION}
Requires: ${requires}
Cflags: ${cflags}
Libs: -L\${libdir} -l${name}")
  if(libs AND BUILD_SHARED_LIBS)
    string(APPEND text "\nLibs.private: ${libs}")
  elseif(libs)
    string(APPEND text " ${libs}")
  endif()
  string(APPEND text "\n")
  file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/pkgconfig/${name}.pc CONTENT "${text}")
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/${name}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()

# The core is C++: a C or Fortran program linking it statically also needs libstdc++.
memsched_pkg_config(memsched "${PROJECT_DESCRIPTION} (core: chains, planners, trees, executor, C API)"
  "" "${MEMSCHED_ZSTD_LIBRARY} ${MEMSCHED_LZ4_LIBRARY} -pthread -lstdc++ -lm")
foreach(component IN LISTS MEMSCHED_COMPONENTS)
  get_target_property(description memsched_${component} MEMSCHED_PC_DESCRIPTION)
  get_target_property(libs memsched_${component} MEMSCHED_PC_LIBS)
  get_target_property(cflags memsched_${component} MEMSCHED_PC_CFLAGS)
  if(NOT libs)
    set(libs "")
  endif()
  if(NOT cflags)
    set(cflags "")
  endif()
  list(JOIN libs " " libs)
  memsched_pkg_config(memsched_${component} "memsched: ${description}" memsched "${libs}" "${cflags}")
endforeach()

if(TARGET memsched_cli)
  install(TARGETS memsched_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
