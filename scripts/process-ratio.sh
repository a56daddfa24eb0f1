#!/bin/bash
# Issue 12, item 5: the whole-process ratio of plain @ethereumjs runBlock to `blockstm block
# --engine blockstm --threads 2`, interleaved so that both see the same machine: R rounds of
# [one runBlock process, three blockstm processes]; prints every wall time (ms), the medians,
# their ratio and the 1-minute load average before and after.
#
# Expects APP (default /tmp/q/app) as scripts/quiet-battery.sh does: an empty project with the
# packed tarball installed (npm pack; npm install --omit=dev <tgz>), scripts/runblock-baseline.mjs
# copied into it, and the block `blockstm workload --kind erc20 --accounts 10000 --txs 2000
# --out $APP/erc20` wrote.
#   APP=/tmp/q/app R=3 bash scripts/process-ratio.sh
set -u
APP=${APP:-/tmp/q/app}; R=${R:-3}
cd "$APP" || exit 2
BLOCKSTM="node node_modules/blockstm-evm/bin/blockstm.js block erc20 --engine blockstm --threads 2 --json"
ms() { local s=$(date +%s%N); "$@" > /dev/null 2>&1 || echo "failed: $*" >&2; echo $(( ($(date +%s%N) - s) / 1000000 )); }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
RB=(); BS=()
before=$(cut -d' ' -f1 /proc/loadavg)
for i in $(seq "$R"); do
  RB+=("$(ms node runblock-baseline.mjs erc20)")
  for j in 1 2 3; do BS+=("$(ms $BLOCKSTM)"); done
done
mr=$(median "${RB[@]}"); mb=$(median "${BS[@]}")
echo "runblock ${RB[*]} (median $mr) | blockstm ${BS[*]} (median $mb) | ratio $(echo "scale=2; $mr / $mb" | bc) | load $before -> $(cut -d' ' -f1 /proc/loadavg)"
