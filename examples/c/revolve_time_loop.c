/* A C time loop whose adjoint was driven by ADOL-C's revolve(), switched to memsched by
 * changing the include (<adolc/revolve.h> -> "memsched/revolve.h") and the call's name
 * (revolve -> memsched_revolve); the loop body is Revolve's usual driver. The gradient must
 * equal the store-all one bit for bit. Exit status 0 when it does. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memsched/revolve.h"

enum { kSize = 16 };
static const int kSteps = 500, kSnaps = 8;
static const double kDt = 0.01, kCoupling = 0.5;

/* x <- x + dt (-x^3 + p sin x + c (x[i+1] - 2 x[i] + x[i-1])), periodic. */
static void step(double* x, double p) {
  double next[kSize];
  int i;
  for (i = 0; i < kSize; ++i) {
    const double left = x[(i + kSize - 1) % kSize], right = x[(i + 1) % kSize];
    next[i] =
        x[i] + kDt * (-x[i] * x[i] * x[i] + p * sin(x[i]) + kCoupling * (right - 2 * x[i] + left));
  }
  memcpy(x, next, sizeof next);
}

/* The step's adjoint at state x: xbar <- J^T xbar, pbar += (d step / d p)^T xbar. */
static void step_adjoint(const double* x, double p, double* xbar, double* pbar) {
  double next[kSize];
  int i;
  for (i = 0; i < kSize; ++i) *pbar += kDt * xbar[i] * sin(x[i]);
  for (i = 0; i < kSize; ++i) {
    const double left = xbar[(i + kSize - 1) % kSize], right = xbar[(i + 1) % kSize];
    next[i] = xbar[i] * (1 + kDt * (-3 * x[i] * x[i] + p * cos(x[i]) - 2 * kCoupling)) +
              kDt * kCoupling * (left + right);
  }
  memcpy(xbar, next, sizeof next);
}

static void store_all(const double* x0, double p, double* xbar, double* pbar) {
  double* x = malloc((size_t)(kSteps + 1) * kSize * sizeof *x);
  int k;
  memcpy(x, x0, kSize * sizeof *x);
  for (k = 0; k < kSteps; ++k) {
    memcpy(x + (k + 1) * kSize, x + k * kSize, kSize * sizeof *x);
    step(x + (k + 1) * kSize, p);
  }
  memcpy(xbar, x + kSteps * kSize, kSize * sizeof *x); /* J = |x_n|^2 / 2 */
  *pbar = 0;
  for (k = kSteps - 1; k >= 0; --k) step_adjoint(x + k * kSize, p, xbar, pbar);
  free(x);
}

/* Revolve's driver loop, as written for ADOL-C. Returns the advances, -1 on error. */
static long revolve_adjoint(const double* x0, double p, double* xbar, double* pbar) {
  double x[kSize], taped[kSize], snapshot[16][kSize];
  int check = -1, capo = 0, fine = kSteps, info = 0, oldcapo, j;
  long advances = 0;
  enum revolve_action whatodo;
  memcpy(x, x0, sizeof x);
  *pbar = 0;
  do {
    oldcapo = capo;
    whatodo = memsched_revolve(&check, &capo, &fine, kSnaps, &info);
    switch (whatodo) {
      case revolve_advance:
        for (j = oldcapo; j < capo; ++j) step(x, p);
        advances += capo - oldcapo;
        break;
      case revolve_takeshot:
        memcpy(snapshot[check], x, sizeof x);
        break;
      case revolve_restore:
        memcpy(x, snapshot[check], sizeof x);
        break;
      case revolve_firsturn:
      case revolve_youturn:
        memcpy(taped, x, sizeof x);
        step(x, p);
        if (whatodo == revolve_firsturn) memcpy(xbar, x, sizeof x);
        step_adjoint(taped, p, xbar, pbar);
        break;
      case revolve_error:
        fprintf(stderr, "revolve error %d: %s\n", info, memsched_last_error());
        return -1;
      default:
        break;
    }
  } while (whatodo != revolve_terminate && whatodo != revolve_error);
  return advances;
}

int main(void) {
  double x0[kSize], xbar_ref[kSize], xbar[kSize], pbar_ref, pbar;
  const double p = 1.3;
  long advances;
  int i;
  for (i = 0; i < kSize; ++i) x0[i] = 0.05 * (i + 1);
  store_all(x0, p, xbar_ref, &pbar_ref);
  advances = revolve_adjoint(x0, p, xbar, &pbar);
  if (advances < 0) return 1;
  printf("%d steps, %d snapshots: %ld advances (optimal %lld), dJ/dp = %.17g\n", kSteps, kSnaps,
         advances, (long long)memsched_revolve_numforw(kSteps, kSnaps), pbar);
  if (advances != memsched_revolve_numforw(kSteps, kSnaps)) return 1;
  if (pbar != pbar_ref || memcmp(xbar, xbar_ref, sizeof xbar) != 0) {
    fprintf(stderr, "gradient differs from store-all\n");
    return 1;
  }
  printf("gradient equal to store-all, bit for bit\n");
  return 0;
}
