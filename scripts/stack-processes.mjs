// @ts-check
// The stack's processes: its state file (<run>/stack.json, so another shell
// can report on it or stop it), health probes, and stopping what a state
// records; then the Supervisor, which spawns each service inside its cgroups,
// restarts it when compose says so, and kills or restarts it on request.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { pidInGroups, pidsInGroups, procsFiles, removeGroups } from "./cgroups.mjs";
import { identify, isAlive, processTree } from "./proc.mjs";
import { DEFAULT_RUN_DIR, ROOT, defaultLog, toolPath } from "./stack-host.mjs";

/**
 * @typedef {import("./stack.mjs").StackState} StackState
 * @typedef {import("./stack.mjs").ServiceState} ServiceState
 * @typedef {import("./stack.mjs").ProcRef} ProcRef
 * @typedef {import("./cgroups.mjs").Groups} Groups
 */

export const STATE_FILE = "stack.json";
// Joins the cgroup.procs files given before "--", then becomes the command:
// the pid we record is the service itself, inside its groups before it runs
// a single instruction (so nginx's master is in them before it forks workers).
export const JOIN_CGROUPS =
  'while [ "$1" != "--" ]; do echo $$ > "$1" || { echo "cannot join cgroup $1" >&2; exit 125; }; shift; done; shift; exec "$@"';

export const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @param {string} runDir @returns {StackState | null} */
export function readState(runDir = DEFAULT_RUN_DIR) {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, STATE_FILE), "utf8"));
  } catch {
    return null;
  }
}

/** @param {StackState} state */
export function writeState(state) {
  const file = path.join(state.runDir, STATE_FILE);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

/** Whether anything recorded in the state still runs. @param {StackState} state */
export function stackIsLive(state) {
  return (
    (isAlive(state.supervisor) && state.supervisor.pid !== process.pid) || state.services.some((s) => isAlive(s)) || isAlive(state.processors.standIn)
  );
}

/** GET /health over a unix socket or a URL; true on 2xx. @param {{ socket?: string, url?: string }} health */
export function probe(health, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const target = health.socket ? { socketPath: health.socket, path: "/health", host: "localhost" } : health.url ? new URL(health.url) : null;
    if (!target) return resolve(true);
    const req = http.get(
      /** @type {any} */ ({
        ...(target instanceof URL ? { hostname: target.hostname, port: target.port, path: target.pathname } : target),
        timeout: timeoutMs,
        agent: false,
      }),
      (res) => {
        res.resume();
        resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300);
      },
    );
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

/** Sends signal to pid if it is still the process recorded. @param {ProcRef} ref @param {NodeJS.Signals} signal */
export function signalIfOurs(ref, signal) {
  if (!ref.pid || !isAlive(ref)) return;
  try {
    process.kill(ref.pid, signal);
  } catch {
    // gone meanwhile
  }
}

/** @param {number[]} pids @param {NodeJS.Signals} signal */
function signalAll(pids, signal) {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}

/** @param {() => boolean} done @param {number} timeoutMs */
async function waitFor(done, timeoutMs, stepMs = 25) {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(stepMs);
  }
  return true;
}

/**
 * Stops one recorded process and everything in its groups: SIGTERM, then
 * SIGKILL after graceMs.
 * @param {ProcRef} ref @param {Groups} groups
 */
export async function terminate(ref, groups, graceMs = 3000) {
  const gone = () => !isAlive(ref) && pidsInGroups(groups).length === 0;
  if (gone()) return;
  const tree = ref.pid && isAlive(ref) ? processTree(ref.pid) : [];
  signalIfOurs(ref, "SIGTERM");
  if (await waitFor(gone, graceMs)) return;
  signalAll([...tree.filter((pid) => isAlive({ pid, startTime: null })), ...pidsInGroups(groups)], "SIGKILL");
  signalIfOurs(ref, "SIGKILL");
  await waitFor(gone, 3000);
}

/**
 * Tears down what a state records: services in reverse start order (each
 * level at once), the stand-ins, then socket and pid files, the state file
 * and the cgroup directories. Safe to run from any process, repeatedly.
 * @param {StackState} state @param {(line: string) => void} log
 * @returns {Promise<string[]>} what could not be removed
 */
export async function teardown(state, log = defaultLog) {
  const levels = [...new Set(state.services.map((s) => s.level))].sort((a, b) => b - a);
  for (const level of levels) {
    await Promise.all(state.services.filter((s) => s.level === level).map((s) => terminate(s, s.groups)));
  }
  if (state.processors.standIn) await terminate(state.processors.standIn, {});
  const left = [];
  for (const s of state.services) {
    if (isAlive(s)) left.push(`process ${s.name} (pid ${s.pid})`);
    s.pid = null;
  }
  // Sockets and pid files.
  if (fs.existsSync(state.socketDir)) {
    for (const file of fs.readdirSync(state.socketDir)) if (file.endsWith(".sock")) fs.rmSync(path.join(state.socketDir, file), { force: true });
    try {
      fs.rmdirSync(state.socketDir);
    } catch {
      // not empty: something else lives there
    }
  }
  fs.rmSync(path.join(state.runDir, "nginx.pid"), { force: true });
  for (const s of state.services) left.push(...(await removeGroups(s.groups)).map((dir) => `cgroup ${dir}`));
  fs.rmSync(path.join(state.runDir, STATE_FILE), { force: true });
  if (left.length) log(`could not remove: ${left.join(", ")}`);
  return left;
}

/**
 * Runs the services of one state: spawns each in its groups, waits for its
 * health check, restarts it after an unexpected exit when its compose
 * `restart` says so, and kills or restarts it on request. stop() tears
 * everything down once, however often it is called.
 */
export class Supervisor {
  /** @type {Map<string, import("node:child_process").ChildProcess>} */
  children = new Map();
  /** Services whose next exit is intended (kill, restart, stop). */
  expectExit = new Set();
  stopping = false;
  /** @type {Promise<void> | null} */
  stopped = null;

  /**
   * @param {StackState} state
   * @param {{ log: (line: string) => void, logDir: string | null, autoRestart: boolean, healthTimeoutMs: number }} options
   */
  constructor(state, options) {
    this.state = state;
    this.options = options;
    // Last resort if this process exits without stop(): no orphans (files and groups are left for `npm stop`).
    this.killOnExit = () => {
      for (const s of state.services) if (s.pid) signalIfOurs(s, "SIGKILL");
      if (state.processors.standIn) signalIfOurs(state.processors.standIn, "SIGKILL");
    };
    process.on("exit", this.killOnExit);
  }

  /** Where a process's output goes: its log file, or ours. @param {string} name */
  output(name) {
    const { logDir } = this.options;
    return logDir ? fs.openSync(path.join(logDir, `${name}.log`), "a") : "inherit";
  }

  stop() {
    this.stopped ??= (async () => {
      this.stopping = true;
      for (const s of this.state.services) this.expectExit.add(s.name);
      process.off("exit", this.killOnExit);
      await teardown(this.state, this.options.log);
    })();
    return this.stopped;
  }

  /** @param {ServiceState} s */
  spawnService(s) {
    const { socketDir, dataDir } = this.state;
    const files = procsFiles(s.groups);
    const argv = files.length ? ["sh", "-c", JOIN_CGROUPS, "join-cgroups", ...files, "--", ...s.command] : s.command;
    const out = this.output(s.name);
    const child = spawn(/** @type {string} */ (argv[0]), argv.slice(1), {
      cwd: ROOT,
      stdio: ["ignore", out, out],
      detached: true,
      env: {
        PATH: toolPath(),
        HOME: process.env.HOME ?? "/root",
        ...(s.kind === "workerd"
          ? { APP_DIR: ROOT, SOCKET_DIR: socketDir, DATA_DIR: dataDir, WORKERD: path.join(ROOT, "node_modules/.bin/workerd") }
          : {}),
        ...s.env,
      },
    });
    if (typeof out === "number") fs.closeSync(out);
    this.children.set(s.name, child);
    Object.assign(s, identify(/** @type {number} */ (child.pid)), { startedAt: new Date().toISOString() });
    child.on("error", (err) => this.options.log(`${s.name}: ${err.message}`));
    child.on("exit", (code, signal) => this.exited(s, child, code, signal));
    writeState(this.state);
    return child;
  }

  /**
   * A service's process ended: expected, or restarted after a second as its `restart` policy says.
   * @param {ServiceState} s @param {import("node:child_process").ChildProcess} child
   * @param {number | null} code @param {NodeJS.Signals | null} signal
   */
  exited(s, child, code, signal) {
    const { log } = this.options;
    if (this.children.get(s.name) !== child) return;
    this.children.delete(s.name);
    s.pid = null;
    s.startTime = null;
    if (this.expectExit.delete(s.name) || this.stopping) {
      if (!this.stopping) writeState(this.state);
      return;
    }
    log(`${s.name} exited unexpectedly (${signal ?? `code ${code}`})`);
    if (this.options.autoRestart && s.restart !== "no" && s.startedAt) {
      log(`restarting ${s.name} (restart: ${s.restart})`);
      setTimeout(() => {
        if (!this.stopping && !this.children.has(s.name)) this.restart(s.name).catch((err) => log(`restart of ${s.name} failed: ${err.message}`));
      }, 1000);
    }
    if (!this.stopping) writeState(this.state);
  }

  /** Until the service's health check passes; throws if it exits or times out first. @param {ServiceState} s */
  async waitHealthy(s) {
    const { logDir, healthTimeoutMs } = this.options;
    const deadline = Date.now() + healthTimeoutMs;
    for (;;) {
      const child = this.children.get(s.name);
      if (!child || child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${s.name} exited while starting${logDir ? ` (see ${path.join(logDir, `${s.name}.log`)})` : ""}`);
      }
      if (await probe(s.health)) break;
      if (Date.now() > deadline) throw new Error(`${s.name} not healthy after ${healthTimeoutMs} ms (${s.health.socket ?? s.health.url})`);
      await sleep(50);
    }
    if (s.pid && Object.keys(s.groups).length && !pidInGroups(s.pid, s.groups)) {
      throw new Error(`${s.name} (pid ${s.pid}) is not inside its cgroups`);
    }
  }

  /** Starts the services in depends_on order; a level starts once the one before is healthy. */
  async startAll() {
    const services = this.state.services;
    for (const level of [...new Set(services.map((s) => s.level))]) {
      const batch = services.filter((s) => s.level === level);
      for (const s of batch) this.spawnService(s);
      await Promise.all(batch.map((s) => this.waitHealthy(s)));
      this.options.log(`healthy: ${batch.map((s) => `${s.name} (pid ${s.pid})`).join(", ")}`);
    }
  }

  /** @param {string} name */
  find(name) {
    const s = this.state.services.find((x) => x.name === name);
    if (!s) throw new Error(`no service ${name} (services: ${this.state.services.map((x) => x.name).join(", ")})`);
    return s;
  }

  /** @param {string} name @param {NodeJS.Signals} [signal] */
  async kill(name, signal = "SIGKILL") {
    const s = this.find(name);
    const child = this.children.get(name);
    if (!child || !s.pid) return;
    const fatal = ["SIGKILL", "SIGTERM", "SIGINT", "SIGQUIT"].includes(signal);
    if (fatal) this.expectExit.add(name);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const tree = processTree(s.pid);
    signalAll(signal === "SIGKILL" ? [...tree, ...pidsInGroups(s.groups)] : [s.pid], signal);
    if (!fatal) return;
    await Promise.race([exited, sleep(10_000)]);
    // An nginx master killed outright leaves its workers: they are in its group.
    if (signal === "SIGKILL") {
      signalAll(pidsInGroups(s.groups), "SIGKILL");
      await waitFor(() => pidsInGroups(s.groups).length === 0, 3000);
    }
  }

  /** @param {string} name */
  async restart(name) {
    const s = this.find(name);
    if (this.stopping) throw new Error("the stack is stopping");
    if (this.children.has(name)) await this.kill(name, "SIGTERM");
    s.restarts += 1;
    this.spawnService(s);
    await this.waitHealthy(s);
    this.options.log(`${name} is back (pid ${s.pid})`);
  }
}
