// FUZZ_CHECK: the contract assertion of the fuzz targets; a broken contract aborts with the reason.
#pragma once

#include <cstdio>
#include <cstdlib>

// Not assert(): the fuzz preset builds with NDEBUG, and a fuzz target must check in every build.
#define FUZZ_CHECK(condition, what)                                                       \
  do {                                                                                    \
    if (!(condition)) {                                                                   \
      std::fprintf(stderr, "%s:%d: contract broken: %s (%s)\n", __FILE__, __LINE__, what, \
                   #condition);                                                           \
      std::abort();                                                                       \
    }                                                                                     \
  } while (false)
