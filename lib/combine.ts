// Combining what every ledger shard answers into one answer. The books are
// added in integer cents and turned into the contract's decimal amounts only
// once, at the end: adding 4 floats of 2 decimals each can already be off by
// a hair (0.1 + 0.2), and an audit compares amounts for equality.
import { toAmount } from "./money.ts";

export type Processor = "default" | "fallback";
export type CentsTotals = { totalRequests: number; totalCents: number };
export type SummaryCents = Record<Processor, CentsTotals>;
export type Summary = Record<Processor, { totalRequests: number; totalAmount: number }>;

/** The sum of every shard's books, in the contract's shape. */
export function combineSummaries(parts: readonly SummaryCents[]): Summary {
  const total = (name: Processor) => {
    let requests = 0;
    let cents = 0;
    for (const part of parts) {
      requests += part[name].totalRequests;
      cents += part[name].totalCents;
    }
    return { totalRequests: requests, totalAmount: toAmount(cents) };
  };
  return { default: total("default"), fallback: total("fallback") };
}

export type ProcessorView = { inFlight: number; failures: number; latencyMs: number; reportedDelayMs: number | null };
export type ShardStats = { waiting: number; oldestAcceptedAt: number | null; processors: Record<Processor, ProcessorView> };

/**
 * Every shard's stats as one: counts add up, the oldest waiting payment is
 * the oldest of all, and latency and delay are the worst any shard saw (the
 * processors are the same for all). Each shard's own view is kept beside.
 */
export function combineStats(parts: readonly ShardStats[]): ShardStats & { shards: ShardStats[] } {
  const oldest = parts.map((p) => p.oldestAcceptedAt).filter((at): at is number => at !== null);
  const view = (name: Processor): ProcessorView => {
    const delays = parts.map((p) => p.processors[name].reportedDelayMs).filter((d): d is number => d !== null);
    return {
      inFlight: sum(parts.map((p) => p.processors[name].inFlight)),
      failures: sum(parts.map((p) => p.processors[name].failures)),
      latencyMs: Math.max(0, ...parts.map((p) => p.processors[name].latencyMs)),
      reportedDelayMs: delays.length > 0 ? Math.max(...delays) : null,
    };
  };
  return {
    waiting: sum(parts.map((p) => p.waiting)),
    oldestAcceptedAt: oldest.length > 0 ? Math.min(...oldest) : null,
    processors: { default: view("default"), fallback: view("fallback") },
    shards: [...parts],
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
