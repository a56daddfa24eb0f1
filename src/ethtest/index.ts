/** ethereum/tests BlockchainTests runner: fixtures, validation, state roots, the runner. */
export * from './fixtures.js'
export * from './stateRoot.js'
export * from './validate.js'
export * from './runner.js'
export * from './run.js'
export * from './networks.js'
export * from './stateTest.js'
