// @ts-check
// The compose topology as local processes, for machines without Docker:
// every service of compose.yaml runs as what its container would run (the
// workerd roles through deploy/entrypoint.sh, the balancer as the system
// nginx with deploy/nginx.conf), with the same environment, started in
// depends_on order, each inside cgroups carrying its compose CPU and memory
// limits. The state (pids, groups) is kept in <run>/stack.json so another
// shell can report on it (`npm run status`) or tear it down (`npm stop`).
//
// Used by scripts/start.mjs, stop.mjs and status.mjs, and by tests through
// startStack(), killService() and restartService().
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { limitsOf, readCompose } from "./compose.mjs";
import { createGroup, detectCgroups, pidInGroups, pidsInGroups, procsFiles, readGroupStats, removeGroups } from "./cgroups.mjs";
import { identify, isAlive, listeningOf, processTree, treeUsage } from "./proc.mjs";
import { processorUrlsFromEnv, waitForPort } from "./processes.mjs";

export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const DEFAULT_RUN_DIR = path.join(ROOT, "run");
export const DEFAULT_COMPOSE_FILE = path.join(ROOT, "compose.yaml");
const STATE_FILE = "stack.json";
const STAND_IN_PORTS = { default: 8001, fallback: 8002 };
// Where the containers mount the shared `sockets` volume, unless compose.yaml says otherwise.
const FALLBACK_CONTAINER_SOCKET_DIR = "/run/payments";
// Joins the cgroup.procs files given before "--", then becomes the command:
// the pid we record is the service itself, inside its groups before it runs
// a single instruction (so nginx's master is in them before it forks workers).
export const JOIN_CGROUPS =
  'while [ "$1" != "--" ]; do echo $$ > "$1" || { echo "cannot join cgroup $1" >&2; exit 125; }; shift; done; shift; exec "$@"';

/**
 * @typedef {{ pid: number | null, startTime: number | null }} ProcRef
 * @typedef {import("./cgroups.mjs").Groups} Groups
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
 * @typedef {{
 *   state: StackState,
 *   stop(): Promise<void>,
 *   killService(name: string, signal?: NodeJS.Signals): Promise<void>,
 *   restartService(name: string): Promise<void>,
 *   stats(): ServiceStats[],
 * }} Stack
 */

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));
const defaultLog = (/** @type {string} */ line) => console.log(`[stack] ${line}`);

// ---------------------------------------------------------------- compose.yaml

/**
 * Compose's variable interpolation: $VAR, ${VAR}, ${VAR:-default},
 * ${VAR-default}, ${VAR:?message}, ${VAR?message}, ${VAR:+alt}, ${VAR+alt}, $$.
 * @param {string} text @param {Record<string, string | undefined>} env
 */
export function interpolate(text, env) {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, braced, op, arg, bare) => {
    if (match === "$$") return "$";
    const name = braced ?? bare;
    const value = env[name];
    const set = value !== undefined;
    const nonEmpty = set && value !== "";
    switch (op) {
      case ":-":
        return nonEmpty ? value : arg;
      case "-":
        return set ? value : arg;
      case ":+":
        return nonEmpty ? arg : "";
      case "+":
        return set ? arg : "";
      case ":?":
        if (!nonEmpty) throw new Error(`${name}: ${arg || "required but unset or empty"}`);
        return value;
      case "?":
        if (!set) throw new Error(`${name}: ${arg || "required but unset"}`);
        return value;
      default:
        return value ?? "";
    }
  });
}

/** @param {unknown} value @returns {Record<string, unknown>} */
const asObject = (value) => (value && typeof value === "object" && !Array.isArray(value) ? /** @type {Record<string, unknown>} */ (value) : {});

/**
 * A service's `environment` (mapping or list), interpolated; a key without a
 * value takes the host's, as compose does.
 * @param {unknown} environment @param {Record<string, string | undefined>} env
 */
export function serviceEnvironment(environment, env) {
  /** @type {Record<string, string>} */
  const out = {};
  /** @param {string} key @param {unknown} value */
  const add = (key, value) => {
    if (value === null || value === undefined) {
      if (env[key] !== undefined) out[key] = /** @type {string} */ (env[key]);
    } else {
      out[key] = interpolate(String(value), env);
    }
  };
  if (Array.isArray(environment)) {
    for (const item of environment) {
      const text = String(item);
      const eq = text.indexOf("=");
      if (eq < 0) add(text, null);
      else add(text.slice(0, eq), text.slice(eq + 1));
    }
  } else {
    for (const [key, value] of Object.entries(asObject(environment))) add(key, value);
  }
  return out;
}

/** Whether every directory from / down to dir lets others through (o+x). @param {string} dir */
function reachableByOthers(dir) {
  for (let d = path.dirname(path.resolve(dir)); ; d = path.dirname(d)) {
    try {
      if ((fs.statSync(d).mode & 0o001) === 0) return false;
    } catch {
      // not created yet: we create it 0755
    }
    if (d === path.dirname(d)) return true;
  }
}

/** A volume entry as {source, target}, short ("src:dst:ro") or long syntax. @param {unknown} volume */
function volumeOf(volume) {
  if (typeof volume === "string") {
    const [source = "", target = ""] = volume.split(":");
    return { source, target };
  }
  const v = asObject(volume);
  return { source: String(v.source ?? ""), target: String(v.target ?? "") };
}

/** @param {Record<string, unknown>} services */
function containerSocketDir(services) {
  for (const service of Object.values(services)) {
    for (const volume of /** @type {unknown[]} */ (asObject(service).volumes ?? [])) {
      const { source, target } = volumeOf(volume);
      if (source === "sockets" && target) return target;
    }
  }
  return FALLBACK_CONTAINER_SOCKET_DIR;
}

/**
 * The services of compose.yaml as processes to run, in start order.
 * @param {Record<string, unknown>} compose
 * @param {{ env: Record<string, string | undefined>, composeDir: string, socketDir: string, runDir: string, nginx: () => string }} ctx
 * @returns {{ services: Omit<ServiceState, "groups" | "pid" | "startTime" | "startedAt" | "restarts">[], nginxConfig: { source: string, target: string } | null }}
 */
export function planServices(compose, ctx) {
  const services = asObject(compose.services);
  const mountedSockets = containerSocketDir(services);
  /** @param {string} p */
  const native = (p) => (p === mountedSockets || p.startsWith(`${mountedSockets}/`) ? ctx.socketDir + p.slice(mountedSockets.length) : p);
  /** @type {{ source: string, target: string } | null} */
  let nginxConfig = null;

  const planned = Object.entries(services).map(([name, raw]) => {
    const service = asObject(raw);
    const command = Array.isArray(service.command)
      ? service.command.map((part) => interpolate(String(part), ctx.env))
      : typeof service.command === "string"
        ? service.command.split(/\s+/).filter(Boolean)
        : null;
    const image = String(service.image ?? "");
    /** @type {"nginx" | "workerd"} */
    let kind;
    /** @type {string[]} */
    let argv;
    if (command) {
      // Our image's entrypoint is deploy/entrypoint.sh; natively, the very same script.
      kind = "workerd";
      argv = ["sh", path.join(ROOT, "deploy/entrypoint.sh"), ...command];
    } else if (/(^|\/)nginx([:@]|$)/.test(image)) {
      kind = "nginx";
      const mount = /** @type {unknown[]} */ (service.volumes ?? []).map(volumeOf).find((v) => v.target === "/etc/nginx/nginx.conf");
      if (!mount) throw new Error(`service ${name}: nginx without a mounted /etc/nginx/nginx.conf`);
      const source = path.resolve(ctx.composeDir, mount.source);
      const target = path.join(ctx.runDir, "nginx.conf");
      nginxConfig = { source, target };
      // As root, nginx runs its workers as an unprivileged user, which must be able to reach the
      // sockets; where a parent directory shuts others out (e.g. /root), the workers stay root.
      const global = process.getuid?.() === 0 && !reachableByOthers(ctx.socketDir) ? "daemon off; user root;" : "daemon off;";
      argv = [ctx.nginx(), "-e", "stderr", "-p", `${path.join(ctx.runDir, "nginx")}/`, "-c", target, "-g", global];
    } else {
      throw new Error(`service ${name}: don't know how to run image ${image || "(none)"} without a command`);
    }

    const dependsOn = Array.isArray(service.depends_on) ? service.depends_on.map(String) : Object.keys(asObject(service.depends_on));
    const test = asObject(service.healthcheck).test;
    const words = Array.isArray(test) ? test.map(String) : typeof test === "string" ? test.split(/\s+/) : [];
    /** @type {{ socket?: string, url?: string }} */
    const health = {};
    for (const word of words) {
      if (word.startsWith(`${mountedSockets}/`)) health.socket = native(word);
      else if (/^https?:\/\//.test(word)) health.url = word;
    }
    const ports = /** @type {unknown[]} */ (service.ports ?? []).map((p) => {
      const published =
        typeof p === "object" && p !== null ? String(asObject(p).published ?? asObject(p).target) : (String(p).split(":").at(-2) ?? String(p));
      const target = typeof p === "object" && p !== null ? String(asObject(p).target) : (String(p).split(":").at(-1) ?? "");
      if (published !== target)
        throw new Error(`service ${name}: port ${published}:${target}; natively a service listens where its config says (${target})`);
      return Number(target.split("/")[0]);
    });
    return {
      name,
      kind,
      command: argv,
      env: serviceEnvironment(service.environment, ctx.env),
      dependsOn,
      level: 0,
      health,
      ports,
      restart: String(service.restart ?? "no"),
      limits: limitsOf(service),
    };
  });

  // depends_on → start levels (compose starts a level once the one before is healthy).
  const byName = new Map(planned.map((s) => [s.name, s]));
  /** @type {Map<string, number>} */
  const levels = new Map();
  /** @param {string} name @param {string[]} trail @returns {number} */
  const levelOf = (name, trail) => {
    const known = levels.get(name);
    if (known !== undefined) return known;
    if (trail.includes(name)) throw new Error(`depends_on cycle: ${[...trail, name].join(" -> ")}`);
    const service = byName.get(name);
    if (!service) throw new Error(`${trail.at(-1)} depends on unknown service ${name}`);
    const level = Math.max(-1, ...service.dependsOn.map((d) => levelOf(d, [...trail, name]))) + 1;
    levels.set(name, level);
    return level;
  };
  for (const s of planned) s.level = levelOf(s.name, []);
  planned.sort((a, b) => a.level - b.level);
  return { services: planned, nginxConfig };
}

/**
 * deploy/nginx.conf for a native run: path substitution only. The container's
 * socket directory becomes ours, and the pid file and the temp directories
 * (compiled-in defaults, absent from the file) move into the run directory.
 * @param {string} text @param {{ containerSocketDir: string, socketDir: string, runDir: string }} ctx
 */
export function rewriteNginxConfig(text, ctx) {
  const nginxDir = path.join(ctx.runDir, "nginx");
  let out = `# Generated by scripts/stack.mjs from deploy/nginx.conf (paths substituted); edit that file.\n${text}`;
  out = out.split(ctx.containerSocketDir).join(ctx.socketDir);
  out = out.replace(/^(\s*pid\s+)[^;]+;/m, `$1${path.join(ctx.runDir, "nginx.pid")};`);
  out = out.replace(/^(\s*http\s*\{)/m, `$1\n  client_body_temp_path ${nginxDir}/client_body;\n  proxy_temp_path ${nginxDir}/proxy;`);
  return out;
}

// ---------------------------------------------------------------- helpers

/** @param {string} runDir @returns {StackState | null} */
export function readState(runDir = DEFAULT_RUN_DIR) {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, STATE_FILE), "utf8"));
  } catch {
    return null;
  }
}

/** @param {StackState} state */
function writeState(state) {
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

/** @param {string} file */
function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function findNginx() {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"];
  for (const dir of dirs) if (dir && isExecutable(path.join(dir, "nginx"))) return path.join(dir, "nginx");
  return null;
}

/** Whether nginx is there or can be installed here (as root, with apt-get). */
export function nginxObtainable() {
  return findNginx() !== null || (process.getuid?.() === 0 && isExecutable("/usr/bin/apt-get"));
}

/**
 * The system nginx; installed with apt-get (nginx-light, else nginx) when
 * missing and we are root.
 * @param {(line: string) => void} log
 */
export function ensureNginx(log = defaultLog, install = true) {
  const found = findNginx();
  if (found) return found;
  if (!install || process.getuid?.() !== 0 || !isExecutable("/usr/bin/apt-get")) {
    throw new Error(
      "nginx is not installed (the load balancer runs the system nginx). Install it, e.g. `sudo apt-get install nginx-light`, or run as root so npm start can.",
    );
  }
  log("nginx is not installed: installing it with apt-get (apt-get update; apt-get install -y nginx-light) ...");
  for (const pkg of ["nginx-light", "nginx"]) {
    const installed = aptInstall(pkg, log) ? findNginx() : null;
    if (installed) {
      log(`installed ${pkg}: ${installed}`);
      return installed;
    }
  }
  throw new Error("nginx is not installed and apt-get could not install nginx-light or nginx");
}

/** Where Debian-like systems put libeatmydata (deploy/entrypoint.sh looks in the same places). */
const EATMYDATA = ["/usr/lib/x86_64-linux-gnu/libeatmydata.so", "/usr/lib/libeatmydata.so", "/usr/lib64/libeatmydata.so"];

/** The libeatmydata the API instances preload, or null if this machine has none. */
export function eatmydataLibrary() {
  return EATMYDATA.find((lib) => fs.existsSync(lib)) ?? null;
}

/**
 * The API instances' outboxes skip fsync through libeatmydata, as the image
 * does (deploy/entrypoint.sh). Installs it when missing and we are root;
 * without it the outboxes fsync each write: correct, only slower.
 * @param {(line: string) => void} log
 */
export function ensureEatmydata(log = defaultLog) {
  if (eatmydataLibrary()) return;
  if (process.getuid?.() === 0 && isExecutable("/usr/bin/apt-get")) {
    log("libeatmydata is not installed: installing it with apt-get (libeatmydata1) ...");
    if (aptInstall("libeatmydata1", log) && eatmydataLibrary()) return;
  }
  log("libeatmydata is not available: the outboxes fsync each write (slower POSTs; `apt-get install libeatmydata1`)");
}

/** Whether this process has run `apt-get update` yet: once is enough. */
let aptUpdated = false;

/**
 * apt-get install one package (after one apt-get update per process); whether it worked.
 * @param {string} pkg @param {(line: string) => void} log
 */
function aptInstall(pkg, log) {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  /** @param {string[]} args */
  const apt = (args) => spawnSync("apt-get", args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (!aptUpdated) {
    aptUpdated = true;
    const update = apt(["update"]);
    if (update.status !== 0) log(`apt-get update failed: ${update.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  }
  const result = apt(["install", "-y", "--no-install-recommends", pkg]);
  if (result.status !== 0) log(`apt-get install ${pkg} failed: ${(result.stderr || result.stdout).trim().split("\n").slice(-3).join(" | ")}`);
  return result.status === 0;
}

/** @param {string} dir @returns {number} */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (!entry.name.endsWith(".test.ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Whether dist/api.js is missing or older than the worker's sources. */
export function bundleIsStale() {
  const bundle = path.join(ROOT, "dist/api.js");
  if (!fs.existsSync(bundle)) return true;
  const sources = ["workers", "durable-objects", "lib"].map((d) => path.join(ROOT, d)).filter((d) => fs.existsSync(d));
  const newest = Math.max(
    ...sources.map(newestMtime),
    ...["wrangler.toml", "package-lock.json"].map((f) => (fs.existsSync(path.join(ROOT, f)) ? fs.statSync(path.join(ROOT, f)).mtimeMs : 0)),
  );
  return fs.statSync(bundle).mtimeMs < newest;
}

/** PATH with the project's tools and this Node first. */
function toolPath() {
  return [path.join(ROOT, "node_modules/.bin"), path.dirname(process.execPath), process.env.PATH ?? "/usr/bin:/bin"].join(":");
}

/** `npm run build` (bundles dist/api.js, which the capnp configs embed). @param {(line: string) => void} log */
export function build(log = defaultLog) {
  log("building dist/api.js (npm run build) ...");
  const result = spawnSync("npm", ["run", "-s", "build"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, PATH: toolPath(), WRANGLER_SEND_METRICS: "false" },
  });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}\n${result.stderr}`);
}

/** Resolves if nothing listens on the TCP port (any address). @param {number} port */
export function assertPortFree(port, hint = "") {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", () => reject(new Error(`port ${port} is already in use${hint ? `: ${hint}` : ""}`)));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
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
function signalIfOurs(ref, signal) {
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
async function terminate(ref, groups, graceMs = 3000) {
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

// ---------------------------------------------------------------- the stack

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
  const groupPrefix = options.groupPrefix ?? "rinha-";
  const healthTimeoutMs = options.healthTimeoutMs ?? 30_000;

  const previous = readState(runDir);
  if (previous && stackIsLive(previous)) {
    const pid = isAlive(previous.supervisor) ? previous.supervisor.pid : previous.services.find((s) => isAlive(s))?.pid;
    throw new Error(`a stack is already running from ${runDir} (pid ${pid}); stop it first with \`npm stop\``);
  }
  if (previous) {
    log(`cleaning up what a stopped stack left in ${runDir}`);
    await teardown(previous, log);
  }

  const socketDir = path.join(runDir, "sockets");
  const dataDir = path.join(runDir, "data");
  const compose = /** @type {Record<string, unknown>} */ (readCompose(composeFile));
  // Processors: given, from the environment, or our stand-ins on 8001/8002 (started below).
  const given = options.processors === undefined ? processorUrlsFromEnv(env) : options.processors;
  const processors = given ?? {
    default: `http://127.0.0.1:${STAND_IN_PORTS.default}`,
    fallback: `http://127.0.0.1:${STAND_IN_PORTS.fallback}`,
  };
  const { services: planned, nginxConfig } = planServices(compose, {
    env: { ...env, PROCESSOR_DEFAULT_URL: processors.default, PROCESSOR_FALLBACK_URL: processors.fallback },
    composeDir: path.dirname(composeFile),
    socketDir,
    runDir,
    nginx: () => ensureNginx(log, options.installNginx ?? true),
  });
  for (const port of planned.flatMap((s) => s.ports)) await assertPortFree(port, "is another stack running? (`npm stop`)");
  if (!given) {
    for (const port of Object.values(STAND_IN_PORTS)) {
      await assertPortFree(port, "set PROCESSOR_DEFAULT_URL and PROCESSOR_FALLBACK_URL to use processors that run there");
    }
  }

  fs.mkdirSync(runDir, { recursive: true });
  // nginx's workers run as an unprivileged user: they must reach the sockets.
  fs.chmodSync(runDir, 0o755);
  fs.mkdirSync(socketDir, { recursive: true });
  fs.chmodSync(socketDir, 0o777);
  if (!options.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(path.join(runDir, "nginx"), { recursive: true });
  const logDir = options.logDir ?? null;
  if (logDir) fs.mkdirSync(logDir, { recursive: true });

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
    processors: { ...processors, standIn: null },
    services: [],
  };

  /** @type {Map<string, import("node:child_process").ChildProcess>} */
  const children = new Map();
  /** Services whose next exit is intended (kill, restart, stop). */
  const expectExit = new Set();
  let stopping = false;
  /** @type {Promise<void> | null} */
  let stopped = null;
  /** @param {string} name */
  const output = (name) => (logDir ? fs.openSync(path.join(logDir, `${name}.log`), "a") : "inherit");

  const stop = () => {
    stopped ??= (async () => {
      stopping = true;
      for (const s of state.services) expectExit.add(s.name);
      process.off("exit", killOnExit);
      await teardown(state, log);
    })();
    return stopped;
  };
  // Last resort if this process exits without stop(): no orphans (files and groups are left for `npm stop`).
  const killOnExit = () => {
    for (const s of state.services) if (s.pid) signalIfOurs(s, "SIGKILL");
    if (state.processors.standIn) signalIfOurs(state.processors.standIn, "SIGKILL");
  };
  process.on("exit", killOnExit);

  try {
    if (given) {
      log(`processors from ${options.processors ? "options" : "PROCESSOR_DEFAULT_URL / PROCESSOR_FALLBACK_URL"}: no stand-ins started`);
    } else {
      const out = output("processors");
      const child = spawn(process.execPath, ["processor-standin/main.ts", "--both", "--host", "127.0.0.1"], {
        cwd: ROOT,
        stdio: ["ignore", out, out],
        detached: true,
      });
      if (typeof out === "number") fs.closeSync(out);
      child.on("error", (err) => log(`processor stand-ins: ${err.message}`));
      const ports = Object.values(STAND_IN_PORTS);
      state.processors.standIn = { ...identify(/** @type {number} */ (child.pid)), ports };
      writeState(state);
      await Promise.all(ports.map((port) => waitForPort(port, "127.0.0.1", 15_000)));
      log(`processor stand-ins on 127.0.0.1:${ports.join(", ")} (pid ${child.pid})`);
    }

    if (nginxConfig) {
      const text = fs.readFileSync(nginxConfig.source, "utf8");
      fs.writeFileSync(
        nginxConfig.target,
        rewriteNginxConfig(text, { containerSocketDir: containerSocketDir(asObject(compose.services)), socketDir, runDir }),
      );
    }

    // Limits.
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

    state.services = planned.map((p) => ({ ...p, groups: {}, pid: null, startTime: null, startedAt: null, restarts: 0 }));
    if (support) {
      for (const s of state.services) {
        try {
          s.groups = createGroup(support, `${groupPrefix}${s.name}`, s.limits);
        } catch (err) {
          throw new Error(`cgroup for ${s.name}: ${/** @type {Error} */ (err).message}`);
        }
      }
    }
    writeState(state);

    /** @param {ServiceState} s */
    const spawnService = (s) => {
      const files = procsFiles(s.groups);
      const argv = files.length ? ["sh", "-c", JOIN_CGROUPS, "join-cgroups", ...files, "--", ...s.command] : s.command;
      const out = output(s.name);
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
      children.set(s.name, child);
      Object.assign(s, identify(/** @type {number} */ (child.pid)), { startedAt: new Date().toISOString() });
      child.on("error", (err) => log(`${s.name}: ${err.message}`));
      child.on("exit", (code, signal) => {
        if (children.get(s.name) !== child) return;
        children.delete(s.name);
        s.pid = null;
        s.startTime = null;
        if (expectExit.delete(s.name) || stopping) {
          if (!stopping) writeState(state);
          return;
        }
        log(`${s.name} exited unexpectedly (${signal ?? `code ${code}`})`);
        if (options.autoRestart !== false && s.restart !== "no" && s.startedAt) {
          log(`restarting ${s.name} (restart: ${s.restart})`);
          setTimeout(() => {
            if (!stopping && !children.has(s.name)) restart(s.name).catch((err) => log(`restart of ${s.name} failed: ${err.message}`));
          }, 1000);
        }
        if (!stopping) writeState(state);
      });
      writeState(state);
      return child;
    };

    /** @param {ServiceState} s */
    const waitHealthy = async (s) => {
      const deadline = Date.now() + healthTimeoutMs;
      for (;;) {
        const child = children.get(s.name);
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
    };

    /** @param {string} name */
    const find = (name) => {
      const s = state.services.find((x) => x.name === name);
      if (!s) throw new Error(`no service ${name} (services: ${state.services.map((x) => x.name).join(", ")})`);
      return s;
    };

    /** @param {string} name @param {NodeJS.Signals} [signal] */
    const kill = async (name, signal = "SIGKILL") => {
      const s = find(name);
      const child = children.get(name);
      if (!child || !s.pid) return;
      const fatal = ["SIGKILL", "SIGTERM", "SIGINT", "SIGQUIT"].includes(signal);
      if (fatal) expectExit.add(name);
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
    };

    /** @param {string} name */
    const restart = async (name) => {
      const s = find(name);
      if (stopping) throw new Error("the stack is stopping");
      if (children.has(name)) await kill(name, "SIGTERM");
      s.restarts += 1;
      spawnService(s);
      await waitHealthy(s);
      log(`${name} is back (pid ${s.pid})`);
    };

    // Start in depends_on order; a level starts once the one before is healthy.
    for (const level of [...new Set(state.services.map((s) => s.level))]) {
      const batch = state.services.filter((s) => s.level === level);
      for (const s of batch) spawnService(s);
      await Promise.all(batch.map(waitHealthy));
      log(`healthy: ${batch.map((s) => `${s.name} (pid ${s.pid})`).join(", ")}`);
    }

    /** @type {Stack} */
    const stack = {
      state,
      stop: async () => {
        await stop();
        if (current === stack) current = null;
      },
      killService: kill,
      restartService: restart,
      stats: () => readServiceStats(state),
    };
    current = stack;
    return stack;
  } catch (err) {
    await stop();
    throw err;
  }
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

// ---------------------------------------------------------------- stats

/**
 * @typedef {{
 *   name: string, pid: number | null, alive: boolean, inGroup: boolean | null,
 *   listens: string[], rssBytes: number | null, cpuSecondsProc: number | null,
 *   limits: { cpus: number | null, memoryBytes: number | null },
 *   cgroup: import("./cgroups.mjs").GroupStats | null, groups: Groups, restarts: number,
 * }} ServiceStats
 */

/**
 * Per service: process (RSS summed over its tree, CPU seconds from /proc)
 * and cgroup figures (usage, peak, limit, CPU, throttling, failcnt/OOM).
 * The processor stand-ins, when ours, come last (no cgroup: not part of the service).
 * @param {StackState} state @returns {ServiceStats[]}
 */
export function readServiceStats(state) {
  /** @param {string} name @param {ProcRef} ref @param {Groups} groups @param {ServiceState["limits"]} limits @param {number} restarts */
  const row = (name, ref, groups, limits, restarts) => {
    const alive = isAlive(ref);
    const usage = alive && ref.pid ? treeUsage(ref.pid) : null;
    const hasGroups = Object.keys(groups).length > 0;
    return {
      name,
      pid: alive ? ref.pid : null,
      alive,
      inGroup: hasGroups ? alive && ref.pid !== null && pidInGroups(ref.pid, groups) : null,
      listens: alive && ref.pid ? listeningOf(ref.pid) : [],
      rssBytes: usage?.rssBytes ?? null,
      cpuSecondsProc: usage?.cpuSeconds ?? null,
      limits,
      cgroup: hasGroups ? readGroupStats(groups) : null,
      groups,
      restarts,
    };
  };
  const rows = state.services.map((s) => row(s.name, s, s.groups, s.limits, s.restarts));
  if (state.processors.standIn) {
    rows.push(row("processors (stand-ins)", state.processors.standIn, {}, { cpus: null, memoryBytes: null }, 0));
  }
  return rows;
}

/** @param {number | null | undefined} bytes */
export const mib = (bytes) => (bytes == null ? "-" : `${(bytes / 2 ** 20).toFixed(1)}M`);

/** Rows of strings as an aligned text table. @param {string[][]} rows */
export function table(rows) {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** A path under the working directory, relative to it. @param {string} text */
const shortPath = (text) => text.replace(`${process.cwd()}/`, "");

/** What listens where, with pids and limits: printed once the stack is up. @param {StackState} state */
export function describeStack(state) {
  const stats = readServiceStats(state);
  const rows = [["SERVICE", "PID", "LISTENS ON", "CPUS", "MEMORY", "CGROUP"]];
  for (const s of stats) {
    const group = s.groups.unified ?? s.groups.cpu ?? null;
    rows.push([
      s.name,
      String(s.pid ?? "-"),
      s.listens.map(shortPath).join(" ") || "-",
      s.limits.cpus == null ? "-" : String(s.limits.cpus),
      mib(s.limits.memoryBytes),
      group ? `${path.basename(group)}${s.inGroup ? "" : " (NOT IN IT)"}` : "-",
    ]);
  }
  const lines = [table(rows)];
  lines.push(
    `processors: default ${state.processors.default}, fallback ${state.processors.fallback}${state.processors.standIn ? " (stand-ins)" : ""}`,
  );
  lines.push(state.cgroups ? `limits: cgroup ${state.cgroups}` : `WARNING: ${state.cgroupWarning}`);
  return lines.join("\n");
}
