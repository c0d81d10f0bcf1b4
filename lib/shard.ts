// Which ledger shard owns a payment. A payment's shard must never change for
// the life of its books: one writer per payment is what keeps "never paid
// twice" true with many ledgers, so the shard is a pure function of the
// (lower-cased) correlationId and the shard count, and nothing else.

/** The single ledger's name, as it has always been: LEDGER_SHARDS absent or 1 changes nothing. */
export const SINGLE_LEDGER_NAME = "ledger";

/** More shards than this is a typo, not a plan (each is a Durable Object the summary waits for). */
export const MAX_SHARDS = 256;

/**
 * LEDGER_SHARDS as a count: absent, empty or "1" is the one ledger of the
 * local topology. Anything but a whole number in [1, MAX_SHARDS] fails loudly,
 * since a wrong count would silently move payments to other books.
 */
export function shardCount(value: string | null | undefined): number {
  if (value == null || value === "") return 1; // workerd binds an unset variable as null
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_SHARDS) {
    throw new Error(`LEDGER_SHARDS must be a whole number from 1 to ${MAX_SHARDS}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/**
 * The shard index of a payment, in [0, shards). FNV-1a (32 bits) over the
 * lower-cased id's UTF-16 code units: cheap, stable across runtimes and
 * versions (no Math.random, no platform hash), and it spreads UUIDs evenly.
 * The id is lower-cased here too, so "ABC…" and "abc…" can never land on
 * two shards even if a caller forgets to normalise it.
 */
export function shardOf(correlationId: string, shards: number): number {
  if (shards <= 1) return 0;
  const id = correlationId.toLowerCase();
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/** The Durable Object name of shard `index`: the single ledger keeps its old name. */
export function shardName(index: number, shards: number): string {
  return shards <= 1 ? SINGLE_LEDGER_NAME : `ledger-${index}`;
}

/** Every shard's name, in index order. */
export function shardNames(shards: number): string[] {
  return Array.from({ length: shards }, (_, i) => shardName(i, shards));
}
