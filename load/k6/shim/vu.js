// @ts-check
// One k6 VU of the shim, in its own worker thread (like k6, every VU runs
// the script's init code on its own). `k6` and `k6/*` imports resolve to the
// shim's modules; the globals __ENV, __VU, __ITER and open() are set before
// the script loads. The main thread (run.js) tells it what to run.
import { readFileSync } from "node:fs";
import module from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parentPort } from "node:worker_threads";
import { resolve } from "./hooks.js";
import { AbortTest, emit, env, scriptPath, stopRequested, vu } from "./runtime.js";

// In this thread, before the script is imported.
if (typeof module.registerHooks === "function") module.registerHooks({ resolve });
else module.register(new URL("./hooks.js", import.meta.url));

/**
 * @typedef {import("./runtime.js").ScenarioInfo} ScenarioInfo
 * @typedef {{ type: "call", fn: string, arg: unknown }
 *   | { type: "run", scenario: ScenarioInfo, exec: string, mode: "loop" | "iterations" | "once", iterations?: number, setupData: unknown }} Command
 */

const g = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (globalThis));
g.__ENV = env;
g.__VU = vu.id;
g.__ITER = 0;
// k6 reads paths relative to the script that is run (absolute ones as they are).
g.open = (/** @type {string} */ file, /** @type {string | undefined} */ mode) => {
  const bytes = readFileSync(path.resolve(path.dirname(scriptPath), file));
  return mode === "b" ? bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) : bytes.toString("utf8");
};

const script = /** @type {Record<string, unknown>} */ (await import(pathToFileURL(scriptPath).href));

/** @param {string} name */
function exported(name) {
  const fn = script[name];
  if (typeof fn !== "function") throw new Error(`the script exports no function "${name}"`);
  return /** @type {(arg?: unknown) => unknown} */ (fn);
}

/** One iteration; errors are logged and the VU goes on, as in k6. @param {(arg?: unknown) => unknown} fn @param {unknown} data */
async function iterate(fn, data) {
  vu.iterationInInstance++;
  vu.iterationInScenario++;
  g.__ITER = vu.iterationInScenario;
  const started = performance.now();
  try {
    await fn(data);
  } catch (error) {
    if (error instanceof AbortTest) throw error;
    console.error(`k6 shim: VU ${vu.id} iteration failed:`, error);
  }
  emit("iteration_duration", "trend", performance.now() - started, {}, "time");
  emit("iterations", "counter", 1);
}

/** @param {Command} command */
async function handle(command) {
  if (command.type === "call") {
    try {
      const value = await exported(command.fn)(command.arg);
      parentPort?.postMessage({ type: "result", value });
    } catch (error) {
      if (error instanceof AbortTest) parentPort?.postMessage({ type: "result", value: undefined, aborted: true });
      else parentPort?.postMessage({ type: "error", message: error instanceof Error ? error.stack ?? error.message : String(error) });
    }
    return;
  }
  if (vu.scenario?.name !== command.scenario.name) vu.iterationInScenario = -1;
  vu.scenario = command.scenario;
  const fn = exported(command.exec);
  try {
    if (command.mode === "once") await iterate(fn, command.setupData);
    else {
      for (let i = 0; command.mode === "loop" || i < (command.iterations ?? 1); i++) {
        if (stopRequested()) break;
        await iterate(fn, command.setupData);
      }
    }
  } catch (error) {
    if (!(error instanceof AbortTest)) throw error;
  }
  parentPort?.postMessage({ type: "done" });
}

parentPort?.on("message", (command) => {
  handle(command).catch((error) => {
    parentPort?.postMessage({ type: "error", message: error instanceof Error ? error.stack ?? error.message : String(error) });
  });
});

const options = script.options === undefined ? {} : JSON.parse(JSON.stringify(script.options));
parentPort?.postMessage({ type: "ready", options, exports: Object.keys(script) });
