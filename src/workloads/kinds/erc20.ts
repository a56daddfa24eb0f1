/**
 * OpenZeppelin 4.9.6 ERC-20 transfers (`ERC20PresetFixedSupply`, real bytecode deployed by
 * running its constructor). `accounts` holders each get a token balance, written directly in
 * the `_balances` mapping (slot 0 of OZ's ERC20 layout; checked with `balanceOf` during
 * setup). Transaction i is sent by holder i mod `accounts` and transfers a random amount
 * to another holder chosen uniformly or with Zipf skew.
 */
import { Address, bytesToBigInt } from '@ethereumjs/util'
import { addr, encodeArgs, encodeCall, str, uint } from '../abi.js'
import { openZeppelin } from '../artifacts.js'
import { ETHER, type BuildContext, type KindBuilder, type TxIntent } from '../builder.js'
import { Chooser, Rng } from '../rng.js'
import { mappingSlot } from '../state.js'
import { AccountPool } from './raw.js'

export const ERC20_GAS = 80_000n
/** Slot of `_balances` in OpenZeppelin 4.x ERC20. */
export const ERC20_BALANCES_SLOT = 0n
/** Slot of `_allowances` in OpenZeppelin 4.x ERC20. */
export const ERC20_ALLOWANCES_SLOT = 1n
export const TOKEN = 10n ** 18n
export const HOLDER_BALANCE = 1_000_000n * TOKEN
const SUPPLY = 10n ** 12n * TOKEN

/** Deploys an ERC20PresetFixedSupply whose whole supply belongs to the setup deployer. */
export async function deployToken(ctx: BuildContext, name: string, symbol: string): Promise<Address> {
  const art = openZeppelin('ERC20PresetFixedSupply')
  return ctx.chain.deploy(
    art.bytecode,
    encodeArgs([str(name), str(symbol), uint(SUPPLY), addr(ctx.chain.deployer.address)]),
  )
}

/** Moves `amount` of `token` from the deployer's balance to `holder` by writing storage. */
export async function grantTokens(ctx: BuildContext, token: Address, holder: Address, amount: bigint): Promise<void> {
  const chain = ctx.chain
  const from = mappingSlot(chain.deployer.address, ERC20_BALANCES_SLOT)
  const to = mappingSlot(holder, ERC20_BALANCES_SLOT)
  await chain.putStorage(token, from, (await chain.getStorage(token, from)) - amount)
  await chain.putStorage(token, to, (await chain.getStorage(token, to)) + amount)
}

export async function balanceOf(ctx: BuildContext, token: Address, holder: Address): Promise<bigint> {
  return bytesToBigInt(await ctx.chain.call(token, encodeCall('balanceOf(address)', [addr(holder)])))
}

export class Erc20Builder implements KindBuilder {
  private readonly holders: AccountPool
  private readonly chooser: Chooser
  private readonly rng: Rng
  private readonly granted = new Set<number>()
  token!: Address
  constructor(private readonly ctx: BuildContext) {
    this.holders = new AccountPool(ctx, 'erc20-holder', 10n * ETHER)
    this.chooser = new Chooser(ctx.accounts, ctx.zipf)
    this.rng = new Rng(`${ctx.seed}/erc20/txs`)
  }
  async setup(): Promise<void> {
    this.token = await deployToken(this.ctx, 'Workload Token', 'WLT')
  }
  private async holder(i: number) {
    const e = await this.holders.funded_(i)
    if (!this.granted.has(i)) {
      const first = this.granted.size === 0
      this.granted.add(i)
      await grantTokens(this.ctx, this.token, e.address, HOLDER_BALANCE)
      if (first && (await balanceOf(this.ctx, this.token, e.address)) !== HOLDER_BALANCE) {
        throw new Error('ERC20 storage layout assumption (balances at slot 0) does not hold')
      }
    }
    return e
  }
  async next(i: number): Promise<TxIntent> {
    const s = i % this.ctx.accounts
    const sender = await this.holder(s)
    const recipient = await this.holder(this.chooser.pickOther(this.rng, s))
    const amount = this.rng.bigint(1n, 1000n) * TOKEN
    const data = encodeCall('transfer(address,uint256)', [addr(recipient.address), uint(amount)])
    return { sender, to: this.token, data, gasLimit: ERC20_GAS }
  }
  describe(): string {
    const skew = this.ctx.zipf > 0 ? `Zipf(${this.ctx.zipf})` : 'uniformly'
    return `OpenZeppelin ERC20 transfers among ${this.ctx.accounts} holders of token ${this.token.toString()} (recipient chosen ${skew})`
  }
}
