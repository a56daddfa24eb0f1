import type { BuildContext, KindBuilder, TxIntent } from '../builder.js'
export class UniswapBuilder implements KindBuilder {
  constructor(private readonly ctx: BuildContext) {}
  async setup(): Promise<void> {}
  async next(_i: number): Promise<TxIntent> { throw new Error('todo') }
  describe(): string { return '' }
}
