/* A classic Revolve driver loop (ADOL-C's protocol: check, capo, fine, snaps, info) checking
 * every action against a model of the primal, run against memsched's Revolve. Where ADOL-C is
 * installed the same file is also built against ADOL-C's revolve() (REVOLVE_WITH_ADOLC): one
 * include and one call differ. Both must reach Revolve's optimal advance count t(n, c),
 * computed here from the closed form of Griewank & Walther (ACM TOMS 26(1), 2000). */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#ifdef REVOLVE_WITH_ADOLC
#include <adolc/revolve.h>
#define REVOLVE_CALL revolve
#else
#include "memsched/revolve.h"
#define REVOLVE_CALL memsched_revolve
#endif

/* beta(s, t) = C(s + t, s), exact while it fits (every value used here is below 2^62). */
static uint64_t beta(int64_t s, int64_t t) {
  uint64_t value = 1;
  int64_t i;
  if (s < 0 || t < 0) return 0;
  for (i = 1; i <= (s < t ? s : t); ++i) value = value * (uint64_t)(s + t - i + 1) / (uint64_t)i;
  return value;
}

/* t(n, c) = r n - beta(c + 1, r - 1) with r the least r with beta(c, r) >= n. */
static int64_t optimal_advances(int64_t n, int64_t c) {
  int64_t r = 0;
  if (n == 1) return 0;
  while (beta(c, r) < (uint64_t)n) ++r;
  return r * n - (int64_t)beta(c + 1, r - 1);
}

struct counts {
  int64_t advances, takeshots, restores, turns;
};

/* The driver: the primal state is modelled by the step it holds; each snapshot slot by the
 * step stored in it. Every action is checked against the model. */
static struct counts drive(int steps, int snaps) {
  struct counts counts = {0, 0, 0, 0};
  int check = -1, capo = 0, fine = steps, info = 0, oldcapo;
  int state = 0, next_turn = steps - 1;
  int* slot = malloc((size_t)snaps * sizeof *slot);
  enum revolve_action whatodo;
  do {
    oldcapo = capo;
    whatodo = REVOLVE_CALL(&check, &capo, &fine, snaps, &info);
    switch (whatodo) {
      case revolve_advance:
        CHECK(state == oldcapo && capo > oldcapo && capo < fine);
        counts.advances += capo - oldcapo;
        state = capo;
        break;
      case revolve_takeshot:
        CHECK(check >= 0 && check < snaps && state == capo);
        if (check >= 0 && check < snaps) slot[check] = state;
        ++counts.takeshots;
        break;
      case revolve_restore:
        CHECK(check >= 0 && check < snaps && slot[check] == capo);
        state = capo;
        ++counts.restores;
        break;
      case revolve_firsturn:
      case revolve_youturn:
        CHECK((whatodo == revolve_firsturn) == (next_turn == steps - 1));
        CHECK(state == capo && capo == next_turn && fine == capo);
        --next_turn;
        state = capo + 1; /* the taped step ran; its reverse moved the adjoint to capo */
        ++counts.turns;
        break;
      case revolve_terminate:
        break;
      default:
        fprintf(stderr, "revolve error, info = %d\n", info);
        CHECK(0);
        break;
    }
  } while (whatodo != revolve_terminate && whatodo != revolve_error);
  CHECK(next_turn == -1);
  free(slot);
  return counts;
}

static void check_optimal(int steps, int snaps) {
  const struct counts counts = drive(steps, snaps);
  const int64_t expected = optimal_advances(steps, snaps);
  if (counts.advances != expected) {
    fprintf(stderr, "n = %d, snaps = %d: %" PRId64 " advances, optimum %" PRId64 "\n", steps, snaps,
            counts.advances, expected);
  }
  CHECK(counts.advances == expected);
  CHECK(counts.turns == steps);
  CHECK(counts.restores == steps - 1);
}

#ifndef REVOLVE_WITH_ADOLC
/* 64-bit counts: the forward sweep of a reversal of n steps (up to the first turn, O(snaps)
 * calls) advances n - 1 steps in all; the whole reversal's count is the closed form, which
 * memsched_revolve_numforw must give. Streaming all ~3.4 n calls is done up to 10^6 above. */
static void check_forward_sweep(int64_t steps, int64_t snaps) {
  int64_t check = -1, capo = 0, fine = steps, oldcapo, advanced = 0, shots = 0;
  int info = 0;
  memsched_revolve_action whatodo;
  for (;;) {
    oldcapo = capo;
    whatodo = memsched_revolve64(&check, &capo, &fine, snaps, &info);
    if (whatodo == MEMSCHED_REVOLVE_ADVANCE) {
      advanced += capo - oldcapo;
    } else if (whatodo == MEMSCHED_REVOLVE_TAKESHOT) {
      CHECK(check == shots && capo == advanced);
      ++shots;
    } else {
      break;
    }
  }
  CHECK(whatodo == MEMSCHED_REVOLVE_FIRSTURN);
  CHECK(capo == steps - 1 && fine == steps - 1 && advanced == steps - 1);
  CHECK(shots >= 1 && shots <= snaps);
  CHECK(memsched_revolve_numforw(steps, snaps) == optimal_advances(steps, snaps));
  /* A new reversal (check = -1) abandons this one. */
}

static void check_helpers(void) {
  int64_t check = 0, capo = 0, fine = 10;
  int info = 0;
  CHECK(memsched_revolve_maxrange(3, 2) == 10);
  CHECK(memsched_revolve_maxrange(-1, 2) == 0);
  CHECK(memsched_revolve_maxrange(100, 100) == ((int64_t)1 << 62)); /* saturates */
  /* adjust: beta(snaps, reps) covers the steps with snaps close to reps. */
  CHECK(memsched_revolve_adjust(1) == 1);
  CHECK(memsched_revolve_adjust(6) == 2);   /* beta(2, 2) = 6 */
  CHECK(memsched_revolve_adjust(100) == 5); /* beta(5, 4) = 126 >= 100 > beta(4, 4) = 70 */
  CHECK(memsched_revolve_adjust(1000000) == 12);
  CHECK(memsched_revolve_adjust(1000000000) == 17); /* beta(17, 16) >= 10^9 > beta(16, 16) */
  CHECK(memsched_revolve_maxrange(17, 16) >= 1000000000);
  CHECK(memsched_revolve_maxrange(16, 16) < 1000000000);
  /* Published values (Griewank & Walther's t(n, c); Checkpointing.jl's numfwd = 105). */
  CHECK(memsched_revolve_numforw(50, 7) == 105);
  CHECK(memsched_revolve_numforw(1000, 10) == 3636);
  CHECK(memsched_revolve_numforw(10000, 2) == 932820);
  CHECK(memsched_revolve_numforw(0, 3) == -1);
  CHECK(memsched_revolve_numforw(10, 0) == -1);
  /* Errors: a bad start, and values changed between calls. */
  CHECK(memsched_revolve64(&check, &capo, &fine, 3, &info) == MEMSCHED_REVOLVE_ERROR);
  CHECK(info == 13);
  check = -1;
  capo = 5;
  fine = 4;
  CHECK(memsched_revolve64(&check, &capo, &fine, 3, &info) == MEMSCHED_REVOLVE_ERROR);
  CHECK(info == 9);
  check = -1;
  capo = 0;
  fine = 4;
  CHECK(memsched_revolve64(&check, &capo, &fine, 0, &info) == MEMSCHED_REVOLVE_ERROR);
  CHECK(info == 9);
  check = -1;
  CHECK(memsched_revolve64(&check, &capo, &fine, 2, &info) == MEMSCHED_REVOLVE_TAKESHOT);
  ++fine; /* enlarging fine: refused, with Revolve's code 13 */
  CHECK(memsched_revolve64(&check, &capo, &fine, 2, &info) == MEMSCHED_REVOLVE_ERROR);
  CHECK(info == 13);
}
#endif

int main(void) {
  int n, c;
  for (n = 1; n <= 80; ++n) {
    for (c = 1; c <= 10; ++c) check_optimal(n, c);
  }
  check_optimal(1000, 10);
  check_optimal(1000, 100);
  check_optimal(10000, 2);
  check_optimal(10000, 100);
  check_optimal(100000, 10);
  check_optimal(1000000, 20);
#ifndef REVOLVE_WITH_ADOLC
  check_helpers();
  check_forward_sweep(1000000000, 10);
  check_forward_sweep(1000000000, 100);
  check_forward_sweep(INT64_C(5000000000), 20); /* beyond 32-bit counts */
#endif
  if (check_failures == 0) printf("revolve driver: all checks passed\n");
  return check_failures == 0 ? 0 : 1;
}
