// @ts-check
// The bench's reference workers, each one workerd process inside one cgroup
// holding the whole stack's CPU and memory (the sum of compose.yaml's limits):
// - "bare", the latency floor (workerd/bare.capnp): answers 202 to everything,
//   so the same load against it shows what this machine, workerd and the
//   client cost on their own;
// - "durable", the durable baseline (workerd/durable-baseline.capnp): commits
//   each POST's body to a same-process Durable Object before its 202, the
//   plainest way to keep "no 202 before it survives a SIGKILL"; what that
//   promise costs before anything else is done. Not a floor for the service:
//   one process does all the commits, and under the short run's load the
//   service's two instances have had the lower tail.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { limitsOf, readCompose } from "./compose.mjs";
import { createGroup, detectCgroups, pidInGroups, pidsInGroups, procsFiles, readGroupStats, removeGroups } from "./cgroups.mjs";
import { isAlive, identify } from "./proc.mjs";
import { DEFAULT_COMPOSE_FILE, JOIN_CGROUPS, ROOT, assertPortFree, eatmydataLibrary } from "./stack.mjs";

/** @typedef {"bare" | "durable"} FloorKind */
/** @type {Record<FloorKind, string>} */
export const FLOOR_CONFIGS = { bare: "workerd/bare.capnp", durable: "workerd/durable-baseline.capnp" };
/** @type {Record<FloorKind, string>} */
export const FLOOR_NAMES = { bare: "bare floor", durable: "durable baseline" };

/**
 * @typedef {import("./cgroups.mjs").Limits} Limits
 * @typedef {import("./cgroups.mjs").Groups} Groups
 * @typedef {{
 *   kind: FloorKind, url: string, pid: number, limits: Limits | null, warning: string | null,
 *   stats(): import("./cgroups.mjs").GroupStats | null, stop(): Promise<void>,
 * }} FloorWorker
 *   limits: what the cgroup holds it to, null when none could be applied (warning says why)
 */

/**
 * The whole stack's limits: the sum over compose.yaml's services (1.5 CPU, 350 MB).
 * @param {string} [composeFile] @returns {Limits}
 */
export function stackLimits(composeFile = DEFAULT_COMPOSE_FILE) {
  const services = Object.values(readCompose(composeFile).services ?? {});
  let cpus = 0;
  let memoryBytes = 0;
  for (const service of services) {
    const limits = limitsOf(service);
    cpus += limits.cpus ?? 0;
    memoryBytes += limits.memoryBytes ?? 0;
  }
  return { cpus: cpus > 0 ? Math.round(cpus * 1000) / 1000 : null, memoryBytes: memoryBytes > 0 ? memoryBytes : null };
}

/**
 * The floor's cgroup with the wanted limits, or why it has none.
 * @param {Limits | false | null} wanted @param {string} groupName @returns {{ groups: Groups, warning: string | null }}
 */
function floorGroups(wanted, groupName) {
  if (!wanted) return { groups: {}, warning: null };
  const support = detectCgroups();
  if ("reason" in support) return { groups: {}, warning: `floor limits NOT applied: ${support.reason}` };
  return { groups: createGroup(support, groupName, wanted), warning: null };
}

/**
 * The workerd command line and environment of a reference worker; the
 * durable baseline gets a data folder (a fresh temporary one unless given).
 * @param {FloorKind} kind @param {number} port @param {string | undefined} dataDir
 * @returns {{ command: string[], env: NodeJS.ProcessEnv, tempDir: string | null, warning: string | null }}
 */
function floorCommand(kind, port, dataDir) {
  const workerd = path.join(ROOT, "node_modules/.bin/workerd");
  const command = [workerd, "serve", path.join(ROOT, FLOOR_CONFIGS[kind]), "-s", `http=127.0.0.1:${port}`];
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env };
  if (kind !== "durable") return { command, env, tempDir: null, warning: null };
  const tempDir = dataDir ? null : fs.mkdtempSync(path.join(os.tmpdir(), "rinha-durable-baseline-"));
  command.push("--directory-path", `floor-disk=${dataDir ?? tempDir}`);
  // As the API instances run: a commit reaches the kernel, not the disk, before the 202.
  const eatmydata = eatmydataLibrary();
  if (eatmydata) env.LD_PRELOAD = eatmydata;
  const warning = eatmydata ? null : "libeatmydata not found: the durable baseline fsyncs each commit, which the API instances do not";
  return { command, env, tempDir, warning };
}

/**
 * Resolves once the worker answers POST /payments with 202; throws if it exits,
 * something else answers, or timeoutMs passes.
 * @param {import("node:child_process").ChildProcess} child @param {string} url @param {string} name @param {number} timeoutMs
 */
async function waitForFloor(child, url, name, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the ${name} exited while starting (is port ${new URL(url).port} free?)`);
    const status = await fetch(`${url}/payments`, { method: "POST", body: "{}", signal: AbortSignal.timeout(1000) }).then(
      (res) => res.arrayBuffer().then(() => res.status),
      () => 0,
    );
    if (status === 202) return;
    if (status !== 0) throw new Error(`something else answers on port ${new URL(url).port} (HTTP ${status})`);
    if (Date.now() > deadline) throw new Error(`the ${name} does not answer on port ${new URL(url).port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts a reference worker on 127.0.0.1:port and resolves once it answers POST /payments with 202.
 * @param {{ port: number, kind?: FloorKind, limits?: Limits | false, groupName?: string, timeoutMs?: number, dataDir?: string }} options
 *   kind: "bare" (default) or "durable"; limits: the cgroup's (default: stackLimits()), false for none;
 *   dataDir: where the durable baseline keeps its SQLite file (default: a fresh temporary folder, removed on stop)
 * @returns {Promise<FloorWorker>}
 */
export async function startFloor(options) {
  const { port, kind = "bare", groupName = "rinha-floor", timeoutMs = 15_000 } = options;
  const wanted = options.limits === undefined ? stackLimits() : options.limits;
  await assertPortFree(port, `the ${FLOOR_NAMES[kind]} needs it`);
  const { groups, warning: limitsWarning } = floorGroups(wanted, groupName);
  const files = procsFiles(groups);
  const { command, env, tempDir, warning: diskWarning } = floorCommand(kind, port, options.dataDir);
  const warning = [limitsWarning, diskWarning].filter(Boolean).join("; ") || null;
  const argv = files.length ? ["sh", "-c", JOIN_CGROUPS, "join-cgroups", ...files, "--", ...command] : command;
  const child = spawn(/** @type {string} */ (argv[0]), argv.slice(1), { cwd: ROOT, env, stdio: ["ignore", "ignore", "inherit"] });
  const ref = identify(/** @type {number} */ (child.pid));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const killOnExit = () => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL");
  process.on("exit", killOnExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => killOnExit(), 3000);
      await exited;
      clearTimeout(timer);
    }
    process.off("exit", killOnExit);
    // Anything else that joined the group (nothing should) goes with it.
    for (const pid of pidsInGroups(groups)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    await removeGroups(groups);
    if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  };

  try {
    const url = `http://127.0.0.1:${port}`;
    await waitForFloor(child, url, FLOOR_NAMES[kind], timeoutMs);
    if (files.length && (!isAlive(ref) || !pidInGroups(/** @type {number} */ (child.pid), groups))) {
      throw new Error(`the ${FLOOR_NAMES[kind]} (pid ${child.pid}) is not inside its cgroup`);
    }
    return {
      kind,
      url,
      pid: /** @type {number} */ (child.pid),
      limits: files.length ? /** @type {Limits} */ (wanted) : null,
      warning,
      stats: () => (files.length ? readGroupStats(groups) : null),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
