// How the ledger dispatches: each processor answer, and what it does to the books.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { fakeProcessors } from "./fake-processors.ts";
import { ALL_TIME, acceptOne, freshLedger, paymentId } from "./helpers.ts";

describe("dispatch", () => {
  it("books a 200 on the processor with the very requestedAt it sent", async () => {
    const fakes = fakeProcessors();
    const ledger = freshLedger();
    const id = paymentId();
    expect(await acceptOne(ledger, id, 1990)).toBe("accepted");
    await expect.poll(() => ledger.summary(...ALL_TIME)).toMatchObject({ default: { totalRequests: 1, totalAmount: 19.9 } });

    const sent = Date.parse(fakes.default.stored.get(id)!.requestedAt);
    expect(await ledger.summary(sent, sent)).toMatchObject({ default: { totalRequests: 1 } });
    expect(await ledger.summary(sent + 1, ALL_TIME[1])).toMatchObject({ default: { totalRequests: 0 } });
    expect(fakes.fallback.posts).toHaveLength(0);
  });

  it("dates a slow processor's payments with when it stores them, not when they leave", async () => {
    // Audits compare windows ending 2 s ago; a payment dated when it left a
    // processor seconds slow would be stored inside the window, while the books are read.
    const fakes = fakeProcessors();
    fakes.default.delayMs = 150; // under the 300 ms timeout of this test setup
    const ledger = freshLedger();
    const first = paymentId();
    await acceptOne(ledger, first, 100);
    await expect.poll(() => fakes.default.stored.has(first)).toBe(true);

    const second = paymentId(); // sent once the first answer (and a health poll) showed the delay
    await acceptOne(ledger, second, 100);
    await expect.poll(() => ledger.summary(...ALL_TIME)).toMatchObject({ default: { totalRequests: 2 } });
    const requestedAt = Date.parse(fakes.default.stored.get(second)!.requestedAt);
    expect(Math.abs(fakes.default.storedAt.get(second)! - requestedAt)).toBeLessThan(75);
    expect(await ledger.summary(requestedAt, requestedAt)).toMatchObject({ default: { totalRequests: 1 } });
  });

  it("lets payments wait for a failing default before the dear fallback takes them", async () => {
    const fakes = fakeProcessors();
    fakes.default.mode = "fail";
    const ledger = freshLedger();
    const id = paymentId();
    const acceptedAt = Date.now();
    await acceptOne(ledger, id, 100);
    await expect.poll(() => fakes.fallback.postsFor(id).length).toBe(1);
    // FALLBACK_AFTER_MS is 200 in this test setup (vitest.config.ts).
    expect(Date.parse(fakes.fallback.postsFor(id)[0]!.requestedAt) - acceptedAt).toBeGreaterThanOrEqual(200);
  });

  it("pays on default a payment whose wait outlasted default's failure", async () => {
    const fakes = fakeProcessors();
    fakes.default.mode = "fail";
    fakes.fallback.mode = "fail";
    const ledger = freshLedger();
    await acceptOne(ledger, paymentId(), 100);
    await expect.poll(() => fakes.default.posts.length).toBeGreaterThan(0);
    fakes.default.mode = "ok";
    await expect
      .poll(() => ledger.summary(...ALL_TIME), { timeout: 5_000 })
      .toMatchObject({
        default: { totalRequests: 1 },
        fallback: { totalRequests: 0 },
      });
  });

  it("sends to fallback while default answers 500, and books nothing on default", async () => {
    const fakes = fakeProcessors();
    fakes.default.mode = "fail";
    const ledger = freshLedger();
    const ids = [paymentId(), paymentId(), paymentId()];
    for (const id of ids) await acceptOne(ledger, id, 100);
    await expect
      .poll(() => ledger.summary(...ALL_TIME))
      .toEqual({
        default: { totalRequests: 0, totalAmount: 0 },
        fallback: { totalRequests: 3, totalAmount: 3 },
      });
    expect(fakes.default.stored.size).toBe(0);
    for (const id of ids) expect(fakes.fallback.postsFor(id)).toHaveLength(1);
  });

  it("waits for a slow processor rather than giving up on it", async () => {
    const fakes = fakeProcessors();
    fakes.default.delayMs = 150; // well under the 300 ms timeout of this test setup
    const ledger = freshLedger();
    await acceptOne(ledger, paymentId(), 500);
    await expect.poll(() => ledger.summary(...ALL_TIME)).toMatchObject({ default: { totalRequests: 1, totalAmount: 5 } });
    expect(fakes.fallback.posts).toHaveLength(0);
  });

  it("keeps payments while both processors fail, with an alarm armed, and pays them after recovery", async () => {
    const fakes = fakeProcessors();
    fakes.default.mode = "fail";
    fakes.fallback.mode = "fail";
    const ledger = freshLedger();
    for (let i = 0; i < 5; i++) await acceptOne(ledger, paymentId(), 1000);
    await expect.poll(() => fakes.default.posts.length).toBeGreaterThan(0);

    // (While an alarm handler runs, getAlarm() is null until the handler re-arms it.)
    await expect.poll(() => runInDurableObject(ledger, (_, state) => state.storage.getAlarm())).not.toBeNull();
    expect((await ledger.stats()).waiting).toBe(5);

    fakes.default.mode = "ok";
    fakes.fallback.mode = "ok";
    await expect
      .poll(async () => {
        await runDurableObjectAlarm(ledger);
        return ledger.summary(...ALL_TIME);
      })
      .toMatchObject({ default: { totalRequests: 5, totalAmount: 50 } });
    expect((await ledger.stats()).waiting).toBe(0);
  });

  it("does not let a payment the processors refuse hold up the others", async () => {
    const fakes = fakeProcessors();
    const ledger = freshLedger();
    const stuck = paymentId();
    fakes.default.poisoned.add(stuck);
    fakes.fallback.poisoned.add(stuck);
    await acceptOne(ledger, stuck, 100);
    for (let i = 0; i < 20; i++) await acceptOne(ledger, paymentId(), 100);
    await expect.poll(() => ledger.summary(...ALL_TIME)).toMatchObject({ default: { totalRequests: 20 } });
    // Never abandoned: still waiting, still retried.
    expect((await ledger.stats()).waiting).toBe(1);
    const attempts = fakes.default.postsFor(stuck).length + fakes.fallback.postsFor(stuck).length;
    await expect
      .poll(async () => {
        await runDurableObjectAlarm(ledger);
        return fakes.default.postsFor(stuck).length + fakes.fallback.postsFor(stuck).length;
      })
      .toBeGreaterThan(attempts);
  });

  it("never has more requests on the wire to a processor than MAX_IN_FLIGHT", async () => {
    const fakes = fakeProcessors();
    fakes.default.delayMs = 50;
    fakes.fallback.delayMs = 50;
    const ledger = freshLedger();
    let peak = 0;
    const inFlight = () => ledger.stats().then((s) => Math.max(s.processors.default.inFlight, s.processors.fallback.inFlight));
    for (let i = 0; i < 40; i++) {
      await acceptOne(ledger, paymentId(), 100);
      peak = Math.max(peak, await inFlight());
    }
    await expect.poll(() => ledger.stats().then((s) => s.waiting)).toBe(0);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(8); // MAX_IN_FLIGHT in vitest.config.ts
  });
});
