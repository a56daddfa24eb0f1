/**
 * A seeded mix of the other kinds in one block: each transaction picks a kind (raw 25%,
 * raw-hot 10%, erc20 30%, uniswap 20%, nft 15%) and takes that kind's next transaction.
 * Every component gets the same `accounts` and Zipf parameters, and its own accounts and
 * contracts, all deployed on the same setup chain.
 */
import type { BuildContext, KindBuilder, TxIntent } from '../builder.js'
import { Rng } from '../rng.js'
import type { WorkloadKind } from '../types.js'

const MIX: Array<[WorkloadKind, number]> = [
  ['raw', 0.25],
  ['raw-hot', 0.1],
  ['erc20', 0.3],
  ['uniswap', 0.2],
  ['nft', 0.15],
]

export class MixedBuilder implements KindBuilder {
  private readonly parts: Array<{ kind: WorkloadKind; weight: number; builder: KindBuilder; count: number; used: boolean }>
  private readonly rng: Rng
  constructor(
    ctx: BuildContext,
    make: (kind: WorkloadKind, ctx: BuildContext) => KindBuilder,
  ) {
    this.parts = MIX.map(([kind, weight]) => ({ kind, weight, builder: make(kind, ctx), count: 0, used: false }))
    this.rng = new Rng(`${ctx.seed}/mixed/kinds`)
  }
  async setup(): Promise<void> {
    for (const p of this.parts) await p.builder.setup()
  }
  async next(_i: number): Promise<TxIntent> {
    let u = this.rng.float()
    let part = this.parts[this.parts.length - 1]!
    for (const p of this.parts) {
      if (u < p.weight) {
        part = p
        break
      }
      u -= p.weight
    }
    part.used = true
    return part.builder.next(part.count++)
  }
  describe(): string {
    const counts = this.parts.map((p) => `${p.kind} ${p.count}`).join(', ')
    return `Mixed block (${counts}): ${this.parts.map((p) => p.builder.describe()).join('; ')}`
  }
}
