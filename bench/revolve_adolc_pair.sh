#!/usr/bin/env bash
# Paired timing of `memsched plan revolve` (the lazy Revolve stream, and with --verify the
# simulator replaying it) against a plain C++ loop over ADOL-C's revolve() (Debian
# libadolc-dev) counting the same actions, in the same run.
# Usage: bench/revolve_adolc_pair.sh [BUILD_DIR] [REPEATS] [STEPS...]
#   BUILD_DIR: a release build with the memsched CLI (default build/release); REPEATS: runs of
#   each, alternated, medians reported (default 5); STEPS: default 10000000 100000000. c = 100.
# Prints the median user CPU seconds of each and the ratio memsched / ADOL-C.
set -euo pipefail
build=${1:-build/release}
repeats=${2:-5}
shift $(( $# > 2 ? 2 : $# )) || true
steps=("$@")
[[ ${#steps[@]} -gt 0 ]] || steps=(10000000 100000000)
cli="$build/cli/memsched"
[[ -x $cli ]] || { echo "revolve_adolc_pair.sh: build $cli first" >&2; exit 1; }
[[ -f /usr/include/adolc/revolve.h ]] || { echo "revolve_adolc_pair.sh: needs libadolc-dev" >&2; exit 1; }
export MEMSCHED_PROGRESS=0  # no progress lines on stderr for long runs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/adolc_loop.cpp" <<'CPP'
// Drains ADOL-C's revolve() for n steps and c snapshots, counting forward steps and actions.
#include <adolc/revolve.h>
#include <cstdio>
#include <cstdlib>
int main(int argc, char** argv) {
  int capo = 0, fine = std::atoi(argv[1]), check = -1, info = 0;
  const int snaps = std::atoi(argv[2]);
  long long forward = 0, shots = 0, restores = 0, turns = 0, actions = 0;
  for (;;) {
    const int old_capo = capo;
    const enum revolve_action a = revolve(&check, &capo, &fine, snaps, &info);
    ++actions;
    if (a == revolve_advance) forward += capo - old_capo;
    else if (a == revolve_takeshot) ++shots;
    else if (a == revolve_restore) ++restores;
    else if (a == revolve_firsturn || a == revolve_youturn) ++turns;
    else if (a == revolve_terminate) break;
    else { std::fprintf(stderr, "revolve error %d\n", info); return 1; }
  }
  std::printf("advanced steps %lld, takeshots %lld, restores %lld, turns %lld, actions %lld\n",
              forward, shots, restores, turns, actions);
  return 0;
}
CPP
${CXX:-g++} -O2 -o "$work/adolc_loop" "$work/adolc_loop.cpp" -ladolc
user() { /usr/bin/time -f "%U" -o "$work/t" "$@" > "$work/out"; cat "$work/t"; }
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
printf '%-11s %-9s %-12s %-12s %s\n' n mode memsched_s adolc_s ratio
for n in "${steps[@]}"; do
  for mode in json verify; do
    : > "$work/a"; : > "$work/b"
    extra=(); [[ $mode == verify ]] && extra=(--verify)
    for ((k = 0; k < repeats; ++k)); do
      user "$cli" plan revolve --steps "$n" --ram 100 --format json "${extra[@]}" >> "$work/a"
      ours=$(grep -oE '"(advances|actions)": [0-9]+' "$work/out" | tr '\n' ' ')
      user "$work/adolc_loop" "$n" 100 >> "$work/b"
      theirs=$(cat "$work/out")
    done
    a=$(median < "$work/a"); b=$(median < "$work/b")
    printf '%-11s %-9s %-12s %-12s %s\n' "$n" "$mode" "$a" "$b" \
      "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}')"
  done
  echo "  memsched $ours; ADOL-C $theirs"
done
