#!/bin/bash
# Scheduler v1 vs v2 battery of docs/benchmarks.md ("Scheduler v2"), on a quiet device machine
# at 2 threads. Expects tmp/devpack/ (git-ignored; carried): node.xz (this machine's node
# binary) and nm.tar.xz (node_modules without test and build tools); see device-setup.sh.
# Writes into $OUT: latency.jsonl (bench-core latency model), evm.jsonl (bench), machine.txt, err.log.
set -u
cd "$(dirname "$0")/.."
ln -sfn tmp/devpack devpack
source scripts/device-setup.sh
{ echo "node $(node -v), nproc $(nproc)"; lscpu | grep -E 'Model name|^CPU\(s\)'; cat /proc/loadavg; } > $OUT/machine.txt 2>&1
echo "setup $(el) s"
LIMIT=${LIMIT:-520}
ONLY=${ONLY:-latency,evm}
run() { # file, name, command...
  local f=$1 n=$2; shift 2
  if [ "$(el)" -gt "$LIMIT" ]; then echo "$n skipped (at $(el) s)"; return; fi
  local t=$(date +%s)
  echo "# $n" >> $OUT/$f; echo "# $n" >> $OUT/err.log
  "$@" >> $OUT/$f 2>> $OUT/err.log; local rc=$?
  echo "$n rc=$rc $(( $(date +%s) - t )) s (at $(el) s)"
}
if [[ $ONLY == *latency* ]]; then
  for k in ${KS:-10000 100 10 2}; do for s in v1 v2; do
    run latency.jsonl "p2p K=$k $s" node bin/blockstm.js bench-core --accounts $k --latency-us 500 --lanes 16 --threads 2 --txs 2000 --scheduler $s --json
  done; done
fi
if [[ $ONLY == *evm* ]]; then
  H="--min-warmup 2 --max-warmup 4 --rounds 3 --no-progress --json"
  for s in v2 v1; do
    run evm.jsonl "nft a1 $s" node bin/blockstm.js bench --workload nft --accounts 1 --txs 2000 --threads 2 --engines sequential,blockstm --scheduler $s $H
  done
  for w in erc20 raw raw-hot; do for s in v2 v1; do
    run evm.jsonl "$w a10000 $s" node bin/blockstm.js bench --workload $w --accounts 10000 --txs 2000 --threads 2 --scheduler $s $H
  done; done
  for s in v2 v1; do
    run evm.jsonl "uniswap a1 $s" node bin/blockstm.js bench --workload uniswap --accounts 1 --txs 2000 --threads 2 --engines sequential,blockstm --scheduler $s $H
  done
fi
cat /proc/loadavg >> $OUT/machine.txt
echo "done $(el) s"
