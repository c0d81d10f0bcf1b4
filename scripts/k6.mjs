// @ts-check
// `npm run k6 -- --scenario short|long|random [--seed N] [--max-requests N] [--duration S] [-- <k6 run flags>]`
// Runs the contest's load test with a real k6 (load/k6/rinha.js) against a
// running stack and writes results/k6-<scenario>.json. Addresses and tokens
// come from the environment like the script's own defaults: SERVICE_URL,
// PROCESSOR_DEFAULT_URL, PROCESSOR_FALLBACK_URL, TOKEN, INITIAL_TOKEN.
// K6_BIN names a k6 binary to use instead of the one on PATH.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { K6_NOT_FOUND, findK6 } from "./k6-bin.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const script = path.join(root, "load/k6/rinha.js");
const USAGE = "usage: npm run k6 -- --scenario short|long|random [--seed N] [--max-requests N] [--duration S] [-- <k6 run flags>]";

/** @param {string} message @returns {never} */
function fail(message, code = 2) {
  console.error(message);
  process.exit(code);
}

/** @param {string | undefined} value @param {string} flag */
function count(value, flag) {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) fail(`${flag} wants a non-negative integer, got "${value}"\n${USAGE}`);
  return value;
}

// Everything after a `--` goes to `k6 run` as it is.
const argv = process.argv.slice(2);
const split = argv.indexOf("--");
const k6Flags = split < 0 ? [] : argv.slice(split + 1);
let parsed;
try {
  parsed = parseArgs({
    args: split < 0 ? argv : argv.slice(0, split),
    options: {
      scenario: { type: "string", default: "short" },
      seed: { type: "string" },
      "max-requests": { type: "string" },
      duration: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
} catch (error) {
  fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
}
const { values } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const scenario = values.scenario ?? "short";
if (!["short", "long", "random"].includes(scenario)) fail(`unknown scenario "${scenario}"\n${USAGE}`);
const maxRequests = count(values["max-requests"], "--max-requests");
const duration = count(values.duration, "--duration");
let seed = count(values.seed, "--seed");
if (scenario === "random" && seed === undefined) {
  seed = String(Math.floor(Math.random() * 2 ** 31));
  console.log(`random scenario, seed ${seed} (repeat it with --seed ${seed})`);
}
if (scenario !== "random" && seed !== undefined) console.warn("--seed only matters with --scenario random");

const name = scenario === "random" ? `random-${seed}` : scenario;
const resultFile = path.join(root, "results", `k6-${name}.json`);
fs.mkdirSync(path.dirname(resultFile), { recursive: true });

const k6 = findK6() ?? fail(K6_NOT_FOUND);
/** @type {Record<string, string | undefined>} */
const scriptEnv = {
  SCENARIO: scenario,
  SEED: scenario === "random" ? seed : undefined,
  MAX_REQUESTS: maxRequests,
  DURATION: duration,
  RESULT_FILE: resultFile,
};
const args = ["run"];
for (const [key, value] of Object.entries(scriptEnv)) if (value !== undefined) args.push("-e", `${key}=${value}`);
args.push(...k6Flags, script);

console.log(`${k6.version}\n$ ${[k6.file, ...args].join(" ")}`);
// k6 also hands the rest of the environment to the script (SERVICE_URL, TOKEN, ...).
const child = spawn(k6.file, args, { cwd: root, stdio: "inherit" });
// Ctrl-C reaches k6 directly (same process group): k6 stops gracefully on the
// first and hard on the second, so it is not forwarded again. SIGTERM is.
process.on("SIGINT", () => {});
process.on("SIGTERM", () => child.kill("SIGTERM"));
child.on("error", (error) => fail(`cannot run ${k6.file}: ${error.message}`, 1));
child.on("exit", (code, signal) => {
  if (fs.existsSync(resultFile)) console.log(`result: ${path.relative(root, resultFile)}`);
  process.exit(code ?? (signal ? 128 : 1));
});
