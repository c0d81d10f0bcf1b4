// @ts-check
// `node scripts/probe-post.mjs [--rate 300] [--seconds 20] [--runs 1] [--floor] [--durable-baseline] [--no-limits]`
// What one POST /payments costs: starts the stack under its limits (as
// `npm run bench` does), sends POSTs through the balancer at a fixed rate
// (open loop: a slow answer does not slow the sender), and prints, per run,
// the latency p50 / p90 / p99, each service's CPU per POST (cgroup CPU seconds
// over the run / POSTs sent; the stand-ins' and this sender's too), its
// throttled CFS periods and its cgroup memory peak. Needs Node 22 (npm's
// scripts put node_modules/.bin first on PATH; run it that way). A
// fixed rate makes runs of two builds comparable, which the closed-loop
// scenarios are not: their rate follows the latency. --floor, --durable-baseline:
// after each run, the same load against the bench's bare floor or durable
// baseline (scripts/floor.mjs). --no-limits: the stack without its cgroups.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { FLOOR_NAMES, stackLimits, startFloor } from "./floor.mjs";
import { startStack } from "./stack.mjs";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "300" },
    seconds: { type: "string", default: "20" },
    runs: { type: "string", default: "1" },
    floor: { type: "boolean", default: false },
    "durable-baseline": { type: "boolean", default: false },
    "no-limits": { type: "boolean", default: false },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const runs = Number(values.runs);
if (!(rate > 0 && seconds > 0 && runs >= 1)) throw new Error("--rate, --seconds and --runs must be positive");

for (let run = 1; run <= runs; run++) {
  const stack = await startStack({ limits: !values["no-limits"], log: () => {} });
  try {
    const throttled0 = throttledOf(stack);
    console.log(`run ${run}/${runs}  stack  ${await measure(() => cpuOf(stack))}`);
    const throttled1 = throttledOf(stack);
    console.log(
      `  throttled periods: ${Object.entries(throttled1)
        .map(([name, [p, t]]) => `${name} ${t - (throttled0[name]?.[1] ?? 0)}/${p - (throttled0[name]?.[0] ?? 0)}`)
        .join(", ")}`,
    );
    console.log(
      `  memory peak MiB (cgroup, counts file cache): ${stack
        .stats()
        .filter((s) => s.cgroup?.peakBytes != null)
        .map((s) => `${s.name} ${(/** @type {number} */ (s.cgroup?.peakBytes) / 2 ** 20).toFixed(1)}`)
        .join(", ")}`,
    );
  } finally {
    await stack.stop();
  }
  for (const kind of /** @type {const} */ (["bare", "durable"])) {
    if (!values[kind === "bare" ? "floor" : "durable-baseline"]) continue;
    const floor = await startFloor({ port: 9999, kind, limits: stackLimits() });
    try {
      console.log(`run ${run}/${runs}  ${FLOOR_NAMES[kind]}  ${await measure(() => ({ [kind]: floor.stats()?.cpuSeconds ?? 0 }))}`);
    } finally {
      await floor.stop();
    }
  }
}

/**
 * Warms up, sends `rate` a second for `seconds` to :9999 and says what it cost.
 * @param {() => Record<string, number>} cpu CPU seconds so far, by name
 */
async function measure(cpu) {
  const pool = new Pool("http://127.0.0.1:9999", { connections: 128, pipelining: 1 });
  // Warm up: connections open, code compiled.
  await sendAt(pool, 100, 2);
  await new Promise((r) => setTimeout(r, 1000));
  const cpu0 = cpu();
  const self0 = process.cpuUsage();
  const latencies = await sendAt(pool, rate, seconds);
  await new Promise((r) => setTimeout(r, 1500)); // let the engine pay what it holds
  const cpu1 = cpu();
  const self = process.cpuUsage(self0);
  await pool.destroy();
  const n = latencies.length;
  const sorted = latencies.filter((x) => x >= 0).sort((a, b) => a - b);
  const failed = n - sorted.length;
  /** @param {number} p */
  const q = (p) => (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN).toFixed(2);
  const perPost = Object.entries(cpu1).map(([name, s]) => `${name} ${Math.round(((s - (cpu0[name] ?? 0)) * 1e6) / n)}`);
  perPost.push(`sender ${Math.round((self.user + self.system) / n)}`);
  return `${n} POSTs at ${rate}/s, ${failed} failed | p50 ${q(0.5)} ms, p90 ${q(0.9)}, p99 ${q(0.99)}, max ${q(1 - 1e-9)} | CPU us per POST: ${perPost.join(", ")}`;
}

/** Periods and throttled periods so far, per service with a CPU cgroup. @param {Awaited<ReturnType<typeof startStack>>} stack */
function throttledOf(stack) {
  /** @type {Record<string, [number, number]>} */
  const out = {};
  for (const s of stack.stats()) if (s.cgroup?.periods != null) out[s.name] = [s.cgroup.periods, s.cgroup.throttled ?? 0];
  return out;
}

/** CPU seconds so far, per service (cgroup when there is one) and the stand-ins. @param {Awaited<ReturnType<typeof startStack>>} stack */
function cpuOf(stack) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const s of stack.stats()) out[s.name.startsWith("processors") ? "stand-ins" : s.name] = s.cgroup?.cpuSeconds ?? s.cpuSecondsProc ?? 0;
  return out;
}

/**
 * POSTs at `perSecond` for `forSeconds`, each at its own due time; returns each one's ms, -1 if it failed.
 * @param {Pool} pool @param {number} perSecond @param {number} forSeconds
 */
async function sendAt(pool, perSecond, forSeconds) {
  const total = Math.round(perSecond * forSeconds);
  const t0 = performance.now();
  /** @type {Promise<number>[]} */
  const pending = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(postOne(pool));
  }
  return Promise.all(pending);
}

/** @param {Pool} pool */
async function postOne(pool) {
  const t = performance.now();
  try {
    const { statusCode, body } = await pool.request({
      path: "/payments",
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ correlationId: randomUUID(), amount: 19.9 }),
    });
    await body.dump();
    return statusCode >= 200 && statusCode < 300 ? performance.now() - t : -1;
  } catch {
    return -1;
  }
}
