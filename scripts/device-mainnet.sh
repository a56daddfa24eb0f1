#!/bin/bash
# The session-3 device battery of docs/benchmarks.md ("Thread scaling on a 16-core machine
# (session 3)"): the 16 largest mainnet fixtures at 8, 4, 16 and 2 threads, and the erc20
# thread sweep. It expects, in devpack/ (git-ignored), what scripts/device-scaling.sh expects
# (node.xz, nm.tar.xz, mainnet.tar.xz with mainnet/<n>/ for the blocks of >= 176
# transactions) and writes into $OUT: bench.jsonl ("# name" lines, then one JSON object per
# run), machine.txt, err.log. Run from the repository root: bash scripts/device-mainnet.sh
set -u
cd "$(dirname "$0")/.."
source scripts/device-setup.sh
{ echo "node $(node -v), nproc $(nproc)"; lscpu | grep -E 'Model name|^CPU\(s\)|Thread|Socket|MHz'; git log --oneline | head -1; } > $OUT/machine.txt 2>&1
cat $OUT/machine.txt; echo "setup $(el) s"
LIMIT=${LIMIT:-520}
run() { # name, command...
  local n=$1; shift
  if [ "$(el)" -gt "$LIMIT" ]; then echo "$n skipped (at $(el) s)"; return; fi
  local t=$(date +%s); echo "# $n" >> $OUT/bench.jsonl; echo "# $n" >> $OUT/err.log
  timeout $(( 575 - $(el) )) "$@" >> $OUT/bench.jsonl 2>> $OUT/err.log; echo "$n rc=$? $(( $(date +%s) - t )) s (at $(el) s)"
}
M="--engines sequential,blockstm,ideal --min-warmup 1 --max-warmup 2 --rounds 3 --no-progress --json"
run mainnet-t8 node bin/blockstm.js bench --mainnet /tmp/fx/mainnet --threads 8 $M
run mainnet-t4 node bin/blockstm.js bench --mainnet /tmp/fx/mainnet --threads 4 $M
run erc20-a10000 node bin/blockstm.js bench --workload erc20 --accounts 10000 --txs 2000 --threads 1,2,4,8,16 --min-warmup 2 --max-warmup 3 --rounds 3 --no-progress --json
run mainnet-t16 node bin/blockstm.js bench --mainnet /tmp/fx/mainnet --threads 16 $M
run mainnet-t2 node bin/blockstm.js bench --mainnet /tmp/fx/mainnet --threads 2 $M
ls -la $OUT
