/**
 * Errors of the drop-in runBlock. A block runBlock would reject is rejected with the same
 * message (BlockRejectedError); an option the drop-in cannot honour is refused before
 * anything runs (UnsupportedOptionError); a failing read of the caller's state is the
 * engine's BaseStateReadError. In every case the caller's state manager is left as it was.
 */
export { BaseStateReadError } from '../executor/baseState.js'

/** An option of runBlock that runBlockParallel does not support (nothing was run). */
export class UnsupportedOptionError extends Error {
  constructor(
    readonly option: string,
    why: string,
  ) {
    super(`runBlockParallel does not support the option '${option}': ${why}`)
    this.name = 'UnsupportedOptionError'
  }
}

/**
 * The block is invalid: `message` is the message runBlock throws for it (same condition,
 * same words); `txIndex` the offending transaction when one is at fault.
 */
export class BlockRejectedError extends Error {
  constructor(
    message: string,
    readonly txIndex?: number,
  ) {
    super(message)
    this.name = 'BlockRejectedError'
  }
}

/** The runner was closed, or is running another block (one block at a time). */
export class RunnerStateError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RunnerStateError'
  }
}

/**
 * The state manager's database holds a trie node the direct path cannot read (merkleDirect.ts):
 * a node missing under its hash, or one a state trie cannot hold. During the block's reads it
 * reaches the caller as the cause of a BaseStateReadError; during the commit as itself (the
 * block's checkpoint reverted).
 */
export class TrieShapeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TrieShapeError'
  }
}
