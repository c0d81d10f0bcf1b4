// @ts-check
// The compose topology as local processes, for machines without Docker:
// every service of compose.yaml runs as what its container would run (the
// workerd roles through deploy/entrypoint.sh, the balancer as the system
// nginx with deploy/nginx.conf), with the same environment, started in
// depends_on order, each inside cgroups carrying its compose CPU and memory
// limits. The state (pids, groups) is kept in <run>/stack.json so another
// shell can report on it (`npm run status`) or tear it down (`npm stop`).
//
// One concern a file: stack-plan.mjs (compose.yaml as a plan, pure),
// stack-host.mjs (what the host must provide), stack-processes.mjs (state
// file, spawning, stopping), stack-report.mjs (figures and tables). This file
// puts them together; scripts/start.mjs, stop.mjs and status.mjs and the
// tests use startStack(), killService() and restartService() from here.
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { readCompose } from "./compose.mjs";
import { createGroup, detectCgroups } from "./cgroups.mjs";
import { identify, isAlive } from "./proc.mjs";
import { processorUrlsFromEnv, waitForPort } from "./processes.mjs";
import {
  DEFAULT_COMPOSE_FILE,
  DEFAULT_RUN_DIR,
  ROOT,
  assertPortFree,
  build,
  bundleIsStale,
  defaultLog,
  ensureEatmydata,
  ensureNginx,
} from "./stack-host.mjs";
import { asObject, containerSocketDir, planServices, rewriteNginxConfig } from "./stack-plan.mjs";
import { Supervisor, readState, stackIsLive, teardown, writeState } from "./stack-processes.mjs";
import { readServiceStats } from "./stack-report.mjs";

// Its parts' exports too: start, stop and status, the bench and the tests import them from here.
export * from "./stack-host.mjs";
export * from "./stack-plan.mjs";
export * from "./stack-processes.mjs";
export * from "./stack-report.mjs";

const STAND_IN_PORTS = { default: 8001, fallback: 8002 };

/**
 * @typedef {{ pid: number | null, startTime: number | null }} ProcRef
 * @typedef {import("./cgroups.mjs").Groups} Groups
 * @typedef {import("./stack-report.mjs").ServiceStats} ServiceStats
 * @typedef {{
 *   name: string,
 *   kind: "nginx" | "workerd",
 *   command: string[],
 *   env: Record<string, string>,
 *   dependsOn: string[],
 *   level: number,
 *   health: { socket?: string, url?: string },
 *   ports: number[],
 *   restart: string,
 *   limits: { cpus: number | null, memoryBytes: number | null },
 *   groups: Groups,
 *   pid: number | null,
 *   startTime: number | null,
 *   startedAt: string | null,
 *   restarts: number,
 * }} ServiceState
 * @typedef {{
 *   version: 1,
 *   root: string,
 *   composeFile: string,
 *   runDir: string,
 *   socketDir: string,
 *   dataDir: string,
 *   supervisor: ProcRef,
 *   startedAt: string,
 *   cgroups: "v1" | "v2" | null,
 *   cgroupWarning: string | null,
 *   processors: { default: string, fallback: string, standIn: (ProcRef & { ports: number[] }) | null },
 *   services: ServiceState[],
 * }} StackState
 * @typedef {{
 *   runDir?: string,
 *   composeFile?: string,
 *   processors?: { default: string, fallback: string } | null,
 *   limits?: boolean,
 *   groupPrefix?: string,
 *   logDir?: string | null,
 *   keepData?: boolean,
 *   build?: boolean | "auto",
 *   installNginx?: boolean,
 *   autoRestart?: boolean,
 *   healthTimeoutMs?: number,
 *   env?: Record<string, string | undefined>,
 *   log?: (line: string) => void,
 * }} StartOptions
 *   groupPrefix: the cgroups' name prefix (default: $CGROUP_PREFIX, else "rinha-"); two stacks side by side need two.
 * @typedef {{
 *   state: StackState,
 *   stop(): Promise<void>,
 *   killService(name: string, signal?: NodeJS.Signals): Promise<void>,
 *   restartService(name: string): Promise<void>,
 *   stats(): ServiceStats[],
 * }} Stack
 */

/** Refuses to start over a live stack; clears what a stopped one left. @param {string} runDir @param {(line: string) => void} log */
async function clearPrevious(runDir, log) {
  const previous = readState(runDir);
  if (previous && stackIsLive(previous)) {
    const pid = isAlive(previous.supervisor) ? previous.supervisor.pid : previous.services.find((s) => isAlive(s))?.pid;
    throw new Error(`a stack is already running from ${runDir} (pid ${pid}); stop it first with \`npm stop\``);
  }
  if (previous) {
    log(`cleaning up what a stopped stack left in ${runDir}`);
    await teardown(previous, log);
  }
}

/**
 * The processors (given, from the environment, or our stand-ins on
 * 8001/8002) and the services planned from compose.yaml; checks that their
 * ports are free.
 * @param {StartOptions} options @param {{ env: Record<string, string | undefined>, runDir: string, composeFile: string, log: (line: string) => void }} ctx
 */
async function plan(options, { env, runDir, composeFile, log }) {
  const socketDir = path.join(runDir, "sockets");
  const compose = /** @type {Record<string, unknown>} */ (readCompose(composeFile));
  const given = options.processors === undefined ? processorUrlsFromEnv(env) : options.processors;
  const processors = given ?? {
    default: `http://127.0.0.1:${STAND_IN_PORTS.default}`,
    fallback: `http://127.0.0.1:${STAND_IN_PORTS.fallback}`,
  };
  const { services, nginxConfig } = planServices(compose, {
    env: { ...env, PROCESSOR_DEFAULT_URL: processors.default, PROCESSOR_FALLBACK_URL: processors.fallback },
    composeDir: path.dirname(composeFile),
    socketDir,
    runDir,
    nginx: () => ensureNginx(log, options.installNginx ?? true),
  });
  for (const port of services.flatMap((s) => s.ports)) await assertPortFree(port, "is another stack running? (`npm stop`)");
  if (!given) {
    for (const port of Object.values(STAND_IN_PORTS)) {
      await assertPortFree(port, "set PROCESSOR_DEFAULT_URL and PROCESSOR_FALLBACK_URL to use processors that run there");
    }
  }
  return { compose, given, processors, services, nginxConfig, socketDir, dataDir: path.join(runDir, "data") };
}

/** The run directory's layout; the ledger's data wiped unless kept. @param {StartOptions} options @param {string} runDir @param {string} socketDir @param {string} dataDir */
function prepareDirs(options, runDir, socketDir, dataDir) {
  fs.mkdirSync(runDir, { recursive: true });
  // nginx's workers run as an unprivileged user: they must reach the sockets.
  fs.chmodSync(runDir, 0o755);
  fs.mkdirSync(socketDir, { recursive: true });
  fs.chmodSync(socketDir, 0o777);
  if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(path.join(runDir, "nginx"), { recursive: true });
  if (options.logDir) fs.mkdirSync(options.logDir, { recursive: true });
}

/** Our processor stand-ins on 8001/8002, recorded in the state; resolves once both listen. @param {Supervisor} supervisor */
async function startStandIns(supervisor) {
  const { state, options } = supervisor;
  const out = supervisor.output("processors");
  const child = spawn(process.execPath, ["processor-standin/main.ts", "--both", "--host", "127.0.0.1"], {
    cwd: ROOT,
    stdio: ["ignore", out, out],
    detached: true,
  });
  if (typeof out === "number") fs.closeSync(out);
  child.on("error", (err) => options.log(`processor stand-ins: ${err.message}`));
  const ports = Object.values(STAND_IN_PORTS);
  state.processors.standIn = { ...identify(/** @type {number} */ (child.pid)), ports };
  writeState(state);
  await Promise.all(ports.map((port) => waitForPort(port, "127.0.0.1", 15_000)));
  options.log(`processor stand-ins on 127.0.0.1:${ports.join(", ")} (pid ${child.pid})`);
}

/**
 * A cgroup per service with its compose limits, when this host allows it;
 * otherwise the state says why not.
 * @param {StackState} state @param {StartOptions} options @param {(line: string) => void} log
 */
function applyLimits(state, options, log) {
  /** @type {import("./cgroups.mjs").CgroupSupport | null} */
  let support = null;
  if (options.limits === false) {
    state.cgroupWarning = "limits not applied (disabled)";
  } else {
    const detected = detectCgroups();
    if ("reason" in detected) {
      state.cgroupWarning = `limits NOT applied: ${detected.reason}`;
      log(`WARNING: ${state.cgroupWarning}; the services run without compose's CPU and memory limits`);
    } else {
      support = detected;
      state.cgroups = detected.version;
    }
  }
  if (!support) return;
  for (const s of state.services) {
    try {
      s.groups = createGroup(support, `${options.groupPrefix ?? process.env.CGROUP_PREFIX ?? "rinha-"}${s.name}`, s.limits);
    } catch (err) {
      throw new Error(`cgroup for ${s.name}: ${/** @type {Error} */ (err).message}`);
    }
  }
}

/**
 * Starts the compose topology natively and returns a handle on it.
 * Throws (after cleaning up) if any service fails to come up healthy.
 * @param {StartOptions} [options] @returns {Promise<Stack>}
 */
export async function startStack(options = {}) {
  const log = options.log ?? defaultLog;
  const env = options.env ?? process.env;
  const runDir = path.resolve(options.runDir ?? DEFAULT_RUN_DIR);
  const composeFile = path.resolve(options.composeFile ?? DEFAULT_COMPOSE_FILE);
  await clearPrevious(runDir, log);
  const planned = await plan(options, { env, runDir, composeFile, log });
  const { socketDir, dataDir } = planned;
  prepareDirs(options, runDir, socketDir, dataDir);
  if (options.build === true || ((options.build ?? "auto") === "auto" && bundleIsStale())) build(log);
  ensureEatmydata(log);

  /** @type {StackState} */
  const state = {
    version: 1,
    root: ROOT,
    composeFile,
    runDir,
    socketDir,
    dataDir,
    supervisor: identify(process.pid),
    startedAt: new Date().toISOString(),
    cgroups: null,
    cgroupWarning: null,
    processors: { ...planned.processors, standIn: null },
    services: [],
  };
  const supervisor = new Supervisor(state, {
    log,
    logDir: options.logDir ?? null,
    autoRestart: options.autoRestart !== false,
    healthTimeoutMs: options.healthTimeoutMs ?? 30_000,
  });
  try {
    if (planned.given) {
      log(`processors from ${options.processors ? "options" : "PROCESSOR_DEFAULT_URL / PROCESSOR_FALLBACK_URL"}: no stand-ins started`);
    } else {
      await startStandIns(supervisor);
    }
    if (planned.nginxConfig) {
      const text = fs.readFileSync(planned.nginxConfig.source, "utf8");
      const mounted = containerSocketDir(asObject(planned.compose.services));
      fs.writeFileSync(planned.nginxConfig.target, rewriteNginxConfig(text, { containerSocketDir: mounted, socketDir, runDir }));
    }
    state.services = planned.services.map((p) => ({ ...p, groups: {}, pid: null, startTime: null, startedAt: null, restarts: 0 }));
    applyLimits(state, options, log);
    writeState(state);
    await supervisor.startAll();
    return handleOn(supervisor);
  } catch (err) {
    await supervisor.stop();
    throw err;
  }
}

/** The handle startStack() returns; it becomes the current stack. @param {Supervisor} supervisor @returns {Stack} */
function handleOn(supervisor) {
  /** @type {Stack} */
  const stack = {
    state: supervisor.state,
    stop: async () => {
      await supervisor.stop();
      if (current === stack) current = null;
    },
    killService: (name, signal) => supervisor.kill(name, signal),
    restartService: (name) => supervisor.restart(name),
    stats: () => readServiceStats(supervisor.state),
  };
  current = stack;
  return stack;
}

/** The stack this process started last: the one killService() and restartService() act on. */
/** @type {Stack | null} */
let current = null;

/** SIGKILL (or another signal to) a service of the stack this process started. @param {string} name @param {NodeJS.Signals} [signal] */
export function killService(name, signal = "SIGKILL") {
  if (!current) throw new Error("no stack started by this process ");
  return current.killService(name, signal);
}

/** Starts a service of the stack this process started again (after a kill), and waits until it is healthy. @param {string} name */
export function restartService(name) {
  if (!current) throw new Error("no stack started by this process ");
  return current.restartService(name);
}
