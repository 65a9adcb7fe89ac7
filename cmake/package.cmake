# `cpack -G DEB` in a build folder: a Debian package of the libraries, headers (C++, C,
# Fortran), CMake and pkg-config files and the memsched tool, installed under /usr.
set(CPACK_PACKAGE_NAME memsched)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "memsched plans and verifies memory-aware schedules: checkpointing for adjoint computations "
    "and backpropagation (Revolve and its multi-level successors, online checkpointing) and "
    "memory-aware scheduling of task trees. C++ libraries with C and Fortran interfaces, and the "
    "memsched command-line tool.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "memsched developers <memsched@invalid>")
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
# The tool's shared-library dependencies come from dpkg-shlibdeps; the static libraries'
# dependencies are the -dev packages a program linking them needs.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libzstd-dev, liblz4-dev")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "pkg-config")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libsuitesparse-dev, libstarpu-dev, gfortran, coinor-libcbc-dev")
include(CPack)
