#!/bin/bash
# The start-up and whole-process figures of docs/benchmarks.md ("Packaging and start-up"), as
# run on the session's device machine. It expects, in devpack/ (git-ignored):
#   node.xz          this machine's node binary (xz -c "$(command -v node)" > devpack/node.xz)
#   after.tar.xz     devproj/: an empty project with the packed tarball installed
#                    (npm install --omit=dev <tgz>), scripts/runblock-baseline.mjs, and the
#                    block `blockstm workload --kind erc20 --accounts 10000 --txs 2000 --out erc20` wrote
#   before.tar.xz    before-proj/: the same with the tarball of the package before this change
# Writes times.txt into $OUT. Run from the repository root: bash scripts/device-startup.sh
set -u
cd "$(dirname "$0")/.."
mkdir -p /tmp/nb /tmp/w
unxz() { if command -v xz >/dev/null; then xz -dc "$1"; else python3 -c "import lzma,sys,shutil; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)" "$1"; fi; }
unxz devpack/node.xz > /tmp/nb/node && chmod +x /tmp/nb/node
export PATH=/tmp/nb:$PATH
unxz devpack/after.tar.xz | tar x -C /tmp/w
unxz devpack/before.tar.xz | tar x -C /tmp/w
{ echo "node $(node -v), nproc $(nproc)"; cat /proc/loadavg; } | tee $OUT/times.txt
t() { # label, command... : wall seconds of one run
  local s=$(date +%s.%N); "${@:2}" > /tmp/w/last.out 2>&1; local rc=$?; local e=$(date +%s.%N)
  printf '%s %.3f rc=%d %s\n' "$1" "$(echo "$e - $s" | bc)" $rc "$(head -1 /tmp/w/last.out | cut -c1-100)" | tee -a $OUT/times.txt
}
A=/tmp/w/devproj; B=/tmp/w/before-proj
NEW="node $A/node_modules/blockstm-evm/bin/blockstm.js"; OLD="node $B/node_modules/blockstm-evm/bin/blockstm.js"
for i in $(seq ${ROUNDS:-3}); do
  t node-e0 node -e 0
  t new-version $NEW --version
  t new-help $NEW --help
  t old-help $OLD --help
done
for i in $(seq ${ROUNDS:-3}); do
  cd $A
  t new-blockstm-t2 $NEW block erc20 --engine blockstm --threads 2 --json
  t new-sequential $NEW block erc20 --engine sequential --json
  if [ $i -le ${RB:-2} ]; then t runblock node runblock-baseline.mjs erc20; fi
  [ $i -le ${OLD:-3} ] || continue
  cd $B
  t old-blockstm-t2 $OLD block erc20 --engine blockstm --threads 2 --json
  t old-sequential $OLD block erc20 --engine sequential --json
done
cat /proc/loadavg >> $OUT/times.txt
