import { describe, it, expect, onTestFinished } from "vitest";
import { createProcessor, type ProcessorOptions } from "./processor.ts";

// Node timers may fire up to ~1 ms before the wall clock says they should.
const SLACK_MS = 5;

async function start(options: Partial<ProcessorOptions> = {}) {
  const p = createProcessor({ fee: 0.05, ...options });
  const port = await p.listen(0, "127.0.0.1");
  onTestFinished(() => p.close());
  const base = `http://127.0.0.1:${port}`;

  const pay = (body: unknown, init: RequestInit = {}) =>
    fetch(`${base}/payments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      ...init,
    });
  const admin = (method: string, path: string, body?: unknown, token = "123") =>
    fetch(`${base}/admin${path}`, {
      method,
      headers: { "x-rinha-token": token, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const summary = async (query = "") =>
    (await (await admin("GET", `/payments-summary${query}`)).json()) as {
      totalRequests: number;
      totalAmount: number;
      totalFee: number;
      feePerTransaction: number;
    };
  const lookup = (id: string) => fetch(`${base}/payments/${id}`);
  return { base, pay, admin, summary, lookup };
}

const payment = (amount = 19.9, requestedAt = new Date().toISOString()) => ({ correlationId: crypto.randomUUID(), amount, requestedAt });

const timed = async <T>(work: Promise<T>) => {
  const t0 = performance.now();
  const value = await work;
  return { value, ms: performance.now() - t0 };
};

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("POST /payments", () => {
  it("accepts a payment once and answers 422 to the same correlationId", async () => {
    const { pay, lookup } = await start();
    const body = payment();
    const first = await pay(body);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ message: "payment processed successfully" });
    expect((await pay(body)).status).toBe(422);
    // Guids compare case-insensitively in the real processor.
    expect((await pay({ ...body, correlationId: body.correlationId.toUpperCase() })).status).toBe(422);
    expect(await (await lookup(body.correlationId)).json()).toEqual(body);
  });

  it("sleeps the delay set at arrival before answering and before inserting", async () => {
    const { pay, admin, lookup } = await start();
    // A delay long enough that a refusal, which never sleeps, is told apart from a served call on a busy machine.
    const delay = 400;
    await admin("PUT", "/configurations/delay", { delay });
    const body = payment();
    const pending = timed(pay(body));
    await wait(50);
    expect((await lookup(body.correlationId)).status).toBe(404);
    // Lowering the delay mid-sleep must not shorten a request already in.
    await admin("PUT", "/configurations/delay", { delay: 0 });
    const { value, ms } = await pending;
    expect(value.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(150 - SLACK_MS);
    expect((await lookup(body.correlationId)).status).toBe(200);
  });

  it("answers 500 and records nothing in failure mode, deciding after the sleep", async () => {
    const { pay, admin, lookup, summary } = await start();
    expect(await (await admin("PUT", "/configurations/failure", { failure: true })).json()).toEqual({ config: "failure", was: false, is: true });
    const failed = payment();
    expect((await pay(failed)).status).toBe(500);
    expect((await lookup(failed.correlationId)).status).toBe(404);

    await admin("PUT", "/configurations/failure", { failure: false });
    await admin("PUT", "/configurations/delay", { delay: 100 });
    const late = payment();
    const pending = pay(late);
    await wait(30);
    await admin("PUT", "/configurations/failure", { failure: true });
    expect((await pending).status).toBe(500);
    expect((await lookup(late.correlationId)).status).toBe(404);
    expect((await summary()).totalRequests).toBe(0);
  });

  it("still inserts when the caller hangs up during the delay", async () => {
    const { pay, admin, lookup } = await start();
    await admin("PUT", "/configurations/delay", { delay: 120 });
    const body = payment();
    const abort = new AbortController();
    const pending = pay(body, { signal: abort.signal });
    await wait(30);
    abort.abort();
    await expect(pending).rejects.toThrow();
    expect((await lookup(body.correlationId)).status).toBe(404);
    await wait(120);
    expect((await lookup(body.correlationId)).status).toBe(200);
  });

  it("refuses malformed bodies with 4xx and never crashes", async () => {
    const { base, pay, lookup } = await start();
    const raw = (body: string, type = "application/json") => fetch(`${base}/payments`, { method: "POST", headers: { "content-type": type }, body });
    expect((await raw("{not json")).status).toBe(400);
    expect((await raw("")).status).toBe(400);
    expect((await raw("[]")).status).toBe(400);
    expect((await raw(JSON.stringify(payment()), "text/plain")).status).toBe(415);
    expect((await raw(JSON.stringify({ ...payment(), pad: "x".repeat(70_000) }))).status).toBe(413);
    const { amount: _, ...noAmount } = payment();
    expect((await pay(noAmount)).status).toBe(400);
    expect((await pay({ ...payment(), amount: "19.90" })).status).toBe(400);
    expect((await pay({ ...payment(), correlationId: "nope" })).status).toBe(400);
    expect((await pay({ ...payment(), requestedAt: "2025-02-30T00:00:00Z" })).status).toBe(400);
    expect((await lookup("not-a-uuid")).status).toBe(400);
    const unknown = await fetch(`${base}/nowhere`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toHaveProperty("message");
    expect((await pay(payment())).status).toBe(200);
  });
});

describe("amounts and summaries", () => {
  it("stores amounts rounded to cents and requestedAt verbatim", async () => {
    const { pay, lookup } = await start();
    for (const [sent, stored] of [
      [1.005, 1.01],
      [19.999, 20],
      [0.1 + 0.2, 0.3],
      [-2.345, -2.35],
      [7, 7],
    ]) {
      const body = payment(sent, "2025-07-10T12:34:56.123456Z");
      expect((await pay(body)).status).toBe(200);
      expect(await (await lookup(body.correlationId)).json()).toEqual({ ...body, amount: stored });
    }
  });

  it("counts [from, to] inclusive on both ends, with fees rounded to cents", async () => {
    const { pay, admin, summary } = await start();
    const t = ["2025-07-10T12:00:00.000Z", "2025-07-10T12:00:01.000Z", "2025-07-10T12:00:02.000Z"];
    for (const at of t) expect((await pay(payment(19.9, at))).status).toBe(200);

    expect(await summary(`?from=${t[0]}&to=${t[1]}`)).toEqual({ totalRequests: 2, totalAmount: 39.8, totalFee: 1.99, feePerTransaction: 0.05 });
    expect((await summary(`?from=2025-07-10T12:00:00.001Z&to=${t[1]}`)).totalRequests).toBe(1);
    expect((await summary(`?from=${t[0]}&to=2025-07-10T12:00:00.999Z`)).totalRequests).toBe(1);
    expect((await summary(`?from=${t[2]}`)).totalRequests).toBe(1);
    expect((await summary(`?to=${t[0]}`)).totalRequests).toBe(1);
    // 3 × 19.90 × 5% = 2.985: a half cent, rounded away from zero.
    expect(await summary()).toEqual({ totalRequests: 3, totalAmount: 59.7, totalFee: 2.99, feePerTransaction: 0.05 });
    expect((await admin("GET", "/payments-summary?from=yesterday")).status).toBe(400);
  });
});

describe("GET /payments/service-health", () => {
  it("serves one call per window, holds two early callers, refuses the rest", async () => {
    const WINDOW = 200;
    const { base, admin } = await start({ healthWindowMs: WINDOW });
    await admin("PUT", "/configurations/delay", { delay: 42 });
    const calls = await Promise.all(Array.from({ length: 4 }, () => timed(fetch(`${base}/payments/service-health`))));
    const served = calls
      .filter((c) => c.value.status === 200)
      .map((c) => c.ms)
      .sort((a, b) => a - b);
    const refused = calls.filter((c) => c.value.status === 429);
    expect(served).toHaveLength(3);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.ms).toBeLessThan(WINDOW / 2);
    expect(served[0]).toBeLessThan(WINDOW / 2);
    expect(served[1]).toBeGreaterThanOrEqual(WINDOW - SLACK_MS);
    expect(served[2]).toBeGreaterThanOrEqual(2 * WINDOW - SLACK_MS);
    const ok = calls.find((c) => c.value.status === 200)!;
    expect(await ok.value.json()).toEqual({ failing: false, minResponseTime: 42 });
  });
});

describe("admission", () => {
  it("queues beyond the active limit and answers 429 beyond the queue", async () => {
    const { pay, admin, summary } = await start({ maxActive: 4, maxQueued: 3 });
    // A delay long enough that a refusal, which never sleeps, is told apart from a served call on a busy machine.
    const delay = 400;
    await admin("PUT", "/configurations/delay", { delay });
    const calls = await Promise.all(Array.from({ length: 9 }, () => timed(pay(payment()))));
    const refused = calls.filter((c) => c.value.status === 429);
    const served = calls
      .filter((c) => c.value.status === 200)
      .map((c) => c.ms)
      .sort((a, b) => a - b);
    expect(refused).toHaveLength(2);
    for (const r of refused) expect(r.ms).toBeLessThan(delay / 2);
    expect(served).toHaveLength(7);
    // The three queued ones only start their sleep when a slot frees up.
    expect(served[6]).toBeGreaterThanOrEqual(2 * delay - SLACK_MS);
    expect((await summary()).totalRequests).toBe(7);
  });
});

describe("admin endpoints", () => {
  it("require the current token, which can be changed", async () => {
    const { base, admin } = await start();
    expect((await fetch(`${base}/admin/payments-summary`)).status).toBe(401);
    expect((await admin("GET", "/payments-summary", undefined, "wrong")).status).toBe(401);
    expect((await admin("PUT", "/configurations/token", { token: "s3cret" })).status).toBe(204);
    expect((await admin("GET", "/payments-summary")).status).toBe(401);
    expect((await admin("GET", "/payments-summary", undefined, "s3cret")).status).toBe(200);
    expect((await admin("PUT", "/configurations/delay", { delay: -1 }, "s3cret")).status).toBe(400);
    expect((await admin("PUT", "/configurations/failure", { failure: "yes" }, "s3cret")).status).toBe(400);
  });

  it("report the delay change and purge every payment", async () => {
    const { pay, admin, summary, lookup } = await start();
    expect(await (await admin("PUT", "/configurations/delay", { delay: 10 })).json()).toEqual({ config: "delay", was: 0, is: 10 });
    const body = payment();
    await pay(body);
    await pay(payment());
    expect(await (await admin("GET", "/payments")).json()).toHaveLength(2);

    const purged = await admin("POST", "/purge-payments");
    expect(purged.status).toBe(200);
    expect(await purged.json()).toEqual({ message: "All payments purged." });
    expect((await summary()).totalRequests).toBe(0);
    expect(await (await admin("GET", "/payments")).json()).toEqual([]);
    expect((await lookup(body.correlationId)).status).toBe(404);
  });
});
