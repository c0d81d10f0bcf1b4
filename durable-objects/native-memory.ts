// workerd keeps the native side of every request (its HTTP state and
// buffers: ~50 KB for a fetch on the wire, more once answered) until V8
// collects the JavaScript objects that wrap it, and only a full collection
// does. V8 sees a heap of a few MB and rarely runs one, so under load that
// native memory piles up, and workerd's allocator never hands it back.
// The workerd configs expose `gc` (--expose-gc) so the ledger and the outbox
// can run one on a timer; elsewhere (wrangler dev, vitest) this does nothing.
//
// Measured, anonymous memory or cgroup peak:
// - ledger, 512 requests on the wire to a processor answering in 2 s:
//   67 -> 48 MiB with a full collection a second (a minor one frees nothing);
// - outbox, 400 POST/s for 30 s: 45 -> 28 MiB with one every 2 s (and see
//   payment-outbox.ts for why it now runs every 500 ms).

export type Collector = { readonly everyMs: number; lastAt: number };

export function collector(everyMs: number): Collector {
  return { everyMs, lastAt: 0 };
}

/** Runs a full collection if one is available and the last is `everyMs` old. */
export function collectNativeGarbage(c: Collector, now: number): void {
  const { gc } = globalThis as { gc?: () => void };
  if (gc === undefined || now - c.lastAt < c.everyMs) return;
  c.lastAt = now;
  gc();
}
