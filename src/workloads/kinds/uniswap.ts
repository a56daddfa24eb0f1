/**
 * Uniswap V2 swaps on mainnet bytecode (v2-core factory and pair, v2-periphery WETH9 and
 * Router02). The pre-state is built by executing the real setup on the setup chain: deploy
 * WETH9, the factory and the router, then for each of `accounts` pools a token
 * (OpenZeppelin ERC20PresetFixedSupply, deployed once and cloned) and
 * `addLiquidityETH` (which creates the pair through the factory and mints LP tokens).
 * Transaction i has its own sender and swaps on a pool chosen uniformly or with Zipf skew:
 * half the swaps are `swapExactETHForTokens`, half `swapExactTokensForETH` (the sender's
 * token balance and router allowance are written in the token's storage). Swaps on one
 * pool all read and write its reserves slot.
 */
import { Address, bytesToBigInt } from '@ethereumjs/util'
import { addr, addrs, encodeArgs, encodeCall, uint } from '../abi.js'
import { uniswapCore, uniswapPeriphery } from '../artifacts.js'
import { ETHER, type BuildContext, type KindBuilder, type TxIntent } from '../builder.js'
import { labelAddress } from '../crypto.js'
import { Chooser, Rng } from '../rng.js'
import { mappingSlot } from '../state.js'
import { AccountPool } from './raw.js'
import { ERC20_ALLOWANCES_SLOT, TOKEN, deployToken, grantTokens } from './erc20.js'

export const SWAP_GAS = 250_000n
const MAX_UINT = (1n << 256n) - 1n
const POOL_ETH = 1000n * ETHER
const POOL_TOKENS = 1_000_000n * TOKEN

export class UniswapBuilder implements KindBuilder {
  private readonly traders: AccountPool
  private readonly chooser: Chooser
  private readonly rng: Rng
  weth!: Address
  factory!: Address
  router!: Address
  readonly tokens: Address[] = []
  constructor(private readonly ctx: BuildContext) {
    this.traders = new AccountPool(ctx, 'uniswap-trader', 10n * ETHER)
    this.chooser = new Chooser(ctx.accounts, ctx.zipf)
    this.rng = new Rng(`${ctx.seed}/uniswap/txs`)
  }

  private get deadline(): bigint {
    return this.ctx.timestamp + 3600n
  }

  /** Writes allowance[owner][spender] = amount in an OpenZeppelin ERC20. */
  private async approve(token: Address, owner: Address, spender: Address, amount: bigint): Promise<void> {
    await this.ctx.chain.putStorage(token, mappingSlot(spender, mappingSlot(owner, ERC20_ALLOWANCES_SLOT)), amount)
  }

  async setup(): Promise<void> {
    const chain = this.ctx.chain
    const me = chain.deployer.address
    this.weth = await chain.deploy(uniswapPeriphery('WETH9').bytecode)
    this.factory = await chain.deploy(uniswapCore('UniswapV2Factory').bytecode, encodeArgs([addr(me)]))
    this.router = await chain.deploy(
      uniswapPeriphery('UniswapV2Router02').bytecode,
      encodeArgs([addr(this.factory), addr(this.weth)]),
    )
    const first = await deployToken(this.ctx, 'Pool Token', 'PT')
    for (let i = 0; i < this.ctx.accounts; i++) {
      let token = first
      if (i > 0) {
        token = labelAddress(`blockstm-workloads/${this.ctx.seed}/uniswap-token/${i}`)
        await chain.cloneContract(first, token)
      }
      this.tokens.push(token)
      await this.approve(token, me, this.router, MAX_UINT)
      if (i === 0) {
        const allowance = await chain.call(token, encodeCall('allowance(address,address)', [addr(me), addr(this.router)]))
        if (bytesToBigInt(allowance) !== MAX_UINT) throw new Error('ERC20 allowance layout assumption does not hold')
      }
      await chain.send(
        this.router,
        encodeCall('addLiquidityETH(address,uint256,uint256,uint256,address,uint256)', [
          addr(token),
          uint(POOL_TOKENS),
          uint(0),
          uint(0),
          addr(me),
          uint(this.deadline),
        ]),
        POOL_ETH,
      )
    }
  }

  async next(i: number): Promise<TxIntent> {
    const sender = await this.traders.funded_(i)
    const token = this.tokens[this.chooser.pick(this.rng)]!
    if (this.rng.int(2) === 0) {
      const value = this.rng.bigint(10n ** 16n, ETHER)
      const data = encodeCall('swapExactETHForTokens(uint256,address[],address,uint256)', [
        uint(1),
        addrs([this.weth, token]),
        addr(sender.address),
        uint(this.deadline),
      ])
      return { sender, to: this.router, data, value, gasLimit: SWAP_GAS }
    }
    const amountIn = this.rng.bigint(10n, 1000n) * TOKEN
    await grantTokens(this.ctx, token, sender.address, amountIn)
    await this.approve(token, sender.address, this.router, amountIn)
    const data = encodeCall('swapExactTokensForETH(uint256,uint256,address[],address,uint256)', [
      uint(amountIn),
      uint(1),
      addrs([token, this.weth]),
      addr(sender.address),
      uint(this.deadline),
    ])
    return { sender, to: this.router, data, gasLimit: SWAP_GAS }
  }

  describe(): string {
    const skew = this.ctx.zipf > 0 ? `Zipf(${this.ctx.zipf})` : 'uniformly'
    return `Uniswap V2 Router02 swaps (half ETH→token, half token→ETH) by distinct traders on ${this.ctx.accounts} token/WETH pools (chosen ${skew}); router ${this.router.toString()}`
  }
}
