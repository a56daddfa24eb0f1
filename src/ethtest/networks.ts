/**
 * ethereum/tests network names as fork schedules.
 *
 * A network is either one fork from genesis (`Cancun`) or a transition (read the README of
 * ethereum-tests-more): `XToYAtN` (fork X from genesis, the forks after X up to Y at block N),
 * `XToYAtTimeNk` (at timestamp N×1000) and `XToYAtDiffH` (the merge: Y applies to a block
 * whose parent's total difficulty reached 0xH).
 *
 * Invariants:
 * - `parseNetwork` answers undefined for a name it does not know (the caller reports it as an
 *   unknown network, never as a pass); fork names are those @ethereumjs/common 10.1.3 defines
 *   for mainnet (bpo3…bpo5 exist only as enum names there and are therefore unknown).
 * - `scheduleCommon` is a mainnet Common whose hardfork list carries the network's schedule
 *   (so that `hardforkBlock('london')`, which the base fee and gas limit rules of the first
 *   London block ask, answers the network's block); `forkAt` picks a block's fork from its
 *   number, timestamp and its parent's total difficulty. Forks after the last one of the
 *   network are never active.
 */
import { Common, Mainnet, type ChainConfig, type CustomCrypto } from '@ethereumjs/common'

/** ethereum/tests fork names → @ethereumjs hardfork names. */
const FORKS: Record<string, string> = {
  Frontier: 'chainstart',
  Homestead: 'homestead',
  EIP150: 'tangerineWhistle',
  TangerineWhistle: 'tangerineWhistle',
  EIP158: 'spuriousDragon',
  SpuriousDragon: 'spuriousDragon',
  Byzantium: 'byzantium',
  Constantinople: 'constantinople',
  ConstantinopleFix: 'petersburg',
  Petersburg: 'petersburg',
  Istanbul: 'istanbul',
  MuirGlacier: 'muirGlacier',
  Berlin: 'berlin',
  London: 'london',
  ArrowGlacier: 'arrowGlacier',
  GrayGlacier: 'grayGlacier',
  Merge: 'paris',
  Paris: 'paris',
  Shanghai: 'shanghai',
  Cancun: 'cancun',
  Prague: 'prague',
  Osaka: 'osaka',
  BPO1: 'bpo1',
  BPO2: 'bpo2',
}

/** Mainnet's forks in order, without the DAO fork (an irregular state change no test network schedules) and the netsplit marker. */
const ORDER: string[] = Mainnet.hardforks.map((h) => h.name).filter((n) => n !== 'dao' && n !== 'mergeNetsplitBlock' && n !== 'amsterdam')

export type Activation = { kind: 'block'; at: bigint } | { kind: 'time'; at: bigint } | { kind: 'td'; at: bigint }

export interface Network {
  name: string
  /** The fork from genesis. */
  first: string
  /** The last fork, with how it activates (absent for a single-fork network). */
  transition?: { to: string; activation: Activation }
}

/** The @ethereumjs hardfork of an ethereum/tests fork name (undefined: unknown). */
export function forkHardfork(name: string): string | undefined {
  return Object.hasOwn(FORKS, name) ? FORKS[name] : undefined
}

/** Parses a network name; undefined when a fork in it is unknown or the name is not a schedule. */
export function parseNetwork(name: string): Network | undefined {
  const single = forkHardfork(name)
  if (single !== undefined) return { name, first: single }
  const m = /^([A-Za-z0-9]+?)To([A-Za-z0-9]+?)At(Time|Diff)?([0-9A-Fa-fx]+k?)$/.exec(name)
  if (m === null) return undefined
  const first = forkHardfork(m[1]!)
  const to = forkHardfork(m[2]!)
  if (first === undefined || to === undefined || ORDER.indexOf(to) <= ORDER.indexOf(first)) return undefined
  const raw = m[4]!
  let activation: Activation
  if (m[3] === 'Time') {
    const k = /^(\d+)k$/.exec(raw)
    if (k === null) return undefined
    activation = { kind: 'time', at: BigInt(k[1]!) * 1000n }
  } else if (m[3] === 'Diff') {
    if (!/^[Cc]?[0-9A-Fa-f]+$/.test(raw)) return undefined
    activation = { kind: 'td', at: BigInt('0x' + raw) }
  } else {
    if (!/^\d+$/.test(raw)) return undefined
    activation = { kind: 'block', at: BigInt(raw) }
  }
  return { name, first, transition: { to, activation } }
}

/** The fork of a block of this network. */
export function forkAt(net: Network, number: bigint, timestamp: bigint, parentTd: bigint): string {
  const t = net.transition
  if (t === undefined) return net.first
  const a = t.activation
  const active = a.kind === 'block' ? number >= a.at : a.kind === 'time' ? timestamp >= a.at : parentTd >= a.at
  return active ? t.to : net.first
}

/** Whether the network ever reaches `hardfork`. */
export function reaches(net: Network, hardfork: string): boolean {
  const last = net.transition?.to ?? net.first
  return ORDER.indexOf(last) >= ORDER.indexOf(hardfork)
}

/** The chain config of a network: mainnet with the network's schedule. */
function chainConfig(net: Network): ChainConfig {
  const iFirst = ORDER.indexOf(net.first)
  const iLast = ORDER.indexOf(net.transition?.to ?? net.first)
  const a = net.transition?.activation
  const hardforks = Mainnet.hardforks
    .filter((h) => ORDER.includes(h.name))
    .map((h) => {
      const i = ORDER.indexOf(h.name)
      if (i <= iFirst) return { name: h.name, block: 0 }
      if (i > iLast || a === undefined) return { name: h.name, block: null }
      if (a.kind === 'block') return { name: h.name, block: Number(a.at) }
      if (a.kind === 'time') return { name: h.name, block: null, timestamp: Number(a.at) }
      return { name: h.name, block: null }
    })
  return { ...Mainnet, hardforks } as ChainConfig
}

/** A Common with the network's schedule, set to `hardfork`. */
export function scheduleCommon(net: Network, hardfork: string, customCrypto?: CustomCrypto): Common {
  return new Common({ chain: chainConfig(net), hardfork, ...(customCrypto !== undefined ? { customCrypto } : {}) })
}
