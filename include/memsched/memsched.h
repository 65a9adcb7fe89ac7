/* The C interface of memsched (C99): chains, platforms, any registry planner by name, its
 * actions pulled one at a time, the replay simulator, and a Revolve-compatible control loop.
 *
 * Conventions: every function that can fail returns a memsched_status (MEMSCHED_OK = 0) and
 * leaves a message for memsched_last_error(); no C++ exception crosses this interface. Objects
 * are opaque handles created by *_create and released by *_free (free(NULL) does nothing).
 * Step counts and slot counts are int64_t. Counts follow the project's convention
 * (docs/concepts.md): forward_steps includes the recording run before each adjoint step, so
 * Revolve gives n + t(n, c); advances = forward_steps - recorded_steps is Griewank's t(n, c).
 * Handles are not thread-safe; distinct handles may be used from distinct threads. The last
 * error message and the state of memsched_revolve() are per thread.
 *
 *     memsched_chain* chain; memsched_platform* platform; memsched_report report;
 *     memsched_chain_create(1000, 1.0, 1.0, &chain);
 *     memsched_platform_create_ram(10, &platform);
 *     memsched_simulate_plan(chain, platform, "revolve", NULL, &report);
 *     // report.forward_steps == 4636
 *     memsched_platform_free(platform); memsched_chain_free(chain);
 */
#ifndef MEMSCHED_MEMSCHED_H
#define MEMSCHED_MEMSCHED_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What a call returned. Every failure also sets memsched_last_error(). */
typedef enum memsched_status {
  MEMSCHED_OK = 0,
  MEMSCHED_INVALID_ARGUMENT = 1, /**< a bad value (the message names the function and value) */
  MEMSCHED_OUT_OF_RANGE = 2,     /**< an index out of range */
  MEMSCHED_NO_SCHEDULE = 3,      /**< the planner has no schedule for this chain and platform */
  MEMSCHED_ILLEGAL_SCHEDULE = 4, /**< the simulator rejected an action (message: which, why) */
  MEMSCHED_TOO_LARGE = 5,        /**< the request exceeds a documented limit (or memory) */
  MEMSCHED_INTERNAL_ERROR = 6    /**< anything else; please report it */
} memsched_status;

/** The message of the last failed call on this thread ("" if none). Valid until the next
 * failing call on the same thread. */
const char* memsched_last_error(void);

/** The library version, e.g. "0.1.0". */
const char* memsched_version(void);

/* ---------------------------------------------------------------------------------------- */
/* Chains and platforms                                                                      */

/** A chain of n steps with forward and adjoint costs (memsched::Chain). */
typedef struct memsched_chain memsched_chain;
/** Storage levels and the working buffer (memsched::Platform). */
typedef struct memsched_platform memsched_platform;

/** A chain of `num_steps` steps (1 <= n <= 2^62) with uniform costs uf, ub >= 0. */
memsched_status memsched_chain_create(int64_t num_steps, double forward_cost, double adjoint_cost,
                                      memsched_chain** chain);
/** A chain with per-step costs: arrays of `num_steps` entries each (copied). */
memsched_status memsched_chain_create_costs(int64_t num_steps, const double* forward_costs,
                                            const double* adjoint_costs, memsched_chain** chain);
/** The chain's number of steps (0 for NULL). */
int64_t memsched_chain_num_steps(const memsched_chain* chain);
void memsched_chain_free(memsched_chain* chain);

/** One storage level: `num_slots` checkpoints (MEMSCHED_UNLIMITED_SLOTS for no limit), the
 * cost of writing one and of reading one. `name` is copied. */
typedef struct memsched_level {
  const char* name;
  int64_t num_slots;
  double write_cost;
  double read_cost;
} memsched_level;

/** Slot count of a level without a limit (2^63 - 1). */
#define MEMSCHED_UNLIMITED_SLOTS INT64_MAX

/** A platform of `num_levels` levels, fastest first, and a working buffer holding up to
 * `work_tapes` step tapes (1: Revolve's model). */
memsched_status memsched_platform_create(const memsched_level* levels, size_t num_levels,
                                         int64_t work_tapes, memsched_platform** platform);
/** One free level "ram" with `num_slots` slots (x_0's slot included). */
memsched_status memsched_platform_create_ram(int64_t num_slots, memsched_platform** platform);
void memsched_platform_free(memsched_platform* platform);

/* ---------------------------------------------------------------------------------------- */
/* Planners and actions                                                                      */

/** How many chain planners the registry holds. */
size_t memsched_planner_count(void);
/** The name of planner `index` ("revolve", "online", ...), or NULL if index >= count. */
const char* memsched_planner_name(size_t index);
/** Its one-line summary, or NULL if index >= count. */
const char* memsched_planner_summary(size_t index);

/** Parameters some planners take; 0 means "the planner's default". */
typedef struct memsched_plan_options {
  int64_t period; /**< periodic planners: steps between checkpoints */
  int64_t sweeps; /**< repeated: reverse sweeps after one forward run */
} memsched_plan_options;

/** What an action does (memsched::ActionKind; docs/concepts.md has the exact rules). */
typedef enum memsched_action_kind {
  MEMSCHED_FORWARD = 0,     /**< run steps begin..end-1 on the working state (flag: record) */
  MEMSCHED_REVERSE = 1,     /**< adjoint of steps end-1 down to begin (flag: clear tapes) */
  MEMSCHED_COPY = 2,        /**< copy checkpoint `step` from `from` to `to` */
  MEMSCHED_MOVE = 3,        /**< copy, then release the source */
  MEMSCHED_FREE = 4,        /**< release checkpoint `step` at `from` */
  MEMSCHED_END_FORWARD = 5, /**< the first forward sweep reached x_n */
  MEMSCHED_END_REVERSE = 6  /**< the adjoint front reached 0 */
} memsched_action_kind;

/** What a checkpoint holds. */
typedef enum memsched_content {
  MEMSCHED_STATE = 0, /**< the state x_step */
  MEMSCHED_TAPE = 1   /**< the tape of step `step` */
} memsched_content;

/** The working buffer as a place (levels are 0, 1, ...). */
#define MEMSCHED_WORK (-1)

/** One action as a plain struct (48 bytes, fixed-width fields only, no padding).
 * Fields a kind does not use are 0 (from/to: MEMSCHED_WORK). */
typedef struct memsched_action {
  int32_t kind;    /**< memsched_action_kind */
  int32_t content; /**< memsched_content (copy, move, free) */
  int32_t flag;    /**< forward: record; reverse: clear */
  int32_t from;    /**< copy/move source, free location: a level or MEMSCHED_WORK */
  int32_t to;      /**< copy/move destination */
  int32_t unused;  /**< always 0 */
  int64_t begin;   /**< forward/reverse: first step of the range */
  int64_t end;     /**< forward/reverse: one past the last step */
  int64_t step;    /**< copy/move/free: the checkpoint's step */
} memsched_action;

/** A planner's schedule, produced lazily (O(1) memory per action for the streaming planners,
 * so n = 10^9 is fine). Keeps its own copies of the chain and platform. */
typedef struct memsched_schedule memsched_schedule;

/** Plans `chain` on `platform` with the registry planner called `planner` (any name listed by
 * memsched_planner_name, the online ones included). `options` may be NULL. Returns
 * MEMSCHED_NO_SCHEDULE if no schedule of that planner fits, MEMSCHED_TOO_LARGE if the planner
 * refuses the size up front, MEMSCHED_INVALID_ARGUMENT for an unknown name (the message lists
 * the known ones). */
memsched_status memsched_plan(const memsched_chain* chain, const memsched_platform* platform,
                              const char* planner, const memsched_plan_options* options,
                              memsched_schedule** schedule);
/** The next action in `*action` and *has_action = 1, or *has_action = 0 once the schedule is
 * over (and from then on). */
memsched_status memsched_schedule_next(memsched_schedule* schedule, memsched_action* action,
                                       int* has_action);
void memsched_schedule_free(memsched_schedule* schedule);

/** Readable one-line form of an action ("Forward(0, 2)", "Copy(state 2, work -> L0)") written
 * to `buffer` (always NUL-terminated, truncated to `size` - 1 characters). Returns the length
 * of the full text, like snprintf. */
size_t memsched_action_format(const memsched_action* action, char* buffer, size_t size);

/* ---------------------------------------------------------------------------------------- */
/* Simulation                                                                                */

/** What a legal schedule did (memsched::SimulationReport without the per-level figures,
 * which memsched_simulator_level gives). */
typedef struct memsched_report {
  int64_t num_actions;
  int64_t forward_steps;   /**< every forward step run, recording ones included */
  int64_t recorded_steps;  /**< forward steps run with recording */
  int64_t adjoint_steps;   /**< adjoint steps run */
  int64_t reverse_sweeps;  /**< completed reverse sweeps */
  int64_t peak_work_tapes; /**< most tapes held in the working buffer at once */
  int64_t advances;        /**< forward_steps - recorded_steps: Griewank's t(n, c) */
  double cost;             /**< uf*forward + ub*adjoint + level write and read costs */
} memsched_report;

/** Use of one level over the actions applied so far. */
typedef struct memsched_level_usage {
  int64_t writes;
  int64_t reads;
  int64_t peak;
} memsched_level_usage;

/** The replay simulator: checks actions one at a time (memsched::Simulator). Keeps its own
 * copies of the chain and platform. */
typedef struct memsched_simulator memsched_simulator;

memsched_status memsched_simulator_create(const memsched_chain* chain,
                                          const memsched_platform* platform,
                                          memsched_simulator** simulator);
/** Applies one action; MEMSCHED_ILLEGAL_SCHEDULE (nothing changes) if it breaks a rule. */
memsched_status memsched_simulator_apply(memsched_simulator* simulator,
                                         const memsched_action* action);
/** Checks the end-of-schedule rules and fills `report`. Call once, after the last action. */
memsched_status memsched_simulator_finish(memsched_simulator* simulator, memsched_report* report);
/** Usage of level `level` so far. */
memsched_status memsched_simulator_level(const memsched_simulator* simulator, size_t level,
                                         memsched_level_usage* usage);
void memsched_simulator_free(memsched_simulator* simulator);

/** Plans with `planner` and replays the whole schedule through the simulator, streaming
 * (O(slots) memory): the report of memsched_plan + next + apply + finish in one call. */
memsched_status memsched_simulate_plan(const memsched_chain* chain,
                                       const memsched_platform* platform, const char* planner,
                                       const memsched_plan_options* options,
                                       memsched_report* report);

/* ---------------------------------------------------------------------------------------- */
/* Revolve-compatible control loop (Griewank & Walther, ACM TOMS 26(1), 2000, Algorithm 799)  */

/** The actions of Revolve's protocol, in Revolve's order. */
typedef enum memsched_revolve_action {
  MEMSCHED_REVOLVE_ADVANCE = 0,  /**< run the primal from the old capo to the new capo */
  MEMSCHED_REVOLVE_TAKESHOT = 1, /**< store the state at capo in snapshot slot `check` */
  MEMSCHED_REVOLVE_RESTORE = 2,  /**< load snapshot slot `check` (the state at capo) */
  MEMSCHED_REVOLVE_FIRSTURN = 3, /**< taped step capo -> capo+1, seed the adjoint, reverse it */
  MEMSCHED_REVOLVE_YOUTURN = 4,  /**< taped step capo -> capo+1 and its reverse */
  MEMSCHED_REVOLVE_TERMINATE = 5,
  MEMSCHED_REVOLVE_ERROR = 6
} memsched_revolve_action;

/** Revolve's control loop with 64-bit counts, on memsched's optimal binomial schedule.
 *
 * Protocol (as Revolve's): start with check = -1, capo = 0, fine = n and call repeatedly,
 * doing what the returned action says, until TERMINATE or ERROR. After ADVANCE the caller runs
 * steps old capo .. new capo - 1; TAKESHOT and RESTORE name slot `check` (0 <= check < snaps);
 * after FIRSTURN and YOUTURN, fine == capo == the step just reversed. Snapshots include x_0's.
 * The total advances are the optimum t(n, snaps) (memsched_revolve_numforw) for every n.
 * On ERROR, *info says why (9: bad arguments, e.g. snaps < 1 with n > 1 or fine < capo; 13:
 * check/capo/fine changed other than by this function, e.g. fine enlarged: online use is not
 * supported, use the "online" planner) and memsched_last_error() has the message. `info` may
 * be NULL. The state between calls is per thread, and a call with check = -1 and capo < fine
 * starts a new reversal. O(1) amortised per call. */
memsched_revolve_action memsched_revolve64(int64_t* check, int64_t* capo, int64_t* fine,
                                           int64_t snaps, int* info);
/** The same with int counts (ADOL-C's signature). memsched/revolve.h wraps it as
 * memsched_revolve() returning ADOL-C's enum, so that a driver of ADOL-C's
 * `revolve(&check, &capo, &fine, snaps, &info)` switches by changing the include and the call's
 * name. */
memsched_revolve_action memsched_revolve32(int* check, int* capo, int* fine, int snaps, int* info);

/** beta(snaps, reps) = C(snaps + reps, snaps): the most steps `snaps` snapshots reverse with no
 * step advanced more than `reps` times (Revolve's maxrange, saturating at 2^62 instead of
 * 2^31 - 1; 0 for negative arguments). */
int64_t memsched_revolve_maxrange(int64_t snaps, int64_t reps);
/** Revolve's adjust: a number of snapshots for `steps` steps that balances snapshots and
 * repetitions (beta(snaps, reps) >= steps with snaps close to reps); 1 for steps <= 1. */
int64_t memsched_revolve_adjust(int64_t steps);
/** The fewest advances t(steps, snaps) (Revolve's numforw; closed form, O(log steps)); -1 with
 * memsched_last_error() set if steps < 1, snaps < 1 with steps > 1, or on 64-bit overflow. */
int64_t memsched_revolve_numforw(int64_t steps, int64_t snaps);

#ifdef __cplusplus
}
#endif

#endif /* MEMSCHED_MEMSCHED_H */
