#!/bin/bash
# The research report on the device machine (docs/research.md): `npm start` timed in a fresh
# copy of the tree on two pinned cores (taskset -c 0,1: the 2-core machine, quiet), then a
# many-core report (threads 2..16) to merge with `blockstm report --from … --merge …`.
# Expects devpack/ as scripts/device-setup.sh describes (node.xz, nm.tar.xz, mainnet.tar.xz
# holding the default run's mainnet fixtures). Writes into $OUT: machine.txt, npm-start.log,
# report-default.tgz (the report/ folder), many.log, many-results.json.
set -u
cd "$(dirname "$0")/.."
source scripts/device-setup.sh
{ echo "node $(node -v), nproc $(nproc)"; lscpu | grep -E 'Model name|^CPU\(s\)|MHz'; free -g | head -2; } > $OUT/machine.txt 2>&1
LIMIT=${LIMIT:-570}
# A fresh copy: the tree without node_modules' caches, builds or earlier reports.
rm -rf /tmp/fresh /tmp/many && mkdir -p /tmp/fresh
tar c --exclude=./node_modules --exclude=./dist --exclude=./report --exclude=./devpack --exclude=./.git . | tar x -C /tmp/fresh
cp -r node_modules /tmp/fresh/ && rm -rf /tmp/fresh/node_modules/.cache
cp -r /tmp/fresh /tmp/many
echo "setup $(el) s"
PIN=""; command -v taskset >/dev/null && PIN="taskset -c 0,1"
# What `npm start` runs (package.json "start"), on two cores.
(cd /tmp/fresh && cat /proc/loadavg && time BLOCKSTM_FIXTURES=/tmp/fx $PIN node bin/blockstm.js report; cat /proc/loadavg) > $OUT/npm-start.log 2>&1
echo "npm start rc=$? at $(el) s"; tail -3 $OUT/npm-start.log
(cd /tmp/fresh && tar czf $OUT/report-default.tgz report)
REST=$(( LIMIT - $(el) ))
if [ $REST -gt 60 ]; then
  (cd /tmp/many && timeout $REST env BLOCKSTM_FIXTURES=/tmp/fx node bin/blockstm.js report --kinds erc20 --accounts 10000 --gas 30M \
    --mainnet 13217637,17666333 --threads 2,4,8,16 --schedulers v1,v2 --predictors oracle --latency 2,100,10000 --latency-txs 500 --rounds 2 --out /tmp/many/report) > $OUT/many.log 2>&1
  echo "many rc=$? at $(el) s"
  cp /tmp/many/report/results.json $OUT/many-results.json 2>/dev/null
fi
