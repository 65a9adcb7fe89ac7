#!/bin/sh
# Kills one rank of the distributed heat example (SIGKILL) during its reverse sweep, resumes all
# ranks from their journals and checks the gradient bitwise against an uninterrupted run.
# Usage: kill_and_resume.sh MPIEXEC EXAMPLE RANKS WORK_DIR
set -u
mpiexec=$1
example=$2
ranks=$3
work=$4
rm -rf "$work"
mkdir -p "$work"
run() {
  "$mpiexec" -np "$ranks" --oversubscribe --bind-to none --allow-run-as-root "$example" --steps 60 \
    --ram-slots 3 --disk-slots 4 --planner hrevolve "$@"
}
run --disk "$work/reference" --gradient-out "$work/reference.bin" > "$work/reference.txt" || exit 1
actions=$(sed -n 's/.*, \([0-9]*\) actions$/\1/p' "$work/reference.txt")
[ -n "$actions" ] || { echo "no action count in the output"; cat "$work/reference.txt"; exit 1; }
kill_at=$((actions * 3 / 4))
if run --disk "$work/disk" --journal "$work/journal" --kill-at "$kill_at" \
     --kill-rank $((ranks - 1)) > "$work/killed.txt" 2>&1; then
  echo "the run meant to be killed at action $kill_at finished"
  exit 1
fi
run --disk "$work/disk" --journal "$work/journal" --resume --gradient-out "$work/resumed.bin" \
  || exit 1
cmp "$work/reference.bin" "$work/resumed.bin" || { echo "resumed gradient differs"; exit 1; }
echo "killed rank $((ranks - 1)) at action $kill_at of $actions; resumed gradient bitwise equal"
