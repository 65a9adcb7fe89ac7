# Install the library, its headers and the memsched::memsched package for find_package().
include(CMakePackageConfigHelpers)
install(TARGETS memsched EXPORT memschedTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/memsched DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/memsched/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/memsched)
install(EXPORT memschedTargets NAMESPACE memsched::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/memsched)
configure_package_config_file(cmake/memschedConfig.cmake.in
  ${PROJECT_BINARY_DIR}/memschedConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/memsched)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/memschedConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/memschedConfig.cmake
              ${PROJECT_BINARY_DIR}/memschedConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/memsched)
if(TARGET memsched_cli)
  install(TARGETS memsched_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
