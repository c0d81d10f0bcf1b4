// @ts-check
// `npm run bench -- --scenario short|long|random|final|<file.json> [--seed N] [--runs 3] [--duration S] [--max-requests N] [--no-floor] [--durable-baseline] [--docker]`
// --docker: the same scenarios against the system under Docker (scripts/docker.mjs:
// compose.processors.yaml and compose.yaml built and brought up, figures from each
// container's cgroups) instead of npm start's native processes.
// Starts the stack (npm start's topology, under its compose limits) with the
// processor stand-ins, runs the scenario with the Node load runner, prints one
// summary line per run and the medians, writes each run's report and a JSON of
// everything under results/, and stops the stack. One stack per run, so runs
// are independent and each cgroup peak is that run's own.
//
// The p99 is the contest's (every request of the test with an expected response, the processors'
// admin calls included: the score's); p99Service the service's POSTs alone, which the floors compare to.
// Beside the service's figures, two floors:
// - latency: after each run, the same load (ramp, VUs, duration) against one bare
//   workerd worker answering 202 (workerd/bare.capnp) on the same port, in one
//   cgroup with the whole stack's CPU and memory: what this machine, workerd and
//   the client cost before the service does anything (--no-floor skips it);
//   with --durable-baseline, also against the plainest worker that commits each
//   POST to a same-process Durable Object before its 202
//   (workerd/durable-baseline.capnp): what the durability promise costs;
// - fees: the oracle's, every accepted payment priced at the cheaper processor
//   that was not failing in the chaos step it was sent in.
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { capacityOracleFee, oracleFee } from "../load/lib/score.js";
import { loadScenario, runLoadOnly, runScenario, writeReport } from "../load/runner/index.mjs";
import { FLOOR_NAMES, stackLimits, startFloor } from "./floor.mjs";
import { readGroupStats } from "./cgroups.mjs";
import { readCompose } from "./compose.mjs";
import { containerLine, startDockerStack } from "./docker.mjs";
import { DEFAULT_COMPOSE_FILE, startStack } from "./stack.mjs";

const { values } = parseArgs({
  options: {
    scenario: { type: "string", default: "short" },
    seed: { type: "string" },
    runs: { type: "string", default: "3" },
    duration: { type: "string" },
    "max-requests": { type: "string" },
    "no-floor": { type: "boolean", default: false },
    "durable-baseline": { type: "boolean", default: false },
    docker: { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
if (!(runs >= 1)) throw new Error(`--runs must be at least 1, got ${values.runs}`);
/** @type {import("../load/runner/index.mjs").RunnerScenario} */
let scenario;
try {
  scenario = loadScenario(values.scenario ?? "short", {
    seed: values.seed === undefined ? undefined : Number(values.seed),
    duration: values.duration === undefined ? undefined : Number(values.duration),
    maxRequests: values["max-requests"] === undefined ? undefined : Number(values["max-requests"]),
  });
} catch (error) {
  console.error(`cannot load scenario ${values.scenario}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
const SERVICES = Object.keys(readCompose(DEFAULT_COMPOSE_FILE).services ?? {});

/**
 * @typedef {{ peakMiB: number | null, workingSetPeakMiB: number | null, limitMiB: number | null, cpuSeconds: number | null,
 *   throttledPct: number | null, oomKills: number | null }} ServiceFigures
 *   peakMiB: the cgroup's high-water mark, file cache included; workingSetPeakMiB: the highest
 *   usage minus inactive file cache (what docker stats shows) of the samples taken each second
 * @typedef {{ p50: number | null, p99: number | null, max: number | null, cpuSeconds: number | null,
 *   throttledPct: number | null }} FloorFigures
 * @typedef {{ run: number, profit: number, p99: number, p99Service: number, inconsistent: number, lag: number,
 *   defaultCount: number, fallbackCount: number, accepted: number, services: Record<string, ServiceFigures>,
 *   serviceCpuSeconds: number, fees: number, oracleFee: number | null, feeRatio: number | null,
 *   capacityOracleFee: number | null, capacityFeeRatio: number | null,
 *   floor: FloorFigures | null, floorRatio: number | null,
 *   durableBaseline: FloorFigures | null, durableBaselineRatio: number | null }} RunFigures
 *   p99: the contest's, what the score uses; p99Service: POST /payments alone (both expected responses only)
 *   floor: the bare worker's latencies (ms) under the same load; floorRatio = p99Service / floor p99 (POSTs against POSTs);
 *   durableBaseline: the durable baseline's, durableBaselineRatio = p99Service / durable baseline p99;
 *   oracleFee: the fees had every payment gone to the cheaper processor not failing when it arrived;
 *   feeRatio = fees / oracleFee; capacityOracleFee: the same with default carrying at most 800 / delay a second
 *   (its admission limit), capacityFeeRatio = fees / capacityOracleFee
 */

mkdirSync("results", { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
/** @type {RunFigures[]} */
const figures = [];
const results = [];
/** @type {(import("../load/runner/index.mjs").LoadOnlyResult | null)[]} */
const floors = [];
/** @type {(import("../load/runner/index.mjs").LoadOnlyResult | null)[]} */
const durableBaselines = [];
const floorLimits = stackLimits();
const withFloor = !values["no-floor"];
const withDurableBaseline = values["durable-baseline"];
const floorKinds = [withFloor ? "one bare workerd" : "", withDurableBaseline ? "the durable baseline" : ""].filter(Boolean).join(", then ");
console.log(
  `bench${values.docker ? " (docker)" : ""}: ${scenario.name}, ${scenario.durationSeconds} s, up to ${scenario.maxVUs} VUs, ${runs} run(s)` +
    (floorKinds
      ? `; latency references: ${floorKinds}, under ${floorLimits.cpus} CPU / ${round1((floorLimits.memoryBytes ?? 0) / 2 ** 20)} MiB after each run`
      : ""),
);

for (let run = 1; run <= runs; run++) {
  const stack = values.docker
    ? await startDockerStack({ log: (l) => console.log(`docker: ${l}`) })
    : await startStack({ limits: true, log: () => {} });
  const MiB = 2 ** 20;
  /** @type {Record<string, { cpu0: number | null, periods0: number | null, throttled0: number | null }>} */
  const start = {};
  for (const s of stack.stats()) {
    start[s.name] = { cpu0: s.cgroup?.cpuSeconds ?? s.cpuSecondsProc, periods0: s.cgroup?.periods ?? null, throttled0: s.cgroup?.throttled ?? null };
  }
  let result;
  /** @type {Record<string, ServiceFigures>} */
  const services = {};
  /** @type {Record<string, number>} */
  const workingSetPeak = {};
  const sampleMemory = () => {
    for (const s of stack.state.services) {
      const bytes = readGroupStats(s.groups).workingSetBytes;
      if (bytes !== null) workingSetPeak[s.name] = Math.max(workingSetPeak[s.name] ?? 0, bytes);
    }
  };
  const sampler = setInterval(sampleMemory, 1000);
  try {
    result = await runScenario(scenario, {
      serviceUrl: "http://127.0.0.1:9999",
      processors: stack.state.processors,
      quiet: !process.stderr.isTTY,
    });
  } finally {
    clearInterval(sampler);
    sampleMemory();
    // The cgroup's own high-water mark is the peak over the whole run.
    for (const s of stack.stats()) {
      if (!SERVICES.includes(s.name)) continue;
      const s0 = start[s.name];
      const cpu = s.cgroup?.cpuSeconds ?? s.cpuSecondsProc;
      const periods = (s.cgroup?.periods ?? 0) - (s0?.periods0 ?? 0);
      const throttled = (s.cgroup?.throttled ?? 0) - (s0?.throttled0 ?? 0);
      services[s.name] = {
        peakMiB: s.cgroup?.peakBytes == null ? null : round1(s.cgroup.peakBytes / MiB),
        workingSetPeakMiB: s.name in workingSetPeak ? round1((workingSetPeak[s.name] ?? 0) / MiB) : null,
        limitMiB: s.limits.memoryBytes == null ? null : round1(s.limits.memoryBytes / MiB),
        cpuSeconds: cpu == null || s0?.cpu0 == null ? null : round1(cpu - s0.cpu0),
        throttledPct: periods > 0 ? round1((100 * throttled) / periods) : null,
        oomKills: s.cgroup?.oomKills ?? null,
      };
    }
    await stack.stop();
  }
  const r = result;
  const floorRun = withFloor ? await runFloor("bare") : null;
  floors.push(floorRun?.result ?? null);
  const durableRun = withDurableBaseline ? await runFloor("durable") : null;
  durableBaselines.push(durableRun?.result ?? null);
  const fees = feesOf(r.processors);
  const oracle = fees ? oracleFee(scenario.chaos, r.acceptedPerStep, scenario.amount, fees) : null;
  const capacityOracle = fees
    ? capacityOracleFee(
        scenario.chaos,
        r.timeline.map((p) => p.accepted),
        scenario.amount,
        fees,
      )
    : null;
  const floor = floorRun?.figures ?? null;
  const durableBaseline = durableRun?.figures ?? null;
  /** @type {RunFigures} */
  const entry = {
    run,
    profit: r.score.profit,
    p99: r.latency.p99,
    p99Service: r.latencyService.p99,
    inconsistent: r.audits.inconsistent,
    lag: r.score.lag,
    defaultCount: r.processors.default.totalRequests,
    fallbackCount: r.processors.fallback.totalRequests,
    accepted: r.requests.accepted,
    services,
    serviceCpuSeconds: round1(Object.values(services).reduce((sum, s) => sum + (s.cpuSeconds ?? 0), 0)),
    fees: r.score.fees,
    oracleFee: oracle,
    feeRatio: oracle ? round2(r.score.fees / oracle) : null,
    capacityOracleFee: capacityOracle,
    capacityFeeRatio: capacityOracle ? round2(r.score.fees / capacityOracle) : null,
    floor,
    floorRatio: floor?.p99 ? round2(r.latencyService.p99 / floor.p99) : null,
    durableBaseline,
    durableBaselineRatio: durableBaseline?.p99 ? round2(r.latencyService.p99 / durableBaseline.p99) : null,
  };
  figures.push(entry);
  results.push(r);
  const report = `results/bench-${values.docker ? "docker-" : ""}${scenario.name}-${stamp}-run${run}.html`;
  await writeReport(r, report);
  console.log(`run ${run}/${runs}  ${line(entry)}  report ${report}`);
  if (values.docker) console.log(`containers: ${containerLine(services)}`);
}

/** @param {number[]} xs */
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
/** @param {(f: RunFigures) => number | null | undefined} pick */
const med = (pick) => round2(median(figures.map((f) => pick(f) ?? 0)));
/** Median of the runs that have the figure; null if none has. @param {(f: RunFigures) => number | null | undefined} pick */
const medOrNull = (pick) => {
  const xs = figures.map(pick).filter((x) => typeof x === "number");
  return xs.length ? round2(median(xs)) : null;
};
/** @type {RunFigures} */
const medians = {
  run: 0,
  profit: med((f) => f.profit),
  p99: med((f) => f.p99),
  p99Service: med((f) => f.p99Service),
  inconsistent: med((f) => f.inconsistent),
  lag: med((f) => f.lag),
  defaultCount: med((f) => f.defaultCount),
  fallbackCount: med((f) => f.fallbackCount),
  accepted: med((f) => f.accepted),
  serviceCpuSeconds: med((f) => f.serviceCpuSeconds),
  fees: med((f) => f.fees),
  oracleFee: medOrNull((f) => f.oracleFee),
  feeRatio: medOrNull((f) => f.feeRatio),
  capacityOracleFee: medOrNull((f) => f.capacityOracleFee),
  capacityFeeRatio: medOrNull((f) => f.capacityFeeRatio),
  floor: medianFloor((f) => f.floor),
  floorRatio: medOrNull((f) => f.floorRatio),
  durableBaseline: medianFloor((f) => f.durableBaseline),
  durableBaselineRatio: medOrNull((f) => f.durableBaselineRatio),
  services: Object.fromEntries(
    SERVICES.map((name) => [
      name,
      {
        peakMiB: med((f) => f.services[name]?.peakMiB),
        workingSetPeakMiB: medOrNull((f) => f.services[name]?.workingSetPeakMiB),
        limitMiB: figures[0]?.services[name]?.limitMiB ?? null,
        cpuSeconds: med((f) => f.services[name]?.cpuSeconds),
        throttledPct: med((f) => f.services[name]?.throttledPct),
        oomKills: Math.max(...figures.map((f) => f.services[name]?.oomKills ?? 0)),
      },
    ]),
  ),
};
console.log(`median     ${line(medians)}`);
const out = `results/bench-${values.docker ? "docker-" : ""}${scenario.name}-${stamp}.json`;
writeFileSync(out, JSON.stringify({ scenario, floorLimits, runs: figures, medians, results, floors, durableBaselines }, null, 2));
console.log(`wrote ${out}`);

/** One run's figures on one line. @param {RunFigures} f */
function line(f) {
  const memory = SERVICES.map((name) => {
    const s = f.services[name];
    return `${name} ${s?.peakMiB ?? "?"} (working set ${s?.workingSetPeakMiB ?? "?"})/${s?.limitMiB ?? "?"}`;
  }).join(", ");
  const throttled = SERVICES.map((name) => `${name} ${f.services[name]?.throttledPct ?? "?"}%`).join(", ");
  const oom = SERVICES.reduce((n, name) => n + (f.services[name]?.oomKills ?? 0), 0);
  const bare = f.floor?.p99 == null ? "floor p99 ? ms" : `floor p99 ${f.floor.p99} ms (service/floor = ${f.floorRatio ?? "?"}×)`;
  const durable =
    f.durableBaseline?.p99 == null
      ? ""
      : `, durable baseline p99 ${f.durableBaseline.p99} ms (service/baseline = ${f.durableBaselineRatio ?? "?"}×` +
        (f.floor?.p99 ? `, baseline/floor = ${round2(f.durableBaseline.p99 / f.floor.p99)}×)` : ")");
  const references = bare + durable;
  const fees = `fees ${f.fees} (oracle ${f.oracleFee ?? "?"}, ratio ${f.feeRatio ?? "?"}; capacity-aware ${f.capacityOracleFee ?? "?"}, ratio ${f.capacityFeeRatio ?? "?"})`;
  return (
    `profit ${f.profit} | ${fees} | p99 ${f.p99} ms (contest; service POSTs ${f.p99Service} ms), ${references} | inconsistent audits ${f.inconsistent} | lag ${f.lag} | ` +
    `default ${f.defaultCount} / fallback ${f.fallbackCount} of ${f.accepted} accepted | ` +
    `peak MiB ${memory} | CPU s ${f.serviceCpuSeconds} | throttled ${throttled} | OOM kills ${oom}`
  );
}

/**
 * The medians of one floor's figures over the runs that have it; null if none has.
 * @param {(f: RunFigures) => FloorFigures | null} pick
 * @returns {FloorFigures | null}
 */
function medianFloor(pick) {
  if (!figures.some(pick)) return null;
  return {
    p50: medOrNull((f) => pick(f)?.p50),
    p99: medOrNull((f) => pick(f)?.p99),
    max: medOrNull((f) => pick(f)?.max),
    cpuSeconds: medOrNull((f) => pick(f)?.cpuSeconds),
    throttledPct: medOrNull((f) => pick(f)?.throttledPct),
  };
}

/**
 * The same load against a floor worker on the service's port, under the whole stack's limits.
 * A floor that cannot run costs only its figures.
 * @param {import("./floor.mjs").FloorKind} kind
 * @returns {Promise<{ result: import("../load/runner/index.mjs").LoadOnlyResult, figures: FloorFigures } | null>}
 */
async function runFloor(kind) {
  /** @type {import("./floor.mjs").FloorWorker | null} */
  let worker = null;
  try {
    worker = await startFloor({ port: 9999, kind, limits: floorLimits });
    if (worker.warning) console.log(`WARNING: ${worker.warning}`);
    const before = worker.stats();
    const result = await runLoadOnly(scenario, { serviceUrl: worker.url, quiet: !process.stderr.isTTY });
    const after = worker.stats();
    const periods = (after?.periods ?? 0) - (before?.periods ?? 0);
    const throttled = (after?.throttled ?? 0) - (before?.throttled ?? 0);
    return {
      result,
      figures: {
        p50: result.latency.p50,
        p99: result.latency.p99,
        max: result.latency.max,
        cpuSeconds: after?.cpuSeconds == null || before?.cpuSeconds == null ? null : round1(after.cpuSeconds - before.cpuSeconds),
        throttledPct: periods > 0 ? round1((100 * throttled) / periods) : null,
      },
    };
  } catch (error) {
    console.log(`WARNING: ${FLOOR_NAMES[kind]} skipped: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  } finally {
    await worker?.stop();
  }
}

/**
 * Each processor's fee per transaction: as its admin summary gives it, else from its totals.
 * @param {{ default: import("../load/runner/run.mjs").ProcessorBook, fallback: import("../load/runner/run.mjs").ProcessorBook }} books
 */
function feesOf(books) {
  /** @param {import("../load/runner/run.mjs").ProcessorBook} b */
  const fee = (b) => b.feePerTransaction ?? (b.totalAmount > 0 ? b.totalFee / b.totalAmount : null);
  const d = fee(books.default);
  const f = fee(books.fallback);
  return d === null || f === null ? null : { default: d, fallback: f };
}

/** @param {number} x */
function round1(x) {
  return Math.round(x * 10) / 10;
}
/** @param {number} x */
function round2(x) {
  return Math.round(x * 100) / 100;
}
