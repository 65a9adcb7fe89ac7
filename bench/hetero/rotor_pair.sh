#!/usr/bin/env bash
# Paired timing of memsched's persistent table against rotor's own C loops of the same dynamic
# program (Beaumont et al., RR-9302 / ACM TOMS), on the same chain in the same units.
# Usage: bench/hetero/rotor_pair.sh ROTOR_CHECKOUT [BUILD_DIR] [REPEATS]
#   ROTOR_CHECKOUT: a clone of rotor (gitlab.inria.fr/topal/rotor or a fork); its loops are cut
#   out of rotor/algorithms/dynamic_programs.c at run time into a plain C harness (no Python).
#   BUILD_DIR: a release build with the hetero_rotor_pair target (default build/release).
# Prints, for L = 50, 100, 200 stages and M = 500 units, the median user CPU time of both and
# the ratio memsched / rotor; then plan_persistent at L = 1000, M = 1000 with its peak RSS.
set -euo pipefail
rotor=${1:?usage: rotor_pair.sh ROTOR_CHECKOUT [BUILD_DIR] [REPEATS]}
build=${2:-build/release}
repeats=${3:-3}
source_c="$rotor/rotor/algorithms/dynamic_programs.c"
driver="$build/bench/hetero/hetero_rotor_pair"
[[ -f $source_c ]] || { echo "rotor_pair.sh: no $source_c" >&2; exit 1; }
[[ -x $driver ]] || { echo "rotor_pair.sh: build $driver first (cmake --build $build --target hetero_rotor_pair)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# rotor's table loops: from the OPT macro to the first free() after them.
awk '/#define OPT\(m, i, l\)/ {on = 1} on && /free\(fw\)/ {exit} on {print}' "$source_c" > "$work/loops.inc"
[[ -s $work/loops.inc ]] || { echo "rotor_pair.sh: loops not found in $source_c" >&2; exit 1; }
cat > "$work/harness.c" <<'C'
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
static double user_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec;
}
static double* read_doubles(FILE* f, long count) {
  double* v = calloc((size_t)count + 1, sizeof(double));
  for (long k = 0; k < count; ++k) if (fscanf(f, "%lf", &v[k]) != 1) exit(1);
  return v;
}
static long* read_longs(FILE* f, long count) {
  long* v = calloc((size_t)count + 1, sizeof(long));
  for (long k = 0; k < count; ++k) {
    double x;
    if (fscanf(f, "%lf", &x) != 1) exit(1);
    v[k] = (long)x;
  }
  return v;
}
int main(int argc, char** argv) {
  FILE* f = fopen(argv[1], "r");
  long chain_length, mmax_l;
  if (f == NULL || fscanf(f, "%ld %ld", &chain_length, &mmax_l) != 2) return 1;
  int mmax = (int)mmax_l;
  double* fw = read_doubles(f, chain_length + 1);
  double* bw = read_doubles(f, chain_length + 1);
  long* cw = read_longs(f, chain_length + 2);
  long* cbw = read_longs(f, chain_length + 2);
  long* fwd_tmp = read_longs(f, chain_length + 1);
  long* bwd_tmp = read_longs(f, chain_length + 2);
  fclose(f);
  double start = user_seconds();
#include "loops.inc"
  double seconds = user_seconds() - start;
  printf("rotor_table_user_s %.3f opt %.17g\n", seconds, OPT(mmax - cw[0], 0, chain_length));
  free(opt);
  free(what);
  return 0;
}
C
${CC:-gcc} ${CFLAGS:--O2} -w -o "$work/rotor_loops" "$work/harness.c" -lm

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
printf '%-6s %-6s %-14s %-14s %-8s %s\n' L M memsched_s rotor_C_s ratio "optimum (memsched | rotor)"
for L in 50 100 200; do
  M=500
  : > "$work/ours" ; : > "$work/theirs"
  for ((k = 0; k < repeats; ++k)); do
    ours=$("$driver" table "$L" "$M" "$work/arrays")
    theirs=$("$work/rotor_loops" "$work/arrays")
    echo "$ours" | awk '{print $2}' >> "$work/ours"
    echo "$theirs" | awk '{print $2}' >> "$work/theirs"
    opt_ours=$(echo "$ours" | awk '{print $4}')
    opt_theirs=$(echo "$theirs" | awk '{print $4}')
  done
  a=$(median < "$work/ours")
  b=$(median < "$work/theirs")
  printf '%-6s %-6s %-14s %-14s %-8s %s | %s\n' "$L" "$M" "$a" "$b" \
    "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.3f", (b > 0) ? a / b : 0}')" "$opt_ours" "$opt_theirs"
done

echo
echo "plan_persistent, L = 1000, M = 1000 (/usr/bin/time -v):"
/usr/bin/time -v "$driver" plan 1000 1000 2> "$work/time.txt"
grep -E "User time|Maximum resident" "$work/time.txt"
