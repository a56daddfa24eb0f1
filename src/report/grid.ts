/**
 * The grid a report runs: which generated blocks (workload × contention × block gas), which
 * engines, which mainnet fixtures and which latency-model points, per profile.
 *
 * - `default` (`npm start`): blocks of mainnet size (30M gas: ~1,430 ETH transfers, ~880
 *   ERC-20 transfers of the OpenZeppelin token, ~280 Uniswap V2 swaps) at the contention levels
 *   that place each workload in each class (independent / partially / fully dependent), a 60M
 *   variant of the independent ERC-20 block, both Block-STM schedulers, the planner with its
 *   cheapest and its exact predictor, threads 1 and 2, two 30M-gas mainnet fixtures and the
 *   latency model at three contention levels. Sized to run in about 6 minutes on a quiet 2-core
 *   machine.
 * - `full` (`--full`): every workload × contention level × 30M and 60M gas, every predictor,
 *   every mainnet fixture.
 * - `quick` (`--quick`): small blocks, a smoke test.
 */
import type { EvmPredictorName } from '../evm/predictors.js'
import type { WorkloadKind } from '../workloads/types.js'
import type { BlockSpec, LatencySpec, ReportProfile, SchedulerName } from './types.js'

export const MAINNET_GAS = 30_000_000

/**
 * Gas per transaction of each generated kind (measured on the generators: a transfer 21,000;
 * an ERC-20 transfer 34,000 between funded holders; a swap ~106,000; an NFT mint ~140,000;
 * the mixed block ~50,000). A first guess only: the runner regenerates a block whose gas is
 * more than 10 % off its target with the count corrected.
 */
export const GAS_PER_TX: Record<WorkloadKind, number> = {
  raw: 21_000,
  'raw-hot': 21_000,
  erc20: 34_000,
  uniswap: 106_000,
  nft: 140_000,
  mixed: 50_000,
}

export const ALL_PREDICTORS: EvmPredictorName[] = ['address', 'address-optimistic', 'access-list', 'oracle']
export const ALL_KINDS: WorkloadKind[] = ['raw', 'raw-hot', 'erc20', 'uniswap', 'nft', 'mixed']

export interface Grid {
  blocks: BlockSpec[]
  threads: number[]
  predictors: EvmPredictorName[]
  schedulers: SchedulerName[]
  mainnet: number | 'all' | string[]
  latency: LatencySpec[]
  timelineBlock: string
  harness: { warmup: number; rounds: number }
}

/** The default run's generated blocks: each kind at the levels that span the classes. */
// Per-block cost of the default run on the quiet 2-core development machine (3 timed rounds,
// docs/research.md): raw 13–15 s, erc20 20 s (60M: 43 s), uniswap 39 s, nft 8–9 s, mixed 22 s,
// a mainnet block 25–28 s (generation included); 290 s in all. raw a10, erc20 a1, mixed a100
// and a third mainnet block are in --full only, to keep `npm start` within about 5 minutes.
const DEFAULT_BLOCKS: Array<[WorkloadKind, number, number]> = [
  ['raw', 1, MAINNET_GAS],
  ['raw', 10_000, MAINNET_GAS],
  ['erc20', 10, MAINNET_GAS],
  ['erc20', 10_000, MAINNET_GAS],
  ['uniswap', 10, MAINNET_GAS],
  ['nft', 1, MAINNET_GAS],
  ['nft', 100, MAINNET_GAS],
  ['mixed', 10, MAINNET_GAS],
  ['erc20', 10_000, 2 * MAINNET_GAS],
]

/** The contention levels of `--full` (and of `--kinds` without `--accounts`): pools and NFT contracts are deployed one by one, so fewer. */
export function fullLevels(kind: WorkloadKind): number[] {
  if (kind === 'uniswap') return [1, 10, 100]
  if (kind === 'nft') return [1, 10, 100, 1000]
  return [1, 10, 100, 1000, 10_000]
}

/** Mainnet fixtures of the default run: two full (30M-gas) blocks of different eras. */
export const DEFAULT_MAINNET = ['14029313', '17666333']

export const LATENCY_DEFAULT = { latencyUs: 500, lanes: 16 }

export function latencyPoints(accounts: number[], threads: number, txs: number): LatencySpec[] {
  return accounts.map((a) => ({ accounts: a, latencyUs: LATENCY_DEFAULT.latencyUs, lanes: LATENCY_DEFAULT.lanes, threads, txs }))
}

export function profileGrid(profile: ReportProfile): Grid {
  if (profile === 'quick') {
    return {
      blocks: [
        { kind: 'raw', accounts: 1, gas: 2_000_000 },
        { kind: 'erc20', accounts: 10_000, gas: 2_000_000 },
        { kind: 'uniswap', accounts: 1, gas: 2_000_000 },
        { kind: 'mixed', accounts: 10, gas: 2_000_000 },
      ],
      threads: [1, 2],
      predictors: ['address', 'oracle'],
      schedulers: ['v1', 'v2'],
      mainnet: ['19933597'],
      latency: latencyPoints([2, 10_000], 2, 200),
      timelineBlock: 'uniswap-a1',
      harness: { warmup: 1, rounds: 1 },
    }
  }
  if (profile === 'full') {
    const blocks: BlockSpec[] = []
    for (const gas of [MAINNET_GAS, 2 * MAINNET_GAS]) for (const kind of ALL_KINDS) for (const a of fullLevels(kind)) blocks.push({ kind, accounts: a, gas })
    return {
      blocks,
      threads: [1, 2],
      predictors: ALL_PREDICTORS,
      schedulers: ['v1', 'v2'],
      mainnet: 'all',
      latency: latencyPoints([2, 10, 100, 10_000], 2, 2000),
      timelineBlock: 'mixed-a10',
      harness: { warmup: 1, rounds: 3 },
    }
  }
  return {
    blocks: DEFAULT_BLOCKS.map(([kind, accounts, gas]) => ({ kind, accounts, gas })),
    threads: [1, 2],
    predictors: ['address', 'oracle'],
    schedulers: ['v1', 'v2'],
    mainnet: DEFAULT_MAINNET,
    latency: latencyPoints([2, 100, 10_000], 2, 500),
    timelineBlock: 'mixed-a10',
    harness: { warmup: 1, rounds: 3 },
  }
}

/** Transactions of a generated block: fixed, or its gas over the kind's gas per transaction. */
export function txsOf(b: BlockSpec): number {
  // One holder transfers to itself: no fresh balance slot, ~26,800 gas.
  const perTx = b.kind === 'erc20' && b.accounts === 1 ? 26_800 : GAS_PER_TX[b.kind]
  return b.txs ?? Math.max(1, Math.round(b.gas / perTx))
}

/** Classes from the exact conflict graph: the critical path's share of the block's work. */
export function classOf(parallelism: number, criticalPathTxs: number): 'independent' | 'partial' | 'dependent' {
  if (parallelism >= 50 || criticalPathTxs <= 2) return 'independent'
  if (parallelism <= 1.25) return 'dependent'
  return 'partial'
}

export const CLASS_RULE =
  'class from the exact (oracle) conflict graph of the block, static-batch rule: independent when total gas / critical-path gas ≥ 50 (the longest chain of conflicting transactions holds ≤ 2 % of the work) or that chain has at most 2 transactions, fully dependent when ≤ 1.25 (≥ 80 %), partially dependent otherwise'

/** The static-batch design's published expectations, per class. */
export const SEED_CLAIMS: Record<string, string> = {
  independent: '10–100×',
  partial: '2–10×',
  dependent: '1×',
  mainnet: '— (no claim)',
  latency: 'asynchronous design: gains grow with I/O latency',
}
