/**
 * Typed errors of the EVM binding. Every error says what went wrong and, for input errors,
 * which file (or argument) was at fault. An invariant of the binding itself (its RLP writer
 * and reader, receipt tails) throws the engine's {@link EngineInvariantError}, re-exported
 * here: a bug, never a property of the input.
 */
export { EngineInvariantError } from '../mvmemory/errors.js'

/** Bad input: a fixture file that is missing, not JSON, or has a malformed field. */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`)
    this.name = 'InputError'
  }
}

/** The block is invalid, as runBlock would reject it (no state is applied). */
export class InvalidBlockError extends Error {
  constructor(
    readonly reason: string,
    /** The offending transaction, when one is at fault. */
    readonly txIndex?: number,
  ) {
    super(txIndex === undefined ? `invalid block: ${reason}` : `invalid block: transaction ${txIndex}: ${reason}`)
    this.name = 'InvalidBlockError'
  }
}

/** A block the binding cannot execute faithfully (e.g. the DAO fork block). */
export class UnsupportedBlockError extends Error {
  constructor(reason: string) {
    super(`unsupported block: ${reason}`)
    this.name = 'UnsupportedBlockError'
  }
}

/** Raised when the EVM calls a state-manager method this binding does not provide. */
export class UnsupportedStateOperationError extends Error {
  constructor(op: string) {
    super(`state manager operation not supported by the Block-STM binding: ${op}`)
    this.name = 'UnsupportedStateOperationError'
  }
}

/**
 * Not an error but a signal the state manager throws through the EVM: a view read answered
 * with a Promise where a synchronous value was needed. The transaction VM awaits `promise`
 * and reruns the transaction (txvm.ts).
 */
export class PendingRead {
  constructor(readonly promise: Promise<unknown>) {}
}

/** BLOCKHASH is asked for a number whose hash the caller did not supply. */
export class MissingBlockHashError extends Error {
  constructor(
    /** The block number whose hash was asked for. */
    readonly blockNumber: bigint,
    /** The block being executed. */
    readonly inBlock: bigint,
    /** The transaction that asked, when one did. */
    readonly txIndex?: number,
  ) {
    super(
      `block ${inBlock}: BLOCKHASH(${blockNumber}) was asked${txIndex === undefined ? '' : ` by transaction ${txIndex}`} but no hash for block ${blockNumber} was supplied (pass blockHashes or getBlockHash)`,
    )
    this.name = 'MissingBlockHashError'
  }
}

/** The block does not belong to the chain of the Common it is executed with. */
export class ChainMismatchError extends Error {
  constructor(readonly reason: string) {
    super(`chain mismatch: ${reason}`)
    this.name = 'ChainMismatchError'
  }
}
