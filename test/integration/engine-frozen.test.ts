// SIGSTOP the process that hosts the ledger: it keeps its sockets open and
// answers nothing, as a hung process would. The API keeps taking payments into
// its outbox, and what needs the ledger answers 503 in bounded time instead of
// hanging. Once the engine runs again, every acknowledged payment is paid
// exactly once.
import { afterAll, beforeAll, expect, it } from "vitest";
import { LEDGER_DEADLINE_MS } from "../../workers/ledger-deadline.ts";
import { admin, drained, postPayment, serviceSummary, startWorld, type World } from "./harness.ts";

let world: World;

beforeAll(async () => {
  world = await startWorld("split");
});

afterAll(async () => {
  await world?.stop();
});

it("answers 503 within the ledger's deadline while the engine is frozen, and loses nothing", async () => {
  const { processors, service } = world;
  const acknowledged = new Set<string>();
  const post = async (count: number) => {
    await Promise.all(
      Array.from({ length: count }, async () => {
        const id = crypto.randomUUID();
        if ((await postPayment(service.url, id, 10.5)) === 202) acknowledged.add(id);
      }),
    );
  };

  await post(20);
  await drained(service.url);
  service.freeze("engine");
  try {
    await post(30);
    expect(acknowledged.size, "payments are taken while the engine is frozen").toBe(50);

    const askedAt = Date.now();
    const summary = await fetch(`${service.url}/payments-summary`);
    const waitedMs = Date.now() - askedAt;
    expect(summary.status).toBe(503);
    expect(await summary.json()).toEqual({ error: "ledger unavailable; try again" });
    expect(waitedMs).toBeGreaterThanOrEqual(LEDGER_DEADLINE_MS - 50);
    expect(waitedMs).toBeLessThan(LEDGER_DEADLINE_MS + 2_000);
  } finally {
    service.thaw("engine");
  }

  await drained(service.url);
  const atDefault = await admin.ids(processors.default);
  const atFallback = await admin.ids(processors.fallback);
  expect(new Set([...atDefault, ...atFallback])).toEqual(acknowledged);
  expect(atDefault.length + atFallback.length, "none paid twice").toBe(acknowledged.size);
  const ours = await serviceSummary(service.url);
  expect(ours.default.totalRequests).toBe(atDefault.length);
  expect(ours.fallback.totalRequests).toBe(atFallback.length);
});
