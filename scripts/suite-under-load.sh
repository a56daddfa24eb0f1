#!/bin/bash
# Issue 14, item 6: the full suite (`npm test`) three times in a row while a CPU-bound process
# runs on every core (two `node -e 'for(;;){}'` on the 2-core machine; CORES overrides).
# Run from the root of a clean clone beside ../shared. One line per run in $LOG.
set -u
LOG=${LOG:-/tmp/suite-under-load.log}
CORES=${CORES:-2}
PIDS=()
for _ in $(seq 1 "$CORES"); do node -e 'for(;;){}' & PIDS+=($!); done
trap 'kill "${PIDS[@]}" 2>/dev/null' EXIT
echo "$(git log --oneline -1 | cut -c1-60); $CORES spinners; $(date -u +%FT%TZ); load $(cat /proc/loadavg)" > "$LOG"
for i in 1 2 3; do
  s=$(date +%s)
  npm test > "/tmp/suite-under-load-$i.log" 2>&1; rc=$?
  echo "run $i rc=$rc $(( $(date +%s) - s )) s; $(sed 's/\x1b\[[0-9;]*m//g' "/tmp/suite-under-load-$i.log" | grep -E 'Test Files|Tests ' | tr -s ' ' | tr '\n' ' '); load $(cat /proc/loadavg)" >> "$LOG"
done
echo "end $(date -u +%FT%TZ)" >> "$LOG"
