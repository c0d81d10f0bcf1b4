// Closed-loop load through the service's front door, and the check every kill
// test ends with: each acknowledged payment paid exactly once, and the
// service's books equal to the processors'. Shared by the native stack test
// (test/stack) and the Docker one (test/docker).
import { expect } from "vitest";
import { admin, drained, iso, postPayment, serviceSummary, type ProcessorUrl } from "./harness.ts";

export type Load = ReturnType<typeof startLoad>;

/**
 * `clients` closed-loop clients posting payments to `url` for `loadMs`, or
 * until told when to stop; each waits `thinkMs` after an answer (0: none).
 */
export function startLoad(url: string, options: { clients: number; loadMs: number; thinkMs?: number }) {
  const posted = new Set<string>();
  const acknowledged = new Set<string>();
  const refused: number[] = [];
  const started = Date.now();
  let loadUntil = started + options.loadMs;
  const client = async () => {
    while (Date.now() < loadUntil) {
      const id = crypto.randomUUID();
      posted.add(id);
      const status = await postPayment(url, id, Math.floor(1 + Math.random() * 9999) / 100);
      if (status >= 200 && status < 300) {
        acknowledged.add(id);
        if (options.thinkMs) await sleep(options.thinkMs);
      } else {
        refused.push(status);
        await sleep(20); // an instance is down: no busy loop
      }
    }
  };
  const clients = Promise.all(Array.from({ length: options.clients }, client));
  return {
    posted,
    acknowledged,
    started,
    elapsed: () => Date.now() - started,
    /** Goes on at least until `until`, then waits for the clients to finish. */
    async runUntil(until: number) {
      loadUntil = Math.max(loadUntil, until);
      await clients;
    },
    async stopNow() {
      loadUntil = 0;
      await clients;
    },
    describe: () => `${posted.size} posted, ${acknowledged.size} acknowledged, ${refused.length} refused`,
  };
}

/**
 * Once nothing is left to pay: no payment held by both processors, every
 * acknowledged one held by one, nothing held that we did not post, and the
 * service's summary equal to the processors' admin summaries, over all time
 * and, when `windows` is given, over each of those [from, to] windows too.
 */
export async function expectEveryAcknowledgedPaymentPaidOnce(
  url: string,
  processors: { default: ProcessorUrl; fallback: ProcessorUrl },
  load: Load,
  windows: Array<[number, number]> = [],
) {
  await drained(url, 60_000);
  const atDefault = await admin.ids(processors.default);
  const atFallback = await admin.ids(processors.fallback);
  const held = new Set([...atDefault, ...atFallback]);
  expect(held.size, "no payment held by both processors").toBe(atDefault.length + atFallback.length);
  const lost = [...load.acknowledged].filter((id) => !held.has(id));
  expect(lost, "every acknowledged payment is held by a processor").toEqual([]);
  for (const id of held) expect(load.posted.has(id), `${id} was posted by us`).toBe(true);

  for (const window of ["", ...windows.map(([from, to]) => `?from=${iso(from)}&to=${iso(to)}`)]) {
    const ours = await serviceSummary(url, window);
    const theirs = { default: await admin.summary(processors.default, window), fallback: await admin.summary(processors.fallback, window) };
    for (const p of ["default", "fallback"] as const) {
      expect(ours[p].totalRequests, `${p} count${window}`).toBe(theirs[p].totalRequests);
      expect(ours[p].totalAmount, `${p} amount${window}`).toBeCloseTo(theirs[p].totalAmount, 2);
    }
    if (window === "") {
      expect(ours.default.totalRequests).toBe(atDefault.length);
      expect(ours.fallback.totalRequests).toBe(atFallback.length);
    }
  }
}

export function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
