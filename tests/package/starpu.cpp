// Uses the installed StarPU component: reports whether memsched was built with StarPU.
#include <cstdio>
#include <memsched/tree/starpu_runtime.hpp>

int main() {
  std::printf("StarPU runtime %s\n", memsched::have_starpu() ? "available" : "not built");
  return 0;
}
