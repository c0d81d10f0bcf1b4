// SIGKILL the process that hosts the ledger while payments are queued and on
// the wire, start it again: every acknowledged payment is paid exactly once,
// and the books still equal the processors'.
import { afterAll, beforeAll, expect, it } from "vitest";
import { admin, drained, postPayment, serviceSummary, startWorld, type World } from "./harness.ts";

let world: World;

beforeAll(async () => {
  world = await startWorld("split");
});

afterAll(async () => {
  await world?.stop();
});

it("pays every acknowledged payment exactly once across a SIGKILL of the engine", async () => {
  const { processors, service } = world;
  await admin.set(processors.default, "delay", 300); // keep payments on the wire when the kill comes
  const posted = new Set<string>();
  const acknowledged = new Set<string>();
  const post = async (count: number) => {
    for (let i = 0; i < count; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, count - i) }, async () => {
          const id = crypto.randomUUID();
          posted.add(id);
          const status = await postPayment(service.url, id, 10.5);
          if (status >= 200 && status < 300) acknowledged.add(id);
        }),
      );
    }
  };

  await post(200);
  const before = (await (await fetch(`${service.url}/internal/stats`)).json()) as { waiting: number };
  expect(before.waiting).toBeGreaterThan(0); // the kill lands on unfinished work

  await service.kill("engine");
  await post(20); // the engine is down: these must not be acknowledged
  await service.startEngine();
  await admin.set(processors.default, "delay", 0);
  await post(100);
  await drained(service.url);

  const atDefault = await admin.ids(processors.default);
  const atFallback = await admin.ids(processors.fallback);
  const held = new Set([...atDefault, ...atFallback]);
  expect(held.size, "no payment at both processors").toBe(atDefault.length + atFallback.length);
  for (const id of acknowledged) expect(held.has(id), `acknowledged ${id} was paid`).toBe(true);
  for (const id of held) expect(posted.has(id)).toBe(true);
  expect(acknowledged.size).toBeGreaterThanOrEqual(300);

  const ours = await serviceSummary(service.url);
  expect(ours.default.totalRequests).toBe(atDefault.length);
  expect(ours.fallback.totalRequests).toBe(atFallback.length);
});
