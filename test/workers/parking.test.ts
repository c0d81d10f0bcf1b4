// A default that works but cannot take everything: what it cannot take is
// parked rather than sent to the dear fallback at once, and comes back when
// payments stop arriving (PARK_MS is 2 s in this test setup, QUIET_MS 0.5 s).
import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { QUIET_MS } from "../../durable-objects/routing.ts";
import { fakeProcessors } from "./fake-processors.ts";
import { ALL_TIME, acceptOne, freshLedger, paymentId } from "./helpers.ts";

it("parks what a saturated default cannot take, and gives it to fallback once payments stop arriving", async () => {
  const fakes = fakeProcessors();
  fakes.default.delayMs = 250; // under the 300 ms timeout; 8 at a time (MAX_IN_FLIGHT): 32 a second
  const ledger = freshLedger();
  await acceptOne(ledger, paymentId(), 100); // the ledger learns how slow default is
  await expect.poll(() => fakes.default.stored.size).toBe(1);

  const acceptedAt = Date.now();
  const batch = Array.from({ length: 60 }, () => ({ correlationId: paymentId(), cents: 100, acceptedAt }));
  await ledger.accept(batch);
  await expect
    .poll(
      async () => {
        const s = await ledger.summary(...ALL_TIME);
        return s.default.totalRequests + s.fallback.totalRequests;
      },
      { timeout: 3_000 },
    )
    .toBe(61);

  const toFallback = batch.filter(({ correlationId }) => fakes.fallback.stored.has(correlationId));
  expect(toFallback.length).toBeGreaterThan(0);
  for (const { correlationId } of toFallback) {
    const sentAfterMs = Date.parse(fakes.fallback.stored.get(correlationId)!.requestedAt) - acceptedAt;
    expect(sentAfterMs).toBeGreaterThanOrEqual(QUIET_MS); // parked, not sent at once
    // Back the moment payments stopped: not when its parking ran out (2 s), nor a watchdog's second later.
    expect(sentAfterMs).toBeLessThan(QUIET_MS + 200); // ~510-520 ms measured; without the wake at QUIET_MS, ~750
  }
  for (const { correlationId } of batch) {
    expect(fakes.default.stored.has(correlationId) !== fakes.fallback.stored.has(correlationId)).toBe(true);
  }
});

it("still gives parked payments back once payments stop when the ledger restarted meanwhile", async () => {
  const fakes = fakeProcessors();
  fakes.default.delayMs = 250;
  const ledger = freshLedger();
  await acceptOne(ledger, paymentId(), 100);
  await expect.poll(() => fakes.default.stored.size).toBe(1);

  const acceptedAt = Date.now();
  const batch = Array.from({ length: 60 }, () => ({ correlationId: paymentId(), cents: 100, acceptedAt }));
  await ledger.accept(batch);
  // Most of them are parked now. An eviction loses everything the ledger held in memory.
  await evictDurableObject(ledger);
  await expect
    .poll(
      async () => {
        const s = await ledger.summary(...ALL_TIME);
        return s.default.totalRequests + s.fallback.totalRequests;
      },
      { timeout: 4_000 },
    )
    .toBe(61);

  const parkMs = Number(env.PARK_MS);
  const toFallback = batch.filter(({ correlationId }) => fakes.fallback.stored.has(correlationId));
  expect(toFallback.length).toBeGreaterThan(0);
  for (const { correlationId } of toFallback) {
    const sentAfterMs = Date.parse(fakes.fallback.stored.get(correlationId)!.requestedAt) - acceptedAt;
    // Back once payments stopped (~0.5 s after the restart), not when its parking ran out.
    expect(sentAfterMs).toBeLessThan(parkMs - 500);
  }
  for (const { correlationId } of batch) {
    expect(fakes.default.stored.has(correlationId) !== fakes.fallback.stored.has(correlationId)).toBe(true);
  }
});
