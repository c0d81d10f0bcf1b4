// The API's view of a sharded ledger: a POST goes to its payment's one shard;
// the summary, purge and stats go to every shard and are combined. Any shard
// that does not answer makes the whole call fail (503): books that leave a
// shard out would be wrong, and a purge that skipped one would not be a purge.
import { combineStats, combineSummaries, type Summary } from "../lib/combine.ts";
import { shardOf } from "../lib/shard.ts";
import type { AcceptResult } from "../durable-objects/queue.ts";
import { ledgerShard } from "./ledger.ts";

/** Stores a payment in its shard; resolves once the shard has committed it. */
export function storeInShard(env: Env, shards: number, correlationId: string, cents: number): Promise<AcceptResult> {
  return ledgerShard(env, shardOf(correlationId, shards), shards).acceptNow(correlationId, cents);
}

/** Every shard's index, for fanning out. */
function everyShard(shards: number): number[] {
  return Array.from({ length: shards }, (_, i) => i);
}

/** The books of every shard over [fromMs, toMs], added in integer cents. */
export async function summaryOfAll(env: Env, shards: number, fromMs: number, toMs: number): Promise<Summary> {
  const parts = await Promise.all(everyShard(shards).map((i) => ledgerShard(env, i, shards).summaryCents(fromMs, toMs)));
  return combineSummaries(parts);
}

/** Purges every shard. Sent again after a failure, it is harmless where it already happened. */
export async function purgeAll(env: Env, shards: number): Promise<void> {
  await Promise.all(everyShard(shards).map((i) => ledgerShard(env, i, shards).purge()));
}

/** Every shard's stats, combined, each shard's own beside. */
export async function statsOfAll(env: Env, shards: number) {
  return combineStats(await Promise.all(everyShard(shards).map((i) => ledgerShard(env, i, shards).stats())));
}
