// One health object for the deployment: however many shards dispatch, the
// processors see at most one health call per 5 s each (contract §3).
import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { fakeProcessors } from "../workers/fake-processors.ts";

const pay = (correlationId: string) =>
  exports.default.fetch(
    new Request("http://api/payments", {
      method: "POST",
      body: JSON.stringify({ correlationId, amount: 1 }),
      headers: { "content-type": "application/json" },
    }),
  );

it("keeps health calls to one per 5 s per processor while all 4 shards dispatch", async () => {
  const fakes = fakeProcessors();
  fakes.default.delayMs = 100; // keeps requests on the wire, so every shard's pump looks at health
  const started = Date.now();
  // Payments for ~6 s, spread over every shard.
  while (Date.now() - started < 6_000) {
    for (let i = 0; i < 8; i++) expect((await pay(crypto.randomUUID())).status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await expect.poll(() => fakes.default.stored.size, { timeout: 10_000 }).toBeGreaterThan(100);
  const elapsed = Date.now() - started;
  for (const fake of [fakes.default, fakes.fallback]) {
    expect(fake.healthCalls.length).toBeGreaterThanOrEqual(1);
    // However long the run took: one call per 5 s at most, each 5 s or more after the last.
    expect(fake.healthCalls.length).toBeLessThanOrEqual(1 + Math.floor(elapsed / 5_000));
    fake.healthCalls.forEach((at, i) => {
      if (i > 0) expect(at - fake.healthCalls[i - 1]!).toBeGreaterThanOrEqual(5_000);
    });
  }
}, 30_000);
