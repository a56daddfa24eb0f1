#!/bin/bash
# The session-5 battery behind the figures marked "quiet battery" in docs/benchmarks.md: run on
# the 2-core development machine after the session's other work had stopped, one command after
# another. Expects APP (default /tmp/q/app): an empty project with the packed tarball installed
# (npm pack; npm install --omit=dev <tgz>), scripts/runblock-baseline.mjs copied into it, and the
# block `blockstm workload --kind erc20 --accounts 10000 --txs 2000 --out $APP/erc20` wrote.
# Appends one line per measurement to $LOG (default /tmp/q/battery.log). PARTS selects parts
# (startup,process,latency,dropin,evm,a1x5: five consecutive runs of nft a1 and uniswap a1 on each scheduler). Run from the repository root.
set -u
APP=${APP:-/tmp/q/app}; LOG=${LOG:-/tmp/q/battery.log}
ROOT=$PWD
BIN="node $APP/node_modules/blockstm-evm/bin/blockstm.js"
say() { echo "$*" | tee -a "$LOG"; }
t() { # label, command... : wall seconds of one run
  local s=$(date +%s.%N); "${@:2}" > /tmp/q/last.out 2>&1; local rc=$?; local e=$(date +%s.%N)
  say "$(printf '%s %.3f s rc=%d' "$1" "$(echo "$e - $s" | bc)" $rc)"
}
say "# quiet battery $(date -u +%FT%TZ) $(git log --oneline -1 | cut -c1-60); load $(cat /proc/loadavg)"
PARTS=${PARTS:-startup,process,latency,dropin,evm}
case ",$PARTS," in *,startup,*)
  for i in 1 2 3 4 5; do t node-e0 node -e 0; t help $BIN --help; t version $BIN --version; done ;; esac
case ",$PARTS," in *,process,*)
  cd "$APP"
  # Block-STM with the command's tiering and with V8's default (--default-jit); CPU seconds too.
  for i in 1 2 3 4; do
    t blockstm-t2 $BIN block erc20 --engine blockstm --threads 2 --json
    t sequential $BIN block erc20 --engine sequential --json
    t blockstm-t2-default-jit $BIN block erc20 --engine blockstm --threads 2 --default-jit --json
    [ $i -le 2 ] && t runblock node runblock-baseline.mjs erc20
  done
  for e in "--engine blockstm --threads 2" "--engine sequential" "--engine blockstm --threads 2 --default-jit"; do
    say "cpu $e: $( { /usr/bin/time -f 'wall %e user %U sys %S' $BIN block erc20 $e --json > /dev/null; } 2>&1 )"
  done
  cd "$ROOT" ;; esac
case ",$PARTS," in *,latency,*)
  for k in 10000 100 10 2; do for s in v1 v2; do
    say "bench-core k=$k $s $(node bin/blockstm.js bench-core --accounts $k --latency-us 500 --lanes 16 --threads 2 --txs 2000 --scheduler $s --json 2>&1 | tail -1)"
  done; done ;; esac
case ",$PARTS," in *,dropin,*)
  say "dropin $(npx tsx scripts/dropin-bench.ts --txs 2000 --accounts 10000 --runs 5 --threads 2 --lanes 4 2>&1 | tr '\n' ' ')" ;; esac
case ",$PARTS," in *,evm,*)
  for s in v1 v2; do for w in nft uniswap; do
    say "$w-a1 $s $(node bin/blockstm.js bench --workload $w --accounts 1 --txs 2000 --threads 2 --engines sequential,blockstm --scheduler $s --json --min-warmup 2 --max-warmup 4 --rounds 3 --no-progress 2>&1 | tail -1)"
  done; done ;; esac
case ",$PARTS," in *,a1x5,*)
  # Issue 16's EVM targets: five consecutive runs of each command, on each scheduler.
  for s in v1 v2; do for w in nft uniswap; do for i in 1 2 3 4 5; do
    say "$w-a1 $s run $i $(node bin/blockstm.js bench --workload $w --accounts 1 --txs 2000 --threads 2 --engines sequential,blockstm --scheduler $s --json --min-warmup 2 --max-warmup 4 --rounds 3 --no-progress 2>&1 | tail -1)"
  done; done; done ;; esac
say "# end $(date -u +%FT%TZ); load $(cat /proc/loadavg)"
