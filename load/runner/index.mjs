// @ts-check
// The Node load runner's programmatic API (the CLI is scripts/load.mjs).
//
//   loadScenario(name, { seed, maxRequests, duration }) -> RunnerScenario
//   runScenario(scenario, { serviceUrl, processors: { default, fallback }, token, initialToken,
//                           quiet, progress, settleMs, maxRequests, signal }) -> Promise<RunResult>
//   runLoadOnly(scenario, { serviceUrl, quiet, progress, settleMs, maxRequests, signal }) -> Promise<LoadOnlyResult>
//                                                    the same load, no processors: no setup, chaos, audits or score
//   writeResult(result, path) -> Promise<void>       the JSON shared with the k6 script (+ acceptedPerStep, timeline)
//   writeReport(result, path) -> Promise<void>       self-contained HTML with SVG charts
//   renderReport(result) -> string
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

export { loadScenario, withDuration, withMaxVUs, SCENARIO_NAMES } from "./scenario.mjs";
export { runScenario, runLoadOnly, summaryLine, auditTimes } from "./run.mjs";
export { renderReport, writeReport } from "./report.mjs";
export { PAYMENT_TIMEOUT_MS } from "./http.mjs";

/**
 * @typedef {import("./scenario.mjs").RunnerScenario} RunnerScenario
 * @typedef {import("./scenario.mjs").ScenarioOptions} ScenarioOptions
 * @typedef {import("./run.mjs").RunOptions} RunOptions
 * @typedef {import("./run.mjs").RunResult} RunResult
 * @typedef {import("./run.mjs").LoadOnlyResult} LoadOnlyResult
 * @typedef {import("./run.mjs").TimelinePoint} TimelinePoint
 */

/**
 * Writes the result as pretty JSON, creating its folder.
 * @param {import("./run.mjs").RunResult} result @param {string} path
 */
export async function writeResult(result, path) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, formatResult(result));
}

/**
 * Pretty JSON, but one line per timeline second so the file stays short.
 * @param {import("./run.mjs").RunResult} result
 */
export function formatResult(result) {
  const { timeline, ...rest } = result;
  const head = JSON.stringify(rest, null, 2).replace(/\n}$/, "");
  const lines = timeline.map((point) => `    ${JSON.stringify(point)}`);
  return `${head},\n  "timeline": [${lines.length ? `\n${lines.join(",\n")}\n  ` : ""}]\n}\n`;
}
