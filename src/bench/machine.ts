/**
 * One line naming the machine a benchmark ran on, written into `bench --json` thread sweeps and
 * mainnet runs so that a report merging them (`report --merge`) can say where each figure
 * comes from: CPUs available to the process, CPU model, memory, Node, platform.
 */
import { availableParallelism, cpus, totalmem } from 'node:os'

export function machineDescription(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU'
  return `${availableParallelism()} CPUs (${model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}-${process.arch}`
}
