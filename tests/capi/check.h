/* A minimal check macro for the C tests: prints the failed condition and counts failures. */
#ifndef MEMSCHED_TESTS_CAPI_CHECK_H
#define MEMSCHED_TESTS_CAPI_CHECK_H

#include <stdio.h>

static int check_failures = 0;

#define CHECK(condition)                                                            \
  do {                                                                              \
    if (!(condition)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
      ++check_failures;                                                             \
    }                                                                               \
  } while (0)

#endif
