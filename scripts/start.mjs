// @ts-check
// `npm start`: the compose.yaml topology as local processes (nginx on 9999,
// api-1, api-2, engine), each under its compose CPU and memory limits, against
// processor stand-ins on 8001/8002 unless PROCESSOR_DEFAULT_URL and
// PROCESSOR_FALLBACK_URL are both set. Stays in the foreground; Ctrl-C,
// SIGTERM or `npm stop` (from another shell) stops it all.
import { parseArgs } from "node:util";
import { DEFAULT_RUN_DIR, describeStack, readState, startStack, teardown } from "./stack.mjs";

const USAGE = `usage: npm start [-- --keep-data] [--no-limits] [--build] [--run-dir DIR]
  --keep-data   keep the ledger from the previous run (default: start empty)
  --no-limits   do not apply the compose CPU and memory limits
  --build       rebuild dist/api.js even if it looks fresh
  --run-dir     where sockets, data, logs and stack.json live (default: run/)`;

let args;
try {
  args = parseArgs({
    options: {
      "keep-data": { type: "boolean" },
      "no-limits": { type: "boolean" },
      build: { type: "boolean" },
      "run-dir": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
} catch (err) {
  console.error(`${/** @type {Error} */ (err).message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const runDir = args["run-dir"] ?? DEFAULT_RUN_DIR;

/** @type {import("./stack.mjs").Stack | null} */
let stack = null;
let stopping = false;
/** @param {NodeJS.Signals} signal */
async function onSignal(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\n[stack] ${signal}: stopping everything ...`);
  if (stack) {
    await stack.stop();
  } else {
    // Still starting: tear down whatever has been recorded so far.
    const state = readState(runDir);
    if (state) await teardown(state);
  }
  console.log("[stack] stopped");
  process.exit(0);
}
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM", "SIGHUP"])) process.on(signal, onSignal);

try {
  stack = await startStack({
    runDir,
    keepData: args["keep-data"] ?? false,
    limits: !args["no-limits"],
    build: args.build ? true : "auto",
  });
} catch (err) {
  console.error(`[stack] npm start failed: ${/** @type {Error} */ (err).message}`);
  process.exit(1);
}
if (stopping) await new Promise(() => {}); // a signal came during startup: its handler exits
console.log(`\n${describeStack(stack.state)}\n`);
console.log("[stack] up: http://127.0.0.1:9999  (Ctrl-C here or `npm stop` elsewhere stops it; `npm run status` for usage)");
setInterval(() => {}, 1 << 30); // stay in the foreground even if every child dies
