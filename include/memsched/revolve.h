/* ADOL-C's Revolve names for memsched_revolve(): a C driver of ADOL-C's
 * `revolve(&check, &capo, &fine, snaps, &info)` switches to memsched by including this header
 * instead of <adolc/revolve.h> and calling memsched_revolve instead of revolve (or
 * memsched_revolve64 from memsched/memsched.h with int64_t counts). Do not include it together with
 * ADOL-C's header. */
#ifndef MEMSCHED_REVOLVE_H
#define MEMSCHED_REVOLVE_H

#include "memsched/memsched.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Revolve's actions under ADOL-C's enumerator names. */
enum revolve_action {
  revolve_advance = MEMSCHED_REVOLVE_ADVANCE,
  revolve_takeshot = MEMSCHED_REVOLVE_TAKESHOT,
  revolve_restore = MEMSCHED_REVOLVE_RESTORE,
  revolve_firsturn = MEMSCHED_REVOLVE_FIRSTURN,
  revolve_youturn = MEMSCHED_REVOLVE_YOUTURN,
  revolve_terminate = MEMSCHED_REVOLVE_TERMINATE,
  revolve_error = MEMSCHED_REVOLVE_ERROR
};

/** ADOL-C's `revolve` on memsched's optimal schedule (memsched_revolve64 has the contract). */
static inline enum revolve_action memsched_revolve(int* check, int* capo, int* fine, int snaps,
                                                   int* info) {
  return (enum revolve_action)memsched_revolve32(check, capo, fine, snaps, info);
}

#ifdef __cplusplus
}
#endif

#endif /* MEMSCHED_REVOLVE_H */
