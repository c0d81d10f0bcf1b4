// How fast payments arrive at the ledger, for routing's "does default's
// backlog shrink?", and when the last one came, for "has traffic stopped?".
// Two one-second buckets: the last full one weighted by how
// much of it still lies within the last second, plus the current one. Cheap
// enough to count every accepted batch.

export const BUCKET_MS = 1_000;

export type Arrivals = { bucketStart: number; current: number; previous: number; lastAt: number };

/** `now` stands in for the last arrival, so a restart is not mistaken for the end of traffic. */
export function initialArrivals(now = 0): Arrivals {
  return { bucketStart: 0, current: 0, previous: 0, lastAt: now };
}

export function countArrivals(a: Arrivals, n: number, now: number): void {
  roll(a, now);
  a.current += n;
  if (n > 0) a.lastAt = now;
}

/** Payments per second over roughly the last second. */
export function arrivalsPerSecond(a: Arrivals, now: number): number {
  roll(a, now);
  const inCurrent = (now - a.bucketStart) / BUCKET_MS;
  return a.previous * (1 - inCurrent) + a.current;
}

function roll(a: Arrivals, now: number): void {
  const elapsed = now - a.bucketStart;
  if (elapsed < BUCKET_MS) return;
  // One bucket on: the current one becomes the previous. More: both are stale.
  a.previous = elapsed < 2 * BUCKET_MS ? a.current : 0;
  a.current = 0;
  a.bucketStart = now - (elapsed % BUCKET_MS);
}
