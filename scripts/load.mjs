// @ts-check
// `npm run load -- --scenario short|long|random|final|<file.json> [--seed N] [--max-requests N]
//   [--duration S] [--drain S] [--out results/<name>.json] [--report results/<name>.html] [--quiet]`
// Runs the contest's load test (docs/contract.md §4) from Node against a running service
// and its processors, writes the JSON result (same shape as the k6 script's,
// plus a per-second timeline) and an HTML report. Measured as the contest does: the p99 that scores
// is over every request of the test with an expected response (the service's POSTs alone are printed
// beside it), and the final read is taken the moment the load ends (--drain S waits first).
// Env: SERVICE_URL (http://localhost:9999), PROCESSOR_DEFAULT_URL / PROCESSOR_FALLBACK_URL
// (http://localhost:8001 / :8002), TOKEN ("123"), INITIAL_TOKEN ("123"), AUDIT_END_OFFSET_SECONDS (2).
import { parseArgs } from "node:util";
import { loadScenario, runScenario, summaryLine, writeReport, writeResult } from "../load/runner/index.mjs";

const USAGE = `usage: npm run load -- --scenario short|long|random|final|<file.json> [--seed N] [--max-requests N]
                     [--duration S] [--drain S] [--out results/<name>.json] [--report results/<name>.html] [--quiet]`;

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

/** @type {ReturnType<typeof parse>} */
let args;
function parse() {
  return parseArgs({
    options: {
      scenario: { type: "string", default: "short" },
      seed: { type: "string" },
      "max-requests": { type: "string" },
      duration: { type: "string" },
      drain: { type: "string" },
      out: { type: "string" },
      report: { type: "string" },
      quiet: { type: "boolean", short: "q" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
}
try {
  args = parse();
} catch (error) {
  fail(/** @type {Error} */ (error).message);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

/** @param {string} flag @param {string | undefined} value @param {boolean} integer @param {boolean} [zero] 0 allowed */
function num(flag, value, integer, zero = false) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || (n === 0 && !zero) || (integer && !Number.isInteger(n)))
    fail(`invalid ${flag}: ${value}`);
  return n;
}
const drainSeconds = num("--drain", args.drain, false, true) ?? 0;

let scenario;
try {
  scenario = loadScenario(args.scenario ?? "short", {
    seed: num("--seed", args.seed, true),
    maxRequests: num("--max-requests", args["max-requests"], true),
    duration: num("--duration", args.duration, false),
  });
} catch (error) {
  fail(`cannot load scenario ${args.scenario}: ${/** @type {Error} */ (error).message}`);
}

const out = args.out ?? `results/node-${scenario.name}.json`;
const report = args.report ?? `results/node-${scenario.name}.html`;
const quiet = args.quiet ?? false;
if (!quiet) {
  console.error(
    `load: ${scenario.name}: ${scenario.maxVUs} VUs over ${scenario.durationSeconds} s, ${scenario.chaos.length} chaos steps` +
      `${scenario.maxRequests ? `, at most ${scenario.maxRequests} requests` : ""}; service ${process.env.SERVICE_URL ?? "http://localhost:9999"}`,
  );
}

// Ctrl-C ends the load early; the results are still gathered and written.
const abort = new AbortController();
process.once("SIGINT", () => {
  console.error("\nload: interrupted; finishing up (Ctrl-C again to quit)");
  abort.abort();
  process.once("SIGINT", () => process.exit(130));
});

try {
  const result = await runScenario(scenario, { quiet, signal: abort.signal, settleMs: drainSeconds * 1000 });
  await writeResult(result, out);
  await writeReport(result, report);
  const s = result.score;
  console.log(
    [
      summaryLine(result),
      `  requests  total ${result.requests.total}  accepted ${result.requests.accepted}  failed ${result.requests.failed}`,
      `  latency   p50 ${result.latency.p50}  p90 ${result.latency.p90}  p99 ${result.latency.p99}  max ${result.latency.max} ms` +
        `  (contest: all ${result.latency.count} requests with an expected response)`,
      `  service   p50 ${result.latencyService.p50}  p90 ${result.latencyService.p90}  p99 ${result.latencyService.p99}  max ${result.latencyService.max} ms` +
        `  (its ${result.latencyService.count} POST /payments with an expected response)`,
      `  final     read ${result.finalRead.secondsAfterLoad} s after the load ended (drain ${result.finalRead.drainSeconds} s),` +
        ` over [now − ${result.finalRead.windowSeconds} s, now]; audits over [now − 15 s, now − ${result.auditEndOffsetSeconds} s]`,
      `  default   processor ${result.processors.default.totalRequests} / service ${result.service.default.totalRequests}` +
        `   fallback processor ${result.processors.fallback.totalRequests} / service ${result.service.fallback.totalRequests}`,
      `  audits    ${result.audits.count} run, ${result.audits.inconsistent} inconsistent, count difference ${result.audits.countDifference}`,
      `  score     gross ${s.gross}  fees ${s.fees}  net ${s.net}  bonus ${(s.latencyBonus * 100).toFixed(1)}%  fine ${s.fine * 100}%` +
        `  profit ${s.profit}  lag ${s.lag}  default share ${(s.defaultShare * 100).toFixed(1)}%${s.disqualified ? "  DISQUALIFIED" : ""}`,
      `  wrote     ${out}, ${report}`,
    ].join("\n"),
  );
} catch (error) {
  console.error(`load: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
