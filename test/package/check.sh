#!/usr/bin/env bash
# Packaging check (run by .ci/run): the package as a user gets it.
#  1. npm pack; install the tarball into an empty project without dev dependencies;
#  2. plain node (no tsx, no loader): import both entries, run one mainnet block with
#     createEvmExecutor({ engine: 'blockstm', threads: 2 }), check headerMatch, close; then
#     the testing entry with fast-check installed: checkDeterminism and `blockstm check` on a
#     plain-JS VM module;
#  3. type-check a consumer .ts under strict against the shipped declarations;
#  4. publint and attw (ESM entry points) on the tarball;
#  5. esbuild-bundle the consumer (worker.js and txvm.js as separate entry points) and run it;
#  6. `blockstm block` through the installed bin runs the command-line bundle (dist/cli-bundle):
#     it still runs, with Block-STM and the static-batch planner, once dist/cli/ is moved away.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
FIXTURE=${BLOCKSTM_PACKAGE_FIXTURE:-$ROOT/fixtures/mainnet/6196166}
[ -n "${BLOCKSTM_FIXTURES:-}" ] && FIXTURE=${BLOCKSTM_PACKAGE_FIXTURE:-$BLOCKSTM_FIXTURES/mainnet/6196166}
T0=$(date +%s)
# dist/ is built by `prepare` (npm ci / npm install); rebuild only when a source is newer.
if [ ! -f dist/index.js ] || [ ! -f dist/cli-bundle/block.js ] || [ -n "$(find src -newer dist/index.js -name '*.ts' -print -quit)" ]; then npm run -s build; fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
TGZ=$(npm pack --ignore-scripts --silent --pack-destination "$WORK" | tail -1)
echo "packed $TGZ ($(du -k "$WORK/$TGZ" | cut -f1) KiB)"
mkdir "$WORK/app"
cp test/package/consumer.mjs test/package/consumer.ts test/package/tsconfig.json "$WORK/app/"
cd "$WORK/app"
echo '{ "name": "consumer", "version": "1.0.0", "private": true, "type": "module" }' > package.json
npm install --omit=dev --no-audit --no-fund --loglevel=error "$WORK/$TGZ"
echo "installed: $(du -sk node_modules | cut -f1) KiB in node_modules"
[ -e node_modules/tsx ] && { echo "tsx was installed with the package"; exit 1; }
node consumer.mjs "$FIXTURE"
# The testing entry (fast-check is its optional peer, installed here) on a plain-JS VM module,
# from the library and from the command line (compiled bin, no tsx).
npm install --no-save --no-audit --no-fund --loglevel=error fast-check@^4
cp "$ROOT/test/package/kitVm.mjs" "$ROOT/test/package/kitConsumer.mjs" .
node kitConsumer.mjs
npx --no-install blockstm check --vm kitVm.mjs --runs 10 --threads 2
# Strict type-check against the shipped .d.ts, library files included (the repository's tsc,
# @types/node, and @types/debug which @ethereumjs/evm and mpt declarations refer to).
mkdir -p node_modules/@types && ln -s "$ROOT/node_modules/@types/node" "$ROOT/node_modules/@types/debug" node_modules/@types/
"$ROOT/node_modules/.bin/tsc" -p tsconfig.json
echo "consumer.ts type-checks (strict)"
cd "$ROOT"
npx --no-install publint run "$WORK/$TGZ" --strict
npx --no-install attw "$WORK/$TGZ" --profile esm-only
# The bundler configuration the README gives, on the installed package.
node --input-type=module -e "
  import { bundleConsumer } from '$ROOT/test/package/bundle.mjs'
  await bundleConsumer({ app: '$WORK/app/consumer.mjs', outdir: '$WORK/app/out', absWorkingDir: '$WORK/app' })
"
ls "$WORK/app/out"
node "$WORK/app/out/app.js" "$FIXTURE"
# The bin runs `blockstm block` from the command-line bundle: with dist/cli/ gone it still runs.
cd "$WORK/app"
mv node_modules/blockstm-evm/dist/cli node_modules/blockstm-evm/dist/cli.away
for engine in "blockstm --threads 2" "static-batch --threads 2"; do
  npx --no-install blockstm block "$FIXTURE" --engine $engine --json > block-out.json
  node -e "const r = JSON.parse(require('fs').readFileSync('block-out.json', 'utf8')); if (!r.headerMatch.gasUsed || !r.headerMatch.logsBloom || r.headerMatch.receiptsRoot === false) process.exit(1); console.log('bundled blockstm block (' + r.engine + '): header matches')"
done
mv node_modules/blockstm-evm/dist/cli.away node_modules/blockstm-evm/dist/cli
cd "$ROOT"
echo "packaging check passed in $(( $(date +%s) - T0 )) s"
