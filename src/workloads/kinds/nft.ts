/**
 * ERC-721 mints on OpenZeppelin 4.9.6 `ERC721PresetMinterPauserAutoId` (real bytecode):
 * `mint(to)` takes the next id from the `_tokenIdTracker` counter, so every mint on one
 * contract reads and writes the same hot slot (plus ERC721Enumerable's `_allTokens`).
 * `accounts` contracts are deployed (one constructor run, then cloned: the constructor's
 * storage does not depend on the contract address); transaction i has its own sender, who
 * mints to itself on a contract chosen uniformly or with Zipf skew. Each sender is granted
 * MINTER_ROLE on its contract by writing AccessControl's `_roles[MINTER_ROLE].members`
 * entry (the mapping slot is located by finding the deployer's own grant).
 */
import { Address, utf8ToBytes } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { addr, encodeArgs, encodeCall, str } from '../abi.js'
import { openZeppelin } from '../artifacts.js'
import { ETHER, type BuildContext, type KindBuilder, type TxIntent } from '../builder.js'
import { labelAddress } from '../crypto.js'
import { Chooser, Rng } from '../rng.js'
import { mappingSlot } from '../state.js'
import { AccountPool } from './raw.js'

export const NFT_GAS = 300_000n
export const MINTER_ROLE = keccak_256(utf8ToBytes('MINTER_ROLE'))

export class NftBuilder implements KindBuilder {
  private readonly minters: AccountPool
  private readonly chooser: Chooser
  private readonly rng: Rng
  readonly contracts: Address[] = []
  private rolesSlot = -1n
  constructor(private readonly ctx: BuildContext) {
    this.minters = new AccountPool(ctx, 'nft-minter', ETHER)
    this.chooser = new Chooser(ctx.accounts, ctx.zipf)
    this.rng = new Rng(`${ctx.seed}/nft/txs`)
  }
  /** Slot of `_roles[role].members[account]`. */
  private memberSlot(account: Address): Uint8Array {
    return mappingSlot(account, mappingSlot(MINTER_ROLE, this.rolesSlot))
  }
  async setup(): Promise<void> {
    const chain = this.ctx.chain
    const art = openZeppelin('ERC721PresetMinterPauserAutoId')
    const first = await chain.deploy(art.bytecode, encodeArgs([str('Workload NFT'), str('WNFT'), str('https://nft.example/')]))
    for (let s = 0n; s < 16n && this.rolesSlot < 0n; s++) {
      this.rolesSlot = s
      if ((await chain.getStorage(first, this.memberSlot(chain.deployer.address))) === 1n) break
      this.rolesSlot = -1n
    }
    if (this.rolesSlot < 0n) throw new Error('could not locate AccessControl _roles in ERC721PresetMinterPauserAutoId')
    this.contracts.push(first)
    for (let i = 1; i < this.ctx.accounts; i++) {
      const a = labelAddress(`blockstm-workloads/${this.ctx.seed}/nft/${i}`)
      await chain.cloneContract(first, a)
      this.contracts.push(a)
    }
  }
  async next(i: number): Promise<TxIntent> {
    const sender = await this.minters.funded_(i)
    const contract = this.contracts[this.chooser.pick(this.rng)]!
    await this.ctx.chain.putStorage(contract, this.memberSlot(sender.address), 1n)
    const data = encodeCall('mint(address)', [addr(sender.address)])
    return { sender, to: contract, data, gasLimit: NFT_GAS }
  }
  describe(): string {
    const skew = this.ctx.zipf > 0 ? `Zipf(${this.ctx.zipf})` : 'uniformly'
    return `ERC721PresetMinterPauserAutoId mints by distinct minters on ${this.ctx.accounts} NFT contracts (chosen ${skew}); each contract's token counter is a hot slot`
  }
}
