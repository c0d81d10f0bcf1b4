// @ts-check
// `npm run bench -- --scenario short|long|random [--seed N] [--runs 3] [--duration S] [--max-requests N]`
// Starts the stack (npm start's topology, under its compose limits) with the
// processor stand-ins, runs the scenario with the Node load runner, prints one
// summary line per run and the medians, writes each run's report and a JSON of
// everything under results/, and stops the stack. One stack per run, so runs
// are independent and each cgroup peak is that run's own.
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadScenario, runScenario, writeReport } from "../load/runner/index.mjs";
import { startStack } from "./stack.mjs";

const { values } = parseArgs({
  options: {
    scenario: { type: "string", default: "short" },
    seed: { type: "string" },
    runs: { type: "string", default: "3" },
    duration: { type: "string" },
    "max-requests": { type: "string" },
  },
});
const runs = Number(values.runs);
if (!(runs >= 1)) throw new Error(`--runs must be at least 1, got ${values.runs}`);
const scenario = loadScenario(values.scenario ?? "short", {
  seed: values.seed === undefined ? undefined : Number(values.seed),
  duration: values.duration === undefined ? undefined : Number(values.duration),
  maxRequests: values["max-requests"] === undefined ? undefined : Number(values["max-requests"]),
});
const SERVICES = ["load-balancer", "api-1", "api-2", "engine"];

/**
 * @typedef {{ peakMiB: number | null, limitMiB: number | null, cpuSeconds: number | null,
 *   throttledPct: number | null, oomKills: number | null }} ServiceFigures
 * @typedef {{ run: number, profit: number, p99: number, inconsistent: number, lag: number,
 *   defaultCount: number, fallbackCount: number, accepted: number, services: Record<string, ServiceFigures>,
 *   serviceCpuSeconds: number }} RunFigures
 */

mkdirSync("results", { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
/** @type {RunFigures[]} */
const figures = [];
const results = [];
console.log(`bench: ${scenario.name}, ${scenario.durationSeconds} s, up to ${scenario.maxVUs} VUs, ${runs} run(s)`);

for (let run = 1; run <= runs; run++) {
  const stack = await startStack({ limits: true, log: () => {} });
  const MiB = 2 ** 20;
  /** @type {Record<string, { cpu0: number | null, periods0: number | null, throttled0: number | null }>} */
  const start = {};
  for (const s of stack.stats()) {
    start[s.name] = { cpu0: s.cgroup?.cpuSeconds ?? s.cpuSecondsProc, periods0: s.cgroup?.periods ?? null, throttled0: s.cgroup?.throttled ?? null };
  }
  let result;
  /** @type {Record<string, ServiceFigures>} */
  const services = {};
  try {
    result = await runScenario(scenario, {
      serviceUrl: "http://127.0.0.1:9999",
      processors: stack.state.processors,
      quiet: !process.stderr.isTTY,
    });
  } finally {
    // The cgroup's own high-water mark is the peak over the whole run.
    for (const s of stack.stats()) {
      if (!SERVICES.includes(s.name)) continue;
      const s0 = start[s.name];
      const cpu = s.cgroup?.cpuSeconds ?? s.cpuSecondsProc;
      const periods = (s.cgroup?.periods ?? 0) - (s0?.periods0 ?? 0);
      const throttled = (s.cgroup?.throttled ?? 0) - (s0?.throttled0 ?? 0);
      services[s.name] = {
        peakMiB: s.cgroup?.peakBytes == null ? null : round1(s.cgroup.peakBytes / MiB),
        limitMiB: s.limits.memoryBytes == null ? null : round1(s.limits.memoryBytes / MiB),
        cpuSeconds: cpu == null || s0?.cpu0 == null ? null : round1(cpu - s0.cpu0),
        throttledPct: periods > 0 ? round1((100 * throttled) / periods) : null,
        oomKills: s.cgroup?.oomKills ?? null,
      };
    }
    await stack.stop();
  }
  const r = result;
  const entry = {
    run,
    profit: r.score.profit,
    p99: r.latency.p99,
    inconsistent: r.audits.inconsistent,
    lag: r.score.lag,
    defaultCount: r.processors.default.totalRequests,
    fallbackCount: r.processors.fallback.totalRequests,
    accepted: r.requests.accepted,
    services,
    serviceCpuSeconds: round1(Object.values(services).reduce((sum, s) => sum + (s.cpuSeconds ?? 0), 0)),
  };
  figures.push(entry);
  results.push(r);
  const report = `results/bench-${scenario.name}-${stamp}-run${run}.html`;
  await writeReport(r, report);
  console.log(`run ${run}/${runs}  ${line(entry)}  report ${report}`);
}

/** @param {number[]} xs */
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
/** @param {(f: RunFigures) => number | null | undefined} pick */
const med = (pick) => round2(median(figures.map((f) => pick(f) ?? 0)));
/** @type {RunFigures} */
const medians = {
  run: 0,
  profit: med((f) => f.profit),
  p99: med((f) => f.p99),
  inconsistent: med((f) => f.inconsistent),
  lag: med((f) => f.lag),
  defaultCount: med((f) => f.defaultCount),
  fallbackCount: med((f) => f.fallbackCount),
  accepted: med((f) => f.accepted),
  serviceCpuSeconds: med((f) => f.serviceCpuSeconds),
  services: Object.fromEntries(SERVICES.map((name) => [name, {
    peakMiB: med((f) => f.services[name]?.peakMiB),
    limitMiB: figures[0]?.services[name]?.limitMiB ?? null,
    cpuSeconds: med((f) => f.services[name]?.cpuSeconds),
    throttledPct: med((f) => f.services[name]?.throttledPct),
    oomKills: Math.max(...figures.map((f) => f.services[name]?.oomKills ?? 0)),
  }])),
};
console.log(`median     ${line(medians)}`);
const out = `results/bench-${scenario.name}-${stamp}.json`;
writeFileSync(out, JSON.stringify({ scenario, runs: figures, medians, results }, null, 2));
console.log(`wrote ${out}`);

/** One run's figures on one line. @param {RunFigures} f */
function line(f) {
  const memory = SERVICES.map((name) => {
    const s = f.services[name];
    return `${name} ${s?.peakMiB ?? "?"}/${s?.limitMiB ?? "?"}`;
  }).join(", ");
  const throttled = SERVICES.map((name) => `${name} ${f.services[name]?.throttledPct ?? "?"}%`).join(", ");
  const oom = SERVICES.reduce((n, name) => n + (f.services[name]?.oomKills ?? 0), 0);
  return `profit ${f.profit} | p99 ${f.p99} ms | inconsistent audits ${f.inconsistent} | lag ${f.lag} | ` +
    `default ${f.defaultCount} / fallback ${f.fallbackCount} of ${f.accepted} accepted | ` +
    `peak MiB ${memory} | CPU s ${f.serviceCpuSeconds} | throttled ${throttled} | OOM kills ${oom}`;
}

/** @param {number} x */
function round1(x) { return Math.round(x * 10) / 10; }
/** @param {number} x */
function round2(x) { return Math.round(x * 100) / 100; }
