// The end-to-end promise: whatever the processors do, the summary equals what
// they recorded, for the whole run and for any window, and no payment is held
// by both processors.
import { afterAll, beforeAll, expect, it } from "vitest";
import { admin, drained, iso, postPayment, serviceSummary, startWorld, type World } from "./harness.ts";

let world: World;

beforeAll(async () => {
  world = await startWorld("single", {
    PROCESSOR_TIMEOUT_MS: "150", // shorter than the slow phase's delay, so unknown outcomes happen for real
    FALLBACK_AFTER_MS: "300", // so the failing phase really spills to fallback within the test
  });
});

afterAll(async () => {
  await world?.stop();
});

it("books 200 payments exactly as the processors hold them while default fails and then slows down", async () => {
  const { processors, service } = world;
  const accepted = new Map<string, number>();
  // Each phase posts 50 payments, then may hold until its condition is seen,
  // so a fast machine cannot post through a phase before it has had effect.
  const phases: Array<{ enter: () => Promise<void>; holdUntil?: () => Promise<boolean> }> = [
    { enter: async () => {} },
    {
      enter: () => admin.set(processors.default, "failure", true),
      // Payments wait FALLBACK_AFTER_MS for a failing default, and posting 50 can take less.
      holdUntil: async () => (await admin.summary(processors.fallback)).totalRequests > 0,
    },
    {
      enter: async () => {
        await admin.set(processors.default, "failure", false);
        await admin.set(processors.default, "delay", 200); // beyond the 150 ms timeout
      },
    },
    { enter: () => admin.set(processors.default, "delay", 0) },
  ];
  const start = Date.now();
  for (const { enter, holdUntil } of phases) {
    await enter();
    const batch = Array.from({ length: 50 }, () => ({ id: crypto.randomUUID(), amount: (1 + Math.floor(Math.random() * 99_999)) / 100 }));
    for (let i = 0; i < batch.length; i += 10) {
      await Promise.all(
        batch.slice(i, i + 10).map(async ({ id, amount }) => {
          const status = await postPayment(service.url, id, amount);
          expect(status).toBe(202);
          accepted.set(id, amount);
        }),
      );
    }
    const holdDeadline = Date.now() + 10_000;
    while (holdUntil && !(await holdUntil())) {
      expect(Date.now(), "phase's condition seen within 10 s").toBeLessThan(holdDeadline);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await drained(service.url);
  const end = Date.now();

  const compare = async (window: string) => {
    const ours = await serviceSummary(service.url, window);
    for (const name of ["default", "fallback"] as const) {
      const theirs = await admin.summary(processors[name], window);
      expect(ours[name].totalRequests, `${name} count ${window}`).toBe(theirs.totalRequests);
      expect(Math.round(ours[name].totalAmount * 100), `${name} amount ${window}`).toBe(Math.round(theirs.totalAmount * 100));
    }
    return ours;
  };

  const whole = await compare("");
  expect(whole.default.totalRequests + whole.fallback.totalRequests).toBe(200);
  expect(whole.fallback.totalRequests).toBeGreaterThan(0); // default really failed for a while (the hold saw it)
  const slices = 8;
  for (let i = 0; i < slices; i++) {
    const from = start + Math.floor(((end - start) * i) / slices);
    const to = start + Math.floor(((end - start) * (i + 1)) / slices) - 1;
    await compare(`?from=${iso(from)}&to=${iso(to)}`);
  }
  for (let i = 0; i < 10; i++) {
    const a = start + Math.floor(Math.random() * (end - start));
    const b = start + Math.floor(Math.random() * (end - start));
    await compare(`?from=${iso(Math.min(a, b))}&to=${iso(Math.max(a, b))}`);
  }

  const atDefault = new Set(await admin.ids(processors.default));
  const atFallback = new Set(await admin.ids(processors.fallback));
  for (const id of accepted.keys()) {
    expect(atDefault.has(id) !== atFallback.has(id), `${id} held by exactly one processor`).toBe(true);
  }
  expect(atDefault.size + atFallback.size).toBe(accepted.size);
});
