/* The C API, compiled as C99: every registry planner pulled action by action through the
 * simulator, reports against memsched_simulate_plan and Revolve's closed form, and each error
 * path returning its status and message instead of crashing. */
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "memsched/memsched.h"

/* Pulls `planner`'s actions one at a time into a simulator; returns the status of the first
 * failing call. */
static memsched_status pull_and_simulate(const memsched_chain* chain,
                                         const memsched_platform* platform, const char* planner,
                                         const memsched_plan_options* options,
                                         memsched_report* report) {
  memsched_schedule* schedule = NULL;
  memsched_simulator* simulator = NULL;
  memsched_status status = memsched_plan(chain, platform, planner, options, &schedule);
  if (status != MEMSCHED_OK) return status;
  status = memsched_simulator_create(chain, platform, &simulator);
  while (status == MEMSCHED_OK) {
    memsched_action action;
    int has_action = 0;
    status = memsched_schedule_next(schedule, &action, &has_action);
    if (status != MEMSCHED_OK || !has_action) break;
    status = memsched_simulator_apply(simulator, &action);
  }
  if (status == MEMSCHED_OK) status = memsched_simulator_finish(simulator, report);
  memsched_simulator_free(simulator);
  memsched_schedule_free(schedule);
  return status;
}

static void test_every_planner(void) {
  const int64_t n = 40;
  memsched_chain* chain = NULL;
  memsched_platform* ram = NULL;
  memsched_platform* ram_disk = NULL;
  const memsched_level levels[2] = {{"ram", 4, 0.0, 0.0},
                                    {"disk", MEMSCHED_UNLIMITED_SLOTS, 2.0, 1.0}};
  size_t i;
  int planned = 0;
  CHECK(memsched_chain_create(n, 1.0, 1.0, &chain) == MEMSCHED_OK);
  CHECK(memsched_chain_num_steps(chain) == n);
  CHECK(memsched_platform_create_ram(4, &ram) == MEMSCHED_OK);
  CHECK(memsched_platform_create(levels, 2, 1, &ram_disk) == MEMSCHED_OK);
  CHECK(memsched_planner_count() >= 10);
  CHECK(memsched_planner_name(memsched_planner_count()) == NULL);
  for (i = 0; i < memsched_planner_count(); ++i) {
    const char* name = memsched_planner_name(i);
    const memsched_platform* platforms[2];
    int p;
    platforms[0] = ram;
    platforms[1] = ram_disk;
    CHECK(name != NULL && memsched_planner_summary(i) != NULL);
    for (p = 0; p < 2; ++p) {
      memsched_report pulled, whole;
      const memsched_status status = pull_and_simulate(chain, platforms[p], name, NULL, &pulled);
      if (status == MEMSCHED_NO_SCHEDULE) {
        CHECK(memsched_simulate_plan(chain, platforms[p], name, NULL, &whole) ==
              MEMSCHED_NO_SCHEDULE);
        continue;
      }
      if (status != MEMSCHED_OK) {
        fprintf(stderr, "planner %s: %s\n", name, memsched_last_error());
      }
      CHECK(status == MEMSCHED_OK);
      CHECK(memsched_simulate_plan(chain, platforms[p], name, NULL, &whole) == MEMSCHED_OK);
      CHECK(pulled.num_actions == whole.num_actions);
      CHECK(pulled.forward_steps == whole.forward_steps);
      CHECK(pulled.cost == whole.cost);
      CHECK(pulled.adjoint_steps >= n);
      CHECK(pulled.advances == pulled.forward_steps - pulled.recorded_steps);
      ++planned;
    }
    if (strcmp(name, "revolve") == 0 || strcmp(name, "online") == 0) {
      memsched_report report;
      CHECK(pull_and_simulate(chain, ram, name, NULL, &report) == MEMSCHED_OK);
      /* Revolve is optimal; the online planner cannot beat it. */
      if (strcmp(name, "revolve") == 0) {
        CHECK(report.advances == memsched_revolve_numforw(n, 4));
      } else {
        CHECK(report.advances >= memsched_revolve_numforw(n, 4));
      }
    }
  }
  CHECK(planned >= 10);
  {
    /* Documented example: Revolve(1000, 10) runs 4636 forward steps; its level usage. */
    memsched_chain* long_chain = NULL;
    memsched_platform* ten = NULL;
    memsched_report report;
    memsched_simulator* simulator = NULL;
    memsched_level_usage usage;
    CHECK(memsched_chain_create(1000, 1.0, 1.0, &long_chain) == MEMSCHED_OK);
    CHECK(memsched_platform_create_ram(10, &ten) == MEMSCHED_OK);
    CHECK(memsched_simulate_plan(long_chain, ten, "revolve", NULL, &report) == MEMSCHED_OK);
    CHECK(report.forward_steps == 4636);
    CHECK(memsched_simulator_create(long_chain, ten, &simulator) == MEMSCHED_OK);
    CHECK(memsched_simulator_level(simulator, 0, &usage) == MEMSCHED_OK && usage.peak == 0);
    CHECK(memsched_simulator_level(simulator, 1, &usage) == MEMSCHED_OUT_OF_RANGE);
    memsched_simulator_free(simulator);
    memsched_platform_free(ten);
    memsched_chain_free(long_chain);
  }
  {
    /* Options reach the planner: periodic with period 10 on 40 steps stores x_0, 10, 20, 30. */
    memsched_plan_options options = {10, 0};
    memsched_report report;
    memsched_platform* big = NULL;
    CHECK(memsched_platform_create_ram(40, &big) == MEMSCHED_OK);
    CHECK(memsched_simulate_plan(chain, big, "periodic", &options, &report) == MEMSCHED_OK);
    options.period = -1;
    CHECK(memsched_simulate_plan(chain, big, "periodic", &options, &report) ==
          MEMSCHED_INVALID_ARGUMENT);
    CHECK(strstr(memsched_last_error(), "period -1") != NULL);
    memsched_platform_free(big);
  }
  memsched_platform_free(ram_disk);
  memsched_platform_free(ram);
  memsched_chain_free(chain);
}

static void test_errors(void) {
  memsched_chain* chain = NULL;
  memsched_platform* platform = NULL;
  memsched_schedule* schedule = NULL;
  memsched_simulator* simulator = NULL;
  memsched_report report;
  memsched_action action;
  char text[64];
  const double costs[2] = {1.0, -1.0};

  CHECK(memsched_chain_create(0, 1.0, 1.0, &chain) == MEMSCHED_INVALID_ARGUMENT);
  CHECK(chain == NULL);
  CHECK(strstr(memsched_last_error(), "memsched_chain_create") != NULL);
  CHECK(memsched_chain_create_costs(2, costs, costs, &chain) == MEMSCHED_INVALID_ARGUMENT);
  CHECK(memsched_chain_create_costs(2, NULL, costs, &chain) == MEMSCHED_INVALID_ARGUMENT);
  CHECK(memsched_chain_create(1, 1.0, 1.0, NULL) == MEMSCHED_INVALID_ARGUMENT);
  CHECK(memsched_platform_create_ram(-1, &platform) == MEMSCHED_INVALID_ARGUMENT);
  CHECK(memsched_platform_create(NULL, 1, 1, &platform) == MEMSCHED_INVALID_ARGUMENT);

  CHECK(memsched_chain_create(10, 1.0, 1.0, &chain) == MEMSCHED_OK);
  CHECK(memsched_platform_create_ram(3, &platform) == MEMSCHED_OK);
  CHECK(memsched_plan(chain, platform, "no-such-planner", NULL, &schedule) ==
        MEMSCHED_INVALID_ARGUMENT);
  CHECK(schedule == NULL);
  CHECK(strstr(memsched_last_error(), "revolve") != NULL); /* the known names are listed */
  CHECK(memsched_plan(chain, platform, NULL, NULL, &schedule) == MEMSCHED_INVALID_ARGUMENT);
  memsched_platform_free(platform);

  /* No slot at all: Revolve has no schedule for 10 steps. */
  CHECK(memsched_platform_create_ram(0, &platform) == MEMSCHED_OK);
  CHECK(memsched_plan(chain, platform, "revolve", NULL, &schedule) == MEMSCHED_NO_SCHEDULE);
  CHECK(strstr(memsched_last_error(), "no schedule") != NULL);

  /* An illegal action: Reverse before the forward sweep; nothing changes, the next is fine. */
  CHECK(memsched_simulator_create(chain, platform, &simulator) == MEMSCHED_OK);
  memset(&action, 0, sizeof action);
  action.kind = MEMSCHED_REVERSE;
  action.begin = 9;
  action.end = 10;
  action.flag = 1;
  CHECK(memsched_simulator_apply(simulator, &action) == MEMSCHED_ILLEGAL_SCHEDULE);
  CHECK(strstr(memsched_last_error(), "action 0") != NULL);
  action.kind = 42;
  CHECK(memsched_simulator_apply(simulator, &action) == MEMSCHED_INVALID_ARGUMENT);
  CHECK(memsched_action_format(&action, text, sizeof text) > 0);
  action.kind = MEMSCHED_FORWARD;
  action.begin = 0;
  action.end = 10;
  action.flag = 0;
  CHECK(memsched_simulator_apply(simulator, &action) == MEMSCHED_OK);
  CHECK(memsched_action_format(&action, text, sizeof text) == strlen("Forward(0, 10)"));
  CHECK(strcmp(text, "Forward(0, 10)") == 0);
  CHECK(memsched_action_format(&action, text, 4) == strlen("Forward(0, 10)"));
  CHECK(strcmp(text, "For") == 0);
  /* Incomplete: the end-of-schedule rules fail. */
  CHECK(memsched_simulator_finish(simulator, &report) == MEMSCHED_ILLEGAL_SCHEDULE);
  memsched_simulator_free(simulator);
  memsched_simulator_free(NULL);
  memsched_schedule_free(NULL);
  memsched_platform_free(platform);
  memsched_chain_free(chain);
  memsched_chain_free(NULL);
  CHECK(strlen(memsched_version()) >= 5);
}

/* Schedules stream: at n = 10^9 the first actions of Revolve and of the online planner come at
 * once (O(slots) memory), and the simulator accepts them. */
static void test_streams_at_one_billion(void) {
  const char* planners[2] = {"revolve", "online"};
  memsched_chain* chain = NULL;
  memsched_platform* platform = NULL;
  int p;
  CHECK(memsched_chain_create(1000000000, 1.0, 1.0, &chain) == MEMSCHED_OK);
  CHECK(memsched_platform_create_ram(20, &platform) == MEMSCHED_OK);
  for (p = 0; p < 2; ++p) {
    memsched_schedule* schedule = NULL;
    memsched_simulator* simulator = NULL;
    memsched_action action;
    int has_action = 0, k;
    int64_t reached = 0;
    CHECK(memsched_plan(chain, platform, planners[p], NULL, &schedule) == MEMSCHED_OK);
    CHECK(memsched_simulator_create(chain, platform, &simulator) == MEMSCHED_OK);
    for (k = 0; k < 1000; ++k) {
      CHECK(memsched_schedule_next(schedule, &action, &has_action) == MEMSCHED_OK && has_action);
      CHECK(memsched_simulator_apply(simulator, &action) == MEMSCHED_OK);
      if (action.kind == MEMSCHED_FORWARD && action.end > reached) reached = action.end;
    }
    CHECK(reached > 0);
    memsched_simulator_free(simulator);
    memsched_schedule_free(schedule);
  }
  memsched_platform_free(platform);
  memsched_chain_free(chain);
}

int main(void) {
  test_every_planner();
  test_streams_at_one_billion();
  test_errors();
  if (check_failures == 0) printf("capi_test: all checks passed\n");
  return check_failures == 0 ? 0 : 1;
}
