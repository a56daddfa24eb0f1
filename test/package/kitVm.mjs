// A user's transaction VM in plain JavaScript with its block generator, for the packaging
// check of the testing entry (blockstm-evm/testing): transfers between four accounts.
const key = (account) => Uint8Array.of(account)
const toBig = (v) => (v ?? []).reduce((x, b) => (x << 8n) | BigInt(b), 0n)
const toBytes = (x) => Uint8Array.from(Buffer.from(x.toString(16).padStart(16, '0'), 'hex'))

export function createTransactionVM(payload) {
  return {
    async execute(txIndex, view) {
      const { from, to, amount } = payload[txIndex]
      const balance = toBig(await view.read(key(from)))
      if (balance < BigInt(amount)) return { ok: false }
      view.write(key(from), toBytes(balance - BigInt(amount)))
      view.write(key(to), toBytes(toBig(await view.read(key(to))) + BigInt(amount)))
      return { ok: true }
    },
  }
}

export function blocks(fc) {
  const transfer = fc.record({ from: fc.nat(3), to: fc.nat(3), amount: fc.integer({ min: 1, max: 50 }) })
  return fc
    .record({ txs: fc.array(transfer, { minLength: 1, maxLength: 20 }), balances: fc.array(fc.nat(100), { minLength: 4, maxLength: 4 }) })
    .map(({ txs, balances }) => ({ txCount: txs.length, payload: txs, base: balances.map((b, a) => [key(a), toBytes(BigInt(b))]) }))
}
