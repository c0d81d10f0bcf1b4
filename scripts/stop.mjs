// @ts-check
// `npm stop`: stops the stack `npm start` runs (from any shell): asks its
// supervisor to stop, or, if that is gone, terminates the recorded
// processes itself and removes sockets, pid files and cgroups.
import { parseArgs } from "node:util";
import { isAlive } from "./proc.mjs";
import { DEFAULT_RUN_DIR, readState, stackIsLive, teardown } from "./stack.mjs";

const { values: args } = parseArgs({ options: { "run-dir": { type: "string" } } });
const runDir = args["run-dir"] ?? DEFAULT_RUN_DIR;

const state = readState(runDir);
if (!state) {
  console.log(`[stack] no stack recorded in ${runDir}: nothing to stop`);
  process.exit(0);
}
const supervisor = state.supervisor;
if (supervisor.pid && supervisor.pid !== process.pid && isAlive(supervisor)) {
  console.log(`[stack] asking npm start (pid ${supervisor.pid}) to stop ...`);
  process.kill(supervisor.pid, "SIGTERM");
  const deadline = Date.now() + 20_000;
  while (isAlive(supervisor) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isAlive(supervisor)) console.log(`[stack] pid ${supervisor.pid} did not stop within 20 s: cleaning up directly`);
}
// Whatever the supervisor did not clean up (it was killed, or never got to it).
const left = readState(runDir);
if (left) {
  console.log(`[stack] cleaning up ${stackIsLive(left) ? "the recorded processes, " : ""}sockets, pid files and cgroups ...`);
  await teardown(left, (line) => console.log(`[stack] ${line}`));
}
const after = readState(runDir);
if (after && stackIsLive(after)) {
  console.error("[stack] some processes are still running; see `npm run status`");
  process.exit(1);
}
console.log("[stack] stopped: no processes, sockets or cgroups left");
