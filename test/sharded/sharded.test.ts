// The cloud mode in the Workers runtime: the ledger split into 4 shards
// (vitest.config.ts, project "sharded"), each POST stored straight in its
// payment's shard, the summary, purge and stats fanned out to all of them,
// purge and stats behind the admin secret. Processors faked at fetch().
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { PaymentLedger } from "../../durable-objects/payment-ledger.ts";
import { shardOf } from "../../lib/shard.ts";
import { toIso } from "../../lib/time.ts";
import { type FakeProcessor, fakeProcessors } from "../workers/fake-processors.ts";

const SECRET = (env as Env & { ADMIN_SECRET: string }).ADMIN_SECRET;
const ADMIN = { authorization: `Bearer ${SECRET}` };
const SHARDS = 4;

const call = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`http://api${path}`, init));
const pay = (correlationId: string, amount: number) =>
  call("/payments", { method: "POST", body: JSON.stringify({ correlationId, amount }), headers: { "content-type": "application/json" } });
const purge = (headers: Record<string, string> = ADMIN) => call("/purge-payments", { method: "POST", headers });
const stats = async () => (await (await call("/internal/stats", { headers: ADMIN })).json()) as { waiting: number; shards: unknown[] };
const window = (fromMs: number, toMs: number) => `?from=${toIso(fromMs)}&to=${toIso(toMs)}`;
const summary = async (query = "") => (await call(`/payments-summary${query}`)).json();
const shard = (i: number) => env.LEDGER.get(env.LEDGER.idFromName(`ledger-${i}`)) as DurableObjectStub<PaymentLedger>;

/** The processors' own books over [fromMs, toMs], in the summary's shape, added in cents. */
function processorsBooks(fakes: Record<"default" | "fallback", FakeProcessor>, fromMs: number, toMs: number) {
  const books = (fake: FakeProcessor) => {
    let requests = 0;
    let cents = 0;
    for (const { amount, requestedAt } of fake.stored.values()) {
      const at = Date.parse(requestedAt);
      if (at < fromMs || at > toMs) continue;
      requests += 1;
      cents += Math.round(amount * 100);
    }
    return { totalRequests: requests, totalAmount: cents / 100 };
  };
  return { default: books(fakes.default), fallback: books(fakes.fallback) };
}

let fakes: ReturnType<typeof fakeProcessors>;

beforeEach(async () => {
  fakes = fakeProcessors();
  expect((await purge()).status).toBe(200);
});

describe("a ledger in 4 shards", () => {
  it("pays each payment once, and its books equal the processors' for the whole run and every sub-window", async () => {
    const ids = Array.from({ length: 120 }, () => crypto.randomUUID());
    const amount = (i: number) => (i % 9) + 0.1 * (i % 3) + 0.01 * (i % 7) + 0.1; // cents that floats add badly
    for (const [i, id] of ids.entries()) {
      // Default fails for the middle third: those wait, then fallback takes them.
      if (i === 40) fakes.default.mode = "fail";
      if (i === 80) fakes.default.mode = "ok";
      expect((await pay(id, amount(i))).status).toBe(202);
    }
    await expect.poll(() => stats().then((s) => s.waiting), { timeout: 10_000 }).toBe(0);

    for (const id of ids) expect(Number(fakes.default.stored.has(id)) + Number(fakes.fallback.stored.has(id))).toBe(1);
    expect(fakes.fallback.stored.size).toBeGreaterThan(0);
    expect(fakes.default.stored.size).toBeGreaterThan(0);

    expect(await summary()).toEqual(processorsBooks(fakes, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
    expect(await summary()).toMatchObject({ default: { totalRequests: fakes.default.stored.size } });
    const times = [...fakes.default.stored.values(), ...fakes.fallback.stored.values()].map((p) => Date.parse(p.requestedAt)).sort((a, b) => a - b);
    const cuts = [0, 13, 40, 41, 77, 100, 119].map((i) => times[i]!);
    for (const from of cuts) {
      for (const to of cuts.filter((t) => t >= from)) {
        expect(await summary(window(from, to))).toEqual(processorsBooks(fakes, from, to));
      }
    }
  });

  it("spreads payments over all 4 shards, each holding only its own", async () => {
    const ids = Array.from({ length: 40 }, () => crypto.randomUUID());
    for (const id of ids) expect((await pay(id, 1)).status).toBe(202);
    await expect.poll(() => summary(), { timeout: 10_000 }).toMatchObject({ default: { totalRequests: 40 } });
    const perShard = await Promise.all(
      Array.from({ length: SHARDS }, (_, i) => shard(i).summaryCents(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)),
    );
    const counts = perShard.map((books) => books.default.totalRequests + books.fallback.totalRequests);
    for (const n of counts) expect(n).toBeGreaterThan(0);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(40);
    // Each payment is in the one shard its id hashes to, and in no other.
    const held = await Promise.all(
      Array.from({ length: SHARDS }, (_, i) =>
        runInDurableObject(shard(i), (_, state) =>
          state.storage.sql
            .exec<{ id: string }>("SELECT correlation_id AS id FROM payments")
            .toArray()
            .map((row) => row.id),
        ),
      ),
    );
    for (const id of ids) expect(held.map((inShard, i) => (inShard.includes(id) ? i : -1)).filter((i) => i >= 0)).toEqual([shardOf(id, SHARDS)]);
    expect((await stats()).shards).toHaveLength(SHARDS);
  });

  it("answers a payment's retry in any case with 200 and another amount with 409, paid once", async () => {
    const id = crypto.randomUUID();
    expect((await pay(id, 10)).status).toBe(202);
    expect((await pay(id, 10)).status).toBe(200);
    expect((await pay(id.toUpperCase(), 10)).status).toBe(200);
    expect((await pay(id, 11)).status).toBe(409);
    await expect.poll(() => summary()).toMatchObject({ default: { totalRequests: 1, totalAmount: 10 } });
    expect(fakes.default.postsFor(id)).toHaveLength(1);
  });
});

describe("the processors' admission shared among shards", () => {
  it("keeps at most MAX_IN_FLIGHT (8 here) on the wire to a processor from all shards together, 2 from each", async () => {
    fakes.default.delayMs = 50;
    type View = { processors: { default: { inFlight: number } } };
    let peak = 0;
    let peakShard = 0;
    for (let round = 0; round < 6; round++) {
      await Promise.all(Array.from({ length: 12 }, () => pay(crypto.randomUUID(), 1)));
      const now = (await (await call("/internal/stats", { headers: ADMIN })).json()) as View & { shards: View[] };
      peak = Math.max(peak, now.processors.default.inFlight);
      peakShard = Math.max(peakShard, ...now.shards.map((s) => s.processors.default.inFlight));
    }
    await expect.poll(() => stats().then((s) => s.waiting), { timeout: 10_000 }).toBe(0);
    expect(peak).toBeGreaterThan(2); // more than one shard's share: shards dispatch side by side
    expect(peak).toBeLessThanOrEqual(8);
    expect(peakShard).toBeLessThanOrEqual(2);
  });
});

describe("the admin secret in the cloud mode", () => {
  it.each([
    ["no Authorization", {}],
    ["a wrong secret", { authorization: `Bearer ${SECRET}x` }],
    ["the secret without the scheme", { authorization: SECRET }],
  ])("refuses a purge with %s (401) and forgets nothing", async (_, headers: Record<string, string>) => {
    expect((await pay(crypto.randomUUID(), 5)).status).toBe(202);
    await expect.poll(() => summary()).toMatchObject({ default: { totalRequests: 1 } });

    const refused = await purge(headers);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe("Bearer");
    expect(await summary()).toMatchObject({ default: { totalRequests: 1, totalAmount: 5 } });

    expect((await purge()).status).toBe(200);
    expect(await summary()).toMatchObject({ default: { totalRequests: 0 } });
  });

  it("refuses stats without the secret (401) and answers every shard's with it", async () => {
    const refused = await call("/internal/stats", { headers: { authorization: "Bearer nope" } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).not.toHaveProperty("waiting");
    expect((await call("/internal/stats")).status).toBe(401);
    const allowed = await call("/internal/stats", { headers: ADMIN });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toMatchObject({ waiting: 0, shards: expect.any(Array) });
  });

  it("keeps the summary and payments open, as the contract says", async () => {
    expect((await pay(crypto.randomUUID(), 1)).status).toBe(202);
    expect((await call("/payments-summary")).status).toBe(200);
  });
});
