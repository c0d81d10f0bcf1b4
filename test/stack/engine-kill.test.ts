// The production topology run natively (scripts/stack.mjs: nginx on 9999, two
// API instances, the engine, each under its compose.yaml CPU and memory
// limits) against in-process processor stand-ins. Under load, the engine is
// SIGKILLed and brought back: every acknowledged payment must still be paid
// exactly once, and the service's books must equal the processors'.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, drained, postPayment, serviceSummary, startProcessors, type StandIn } from "../integration/harness.ts";
import { killService, nginxObtainable, restartService, startStack, type Stack } from "../../scripts/stack.mjs";

const URL = "http://127.0.0.1:9999";
const CLIENTS = 30;
const LOAD_MS = 8_000;
const KILL_AT_MS = 3_000;
const AFTER_RESTART_MS = 3_000;

const canRun = nginxObtainable();
if (!canRun) {
  console.warn("test/stack skipped: nginx is not installed and cannot be installed here (not root); `apt-get install nginx-light` to run it");
}

describe.skipIf(!canRun)("native stack under compose limits", () => {
  let processors: { default: StandIn; fallback: StandIn };
  let stack: Stack | undefined;
  let runDir: string;

  beforeAll(async () => {
    processors = await startProcessors();
    runDir = mkdtempSync(join(tmpdir(), "rinha-stack-"));
    stack = await startStack({
      runDir,
      processors: { default: processors.default.url, fallback: processors.fallback.url },
      logDir: join(runDir, "logs"),
      groupPrefix: "rinha-test-",
      log: (line) => console.log(`[stack] ${line}`),
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await processors?.default.processor.close();
    await processors?.fallback.processor.close();
    if (runDir) rmSync(runDir, { recursive: true, force: true });
  }, 30_000);

  it("pays every acknowledged payment exactly once across a SIGKILL of the engine under load", async () => {
    for (const s of stack!.stats()) {
      if (stack!.state.cgroups) expect(s.name === "processors (stand-ins)" || s.inGroup, `${s.name} runs inside its cgroups`).toBe(true);
    }
    await admin.set(processors.default, "delay", 200); // keep payments on the wire when the kill comes

    const posted = new Set<string>();
    const acknowledged = new Set<string>();
    const refused: number[] = [];
    const started = Date.now();
    let loadUntil = started + LOAD_MS;
    const client = async () => {
      while (Date.now() < loadUntil) {
        const id = crypto.randomUUID();
        posted.add(id);
        const status = await postPayment(URL, id, Math.floor(1 + Math.random() * 9999) / 100);
        if (status >= 200 && status < 300) acknowledged.add(id);
        else {
          refused.push(status);
          await new Promise((resolve) => setTimeout(resolve, 20)); // the engine is down: no busy loop
        }
      }
    };
    const load = Promise.all(Array.from({ length: CLIENTS }, client));

    await new Promise((resolve) => setTimeout(resolve, KILL_AT_MS));
    const before = (await (await fetch(`${URL}/internal/stats`)).json()) as { waiting: number };
    const ackedBeforeKill = acknowledged.size;
    await killService("engine", "SIGKILL");
    const killedAt = Date.now() - started;
    await restartService("engine");
    const restartedAt = Date.now() - started;
    loadUntil = Math.max(loadUntil, Date.now() + AFTER_RESTART_MS);
    await load;
    const ackedAfterRestart = acknowledged.size;
    console.log(
      `load: ${posted.size} posted, ${acknowledged.size} acknowledged (${ackedBeforeKill} before the kill), ` +
        `${refused.length} refused; waiting at kill ${before.waiting}; killed at ${killedAt} ms, back at ${restartedAt} ms`,
    );

    await drained(URL, 60_000);

    const atDefault = await admin.ids(processors.default);
    const atFallback = await admin.ids(processors.fallback);
    const held = new Set([...atDefault, ...atFallback]);
    expect(before.waiting, "the kill lands on unfinished work").toBeGreaterThan(0);
    expect(ackedAfterRestart, "load went on after the restart").toBeGreaterThan(ackedBeforeKill);
    expect(held.size, "no payment held by both processors").toBe(atDefault.length + atFallback.length);
    const lost = [...acknowledged].filter((id) => !held.has(id));
    expect(lost, "every acknowledged payment is held by a processor").toEqual([]);
    for (const id of held) expect(posted.has(id), `${id} was posted by us`).toBe(true);

    const ours = await serviceSummary(URL);
    const theirs = { default: await admin.summary(processors.default), fallback: await admin.summary(processors.fallback) };
    for (const p of ["default", "fallback"] as const) {
      expect(ours[p].totalRequests, `${p} count`).toBe(theirs[p].totalRequests);
      expect(ours[p].totalAmount, `${p} amount`).toBeCloseTo(theirs[p].totalAmount, 2);
    }
    expect(ours.default.totalRequests).toBe(atDefault.length);
    expect(ours.fallback.totalRequests).toBe(atFallback.length);

    const engine = stack!.stats().find((s) => s.name === "engine")!;
    console.log(
      `engine after the run: pid ${engine.pid}, restarts ${stack!.state.services.find((s) => s.name === "engine")!.restarts}, ` +
        `cgroup peak ${((engine.cgroup?.peakBytes ?? 0) / 2 ** 20).toFixed(1)} MiB, throttled ${engine.cgroup?.throttled ?? "-"} periods, OOM kills ${engine.cgroup?.oomKills ?? "-"}`,
    );
  }, 110_000);
});
