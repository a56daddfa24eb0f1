#!/bin/bash
# The thread-scaling battery of docs/benchmarks.md ("Thread scaling on a 16-core machine"),
# as run on the session's device machine. It expects, in devpack/ (git-ignored):
#   node.xz        this machine's node binary:        xz -c "$(command -v node)" > devpack/node.xz
#   nm.tar.xz      node_modules without dev-only packages, plus the workload cache entries
#                  (node_modules/.cache/blockstm-workloads/<name>-*) of the blocks below
#   mainnet.tar.xz (optional) mainnet/<n>/ fixture directories and mainnet/block_hashes.json
# and writes into $OUT. Run from the repository root: bash scripts/device-scaling.sh
# (bench.jsonl: "# name" lines, then one JSON object per run; core.jsonl; machine.txt; err.log).
set -u
cd "$(dirname "$0")/.."
source scripts/device-setup.sh
{ echo "node $(node -v), nproc $(nproc)"; lscpu | grep -E 'Model name|^CPU\(s\)|Thread|Socket|MHz'; free -g | head -2; } > $OUT/machine.txt 2>&1
cat $OUT/machine.txt
echo "setup $(el) s"
H="--min-warmup 2 --max-warmup 3 --rounds 3 --no-progress --json"
TL=${TL:-1,2,4,8,16}
LIMIT=${LIMIT:-500}
run() { # name, command...
  local n=$1; shift
  if [ "$(el)" -gt "$LIMIT" ]; then echo "$n skipped (at $(el) s)"; return; fi
  local t=$(date +%s)
  echo "# $n" >> $OUT/bench.jsonl; echo "# $n" >> $OUT/err.log
  "$@" >> $OUT/bench.jsonl 2>> $OUT/err.log; local rc=$?
  echo "$n rc=$rc $(( $(date +%s) - t )) s (at $(el) s)"
}
run erc20-a10000 node bin/blockstm.js bench --workload erc20 --accounts 10000 --txs 2000 --threads $TL $H
run raw-a10000 node bin/blockstm.js bench --workload raw --accounts 10000 --txs 2000 --threads $TL $H
run raw-hot node bin/blockstm.js bench --workload raw-hot --accounts 10000 --txs 2000 --threads $TL $H
run uniswap-a100 node bin/blockstm.js bench --workload uniswap --accounts 100 --txs 500 --threads $TL $H
run mixed-a100 node bin/blockstm.js bench --workload mixed --accounts 100 --txs 500 --threads $TL $H
run nft-a1 node bin/blockstm.js bench --workload nft --accounts 1 --txs 1000 --threads $TL $H
for k in 100000 1; do for t in ${TL//,/ }; do
  [ "$(el)" -gt "$LIMIT" ] && break
  node bin/blockstm.js bench-core --txs 2000 --keys $k --threads $t --rounds 3 --json >> $OUT/core.jsonl 2>> $OUT/err.log
done; echo "core k=$k at $(el) s"; done
if [ -d /tmp/fx/mainnet ]; then
  for t in 8 2; do
    run mainnet-t$t timeout $(( 560 - $(el) > 10 ? 560 - $(el) : 10 )) node bin/blockstm.js bench --mainnet /tmp/fx/mainnet --threads $t --engines sequential,blockstm,ideal --min-warmup 1 --max-warmup 2 --rounds 3 --no-progress --json
  done
fi
ls -la $OUT
