// @ts-check
// Resolves a scenario by name (short, long, random or a JSON file) and
// reshapes it like the k6 script does (load/lib/scenario.js): --duration
// compresses the whole chaos schedule into the new length, --max-requests is
// the contest's MAX_REQUESTS, the peak number of VUs.
import { existsSync, readFileSync } from "node:fs";
import { randomScenario } from "../lib/random-scenario.js";
import { withDuration, withMaxVUs } from "../lib/scenario.js";

/**
 * @typedef {import("../lib/random-scenario.js").Scenario} Scenario
 * @typedef {import("../lib/random-scenario.js").ChaosStep} ChaosStep
 * @typedef {Scenario & { maxRequests?: number }} RunnerScenario
 *   maxRequests: a hard cap on POST /payments the VUs may start (tests use it; the CLI does not)
 * @typedef {{ seed?: number, maxRequests?: number, duration?: number }} ScenarioOptions
 */

/** Named scenarios that live in load/scenarios/. */
export const SCENARIO_NAMES = /** @type {const} */ (["short", "long", "random"]);

/**
 * @param {string} name "short", "long", "random", another file of load/scenarios/ by its bare name
 *   ("final" for final.json), or a path to a scenario JSON file
 * @param {ScenarioOptions} [options]
 *   seed: random's seed (default: a random one, kept in the name);
 *   duration: seconds; random draws its schedule for it, others are compressed/stretched to it;
 *   maxRequests: the peak number of VUs (the contest's MAX_REQUESTS)
 * @returns {RunnerScenario}
 */
export function loadScenario(name, options = {}) {
  const { seed, duration, maxRequests } = options;
  if (duration !== undefined && !(duration > 0)) throw new Error(`duration must be > 0 seconds, got ${duration}`);
  if (maxRequests !== undefined && !(maxRequests >= 1)) throw new Error(`maxRequests must be >= 1, got ${maxRequests}`);
  /** @type {RunnerScenario} */
  let scenario;
  if (name === "random") {
    const s = seed ?? Math.floor(Math.random() * 1_000_000);
    scenario = randomScenario(s, duration === undefined ? {} : { durationSeconds: duration });
  } else {
    const bundled = new URL(`../scenarios/${name}.json`, import.meta.url);
    const url = /^[\w-]+$/.test(name) && existsSync(bundled) ? bundled : name;
    if (!existsSync(url)) throw new Error(`no scenario "${name}": not short, long, random, a file of load/scenarios/, or a file`);
    scenario = /** @type {Scenario} */ (JSON.parse(readFileSync(url, "utf8")));
    if (duration !== undefined) scenario = withDuration(scenario, duration);
  }
  if (maxRequests !== undefined) scenario = withMaxVUs(scenario, maxRequests);
  return scenario;
}

export { withDuration, withMaxVUs };
