/* Uses the installed C interface: Revolve(1000, 10) through the registry and the simulator. */
#include <stdio.h>

#include "memsched/memsched.h"

int main(void) {
  memsched_chain* chain = NULL;
  memsched_platform* platform = NULL;
  memsched_report report;
  int ok;
  if (memsched_chain_create(1000, 1.0, 1.0, &chain) != MEMSCHED_OK ||
      memsched_platform_create_ram(10, &platform) != MEMSCHED_OK ||
      memsched_simulate_plan(chain, platform, "revolve", NULL, &report) != MEMSCHED_OK) {
    fprintf(stderr, "%s\n", memsched_last_error());
    return 1;
  }
  ok = report.forward_steps == 4636;
  printf("revolve: %lld forward steps\n", (long long)report.forward_steps);
  memsched_platform_free(platform);
  memsched_chain_free(chain);
  return ok ? 0 : 1;
}
