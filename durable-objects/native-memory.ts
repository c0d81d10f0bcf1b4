// workerd keeps the native side of every request (its HTTP state and
// buffers: ~50 KB for a fetch on the wire, more once answered) until V8
// collects the JavaScript objects that wrap it, and only a full collection
// does. V8 sees a heap of a few MB and rarely runs one, so under load that
// native memory piles up, and workerd's allocator never hands it back.
// The workerd configs expose `gc` (--expose-gc) so the ledger and the outbox
// can run one when it is due; elsewhere (wrangler dev, vitest) this does nothing.
//
// Under load that is tens of MiB per service, a large share of each limit;
// a minor collection frees none of it (figures: docs/decisions.md, d8a380e).
//
// What piles up between two collections grows with the requests finished
// meanwhile, so a collector can also run one every so many requests: the
// ledger drains a backlog at up to ~2,000 a second, at ~50 KB each or more.

export type Collector = {
  readonly everyMs: number;
  readonly everyRequests: number;
  lastAt: number;
  /** Requests finished since the last collection. */
  requests: number;
};

/** Collects every `everyMs`, or sooner once `everyRequests` requests have finished since the last time. */
export function collector(everyMs: number, everyRequests = Infinity): Collector {
  return { everyMs, everyRequests, lastAt: 0, requests: 0 };
}

export function requestFinished(c: Collector): void {
  c.requests += 1;
}

/** Runs a full collection if one is available and one is due. */
export function collectNativeGarbage(c: Collector, now: number): void {
  const { gc } = globalThis as { gc?: () => void };
  if (gc === undefined || (now - c.lastAt < c.everyMs && c.requests < c.everyRequests)) return;
  c.lastAt = now;
  c.requests = 0;
  gc();
}
