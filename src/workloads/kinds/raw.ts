/**
 * Plain ETH transfers.
 * - `raw`: `accounts` funded accounts; transaction i is sent by account i mod `accounts`
 *   (distinct senders while txs ≤ accounts, then repeated senders with increasing nonces)
 *   to another account of the set, chosen uniformly or with Zipf skew.
 * - `raw-hot`: `accounts` distinct senders (round robin), every transfer to ONE recipient
 *   (an exchange deposit address): every transaction writes the same balance.
 */
import type { Address } from '@ethereumjs/util'
import { deriveEoa, labelAddress, type Eoa } from '../crypto.js'
import { Chooser, Rng } from '../rng.js'
import { ETHER, type BuildContext, type KindBuilder, type TxIntent } from '../builder.js'

export const RAW_GAS = 21_000n

/** Lazily derived and funded accounts of one role. */
export class AccountPool {
  private readonly eoas: Eoa[] = []
  private readonly funded = new Set<number>()
  constructor(
    private readonly ctx: BuildContext,
    private readonly role: string,
    private readonly funding: bigint,
  ) {}
  get(i: number): Eoa {
    let e = this.eoas[i]
    if (e === undefined) e = this.eoas[i] = deriveEoa(this.ctx.seed, this.role, i)
    return e
  }
  /** Account `i`, funded on the setup chain the first time it is used. */
  async funded_(i: number): Promise<Eoa> {
    const e = this.get(i)
    if (!this.funded.has(i)) {
      this.funded.add(i)
      await this.ctx.chain.setBalance(e.address, this.funding)
    }
    return e
  }
}

export class RawBuilder implements KindBuilder {
  private readonly pool: AccountPool
  private readonly chooser: Chooser
  private readonly rng: Rng
  constructor(private readonly ctx: BuildContext) {
    this.pool = new AccountPool(ctx, 'raw', 100n * ETHER)
    this.chooser = new Chooser(ctx.accounts, ctx.zipf)
    this.rng = new Rng(`${ctx.seed}/raw/txs`)
  }
  async setup(): Promise<void> {}
  async next(i: number): Promise<TxIntent> {
    const s = i % this.ctx.accounts
    const sender = await this.pool.funded_(s)
    const r = this.chooser.pickOther(this.rng, s)
    const recipient = await this.pool.funded_(r)
    const value = this.rng.bigint(10n ** 15n, 10n ** 17n)
    return { sender, to: recipient.address, value, gasLimit: RAW_GAS }
  }
  describe(): string {
    const skew = this.ctx.zipf > 0 ? `Zipf(${this.ctx.zipf})` : 'uniformly'
    return `ETH transfers among ${this.ctx.accounts} accounts (sender i mod ${this.ctx.accounts}, recipient chosen ${skew})`
  }
}

export class RawHotBuilder implements KindBuilder {
  private readonly pool: AccountPool
  private readonly rng: Rng
  readonly recipient: Address
  constructor(private readonly ctx: BuildContext) {
    this.pool = new AccountPool(ctx, 'raw-hot', 100n * ETHER)
    this.rng = new Rng(`${ctx.seed}/raw-hot/txs`)
    this.recipient = labelAddress(`blockstm-workloads/${ctx.seed}/exchange-deposit`)
  }
  async setup(): Promise<void> {
    await this.ctx.chain.setBalance(this.recipient, ETHER)
  }
  async next(i: number): Promise<TxIntent> {
    const sender = await this.pool.funded_(i % this.ctx.accounts)
    const value = this.rng.bigint(10n ** 15n, 10n ** 17n)
    return { sender, to: this.recipient, value, gasLimit: RAW_GAS }
  }
  describe(): string {
    return `ETH transfers from ${this.ctx.accounts} senders (round robin) to one exchange deposit address ${this.recipient.toString()}`
  }
}
