/**
 * ethereum/tests network names (src/ethtest/networks.ts): single forks, transitions by block,
 * timestamp and total difficulty, the fork of each block, unknown names, and the schedule the
 * Common carries (the first London block of a transition network is where `hardforkBlock`
 * says it is).
 */
import { describe, expect, it } from 'vitest'
import { forkAt, forkHardfork, parseNetwork, reaches, scheduleCommon } from '../src/ethtest/networks.js'

describe('ethtest networks', () => {
  it('parses single forks and transitions', () => {
    expect(parseNetwork('ConstantinopleFix')).toEqual({ name: 'ConstantinopleFix', first: 'petersburg' })
    expect(parseNetwork('Osaka')).toEqual({ name: 'Osaka', first: 'osaka' })
    expect(parseNetwork('BerlinToLondonAt5')).toEqual({ name: 'BerlinToLondonAt5', first: 'berlin', transition: { to: 'london', activation: { kind: 'block', at: 5n } } })
    expect(parseNetwork('ShanghaiToCancunAtTime15k')?.transition).toEqual({ to: 'cancun', activation: { kind: 'time', at: 15000n } })
    expect(parseNetwork('ArrowGlacierToParisAtDiffC0000')?.transition).toEqual({ to: 'paris', activation: { kind: 'td', at: 0xc0000n } })
  })

  it('answers undefined for unknown names and backwards transitions', () => {
    for (const n of ['Amsterdam', 'BPO3', 'HomesteadToDaoAt5', 'CancunToBerlinAt5', 'FrontierToHomesteadAtTimeX', 'nonsense']) expect(parseNetwork(n), n).toBeUndefined()
    expect(forkHardfork('EIP158')).toBe('spuriousDragon')
  })

  it('gives each block its fork', () => {
    const blk = parseNetwork('EIP158ToByzantiumAt5')!
    expect([4n, 5n, 6n].map((n) => forkAt(blk, n, 0n, 0n))).toEqual(['spuriousDragon', 'byzantium', 'byzantium'])
    const time = parseNetwork('ParisToShanghaiAtTime15k')!
    expect([14999n, 15000n].map((t) => forkAt(time, 9n, t, 0n))).toEqual(['paris', 'shanghai'])
    const td = parseNetwork('ArrowGlacierToParisAtDiffC0000')!
    expect([0xbffffn, 0xc0000n].map((d) => forkAt(td, 9n, 0n, d))).toEqual(['arrowGlacier', 'paris'])
    expect(reaches(td, 'london')).toBe(true)
    expect(reaches(td, 'shanghai')).toBe(false)
  })

  it("the Common carries the network's schedule", () => {
    const net = parseNetwork('BerlinToLondonAt5')!
    const c = scheduleCommon(net, 'london')
    expect(c.hardfork()).toBe('london')
    expect(c.hardforkBlock('london')).toBe(5n)
    expect(c.hardforkBlock('berlin')).toBe(0n)
    expect(c.hardforkBlock('shanghai')).toBeNull()
    expect(c.chainId()).toBe(1n)
  })
})
