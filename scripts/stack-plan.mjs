// @ts-check
// compose.yaml as a plan of local processes, with no side effect beyond
// reading the file system: which command each service runs, its environment,
// health check, ports, limits and start level (from depends_on), and the
// nginx config rewritten for native paths. scripts/stack.mjs runs the plan.
import path from "node:path";
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { limitsOf } from "./compose.mjs";

/** Our image's entrypoint; natively, the very same script runs each workerd role. */
const ENTRYPOINT = fileURLToPath(new URL("../deploy/entrypoint.sh", import.meta.url));
// Where the containers mount the shared `sockets` volume, unless compose.yaml says otherwise.
const FALLBACK_CONTAINER_SOCKET_DIR = "/run/payments";

/**
 * @typedef {Omit<import("./stack.mjs").ServiceState, "groups" | "pid" | "startTime" | "startedAt" | "restarts">} PlannedService
 * @typedef {{ env: Record<string, string | undefined>, composeDir: string, socketDir: string, runDir: string, nginx: () => string }} PlanContext
 * @typedef {{ source: string, target: string }} NginxConfig
 */

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
export const asObject = (value) =>
  value && typeof value === "object" && !Array.isArray(value) ? /** @type {Record<string, unknown>} */ (value) : {};

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

/** Where the containers mount the `sockets` volume. @param {Record<string, unknown>} services */
export function containerSocketDir(services) {
  for (const service of Object.values(services)) {
    for (const volume of /** @type {unknown[]} */ (asObject(service).volumes ?? [])) {
      const { source, target } = volumeOf(volume);
      if (source === "sockets" && target) return target;
    }
  }
  return FALLBACK_CONTAINER_SOCKET_DIR;
}

/**
 * What a service runs: a workerd role through the entrypoint when it has a
 * command, else the system nginx with its mounted config.
 * @param {string} name @param {Record<string, unknown>} service @param {PlanContext} ctx
 * @returns {{ kind: "nginx" | "workerd", argv: string[], nginxConfig: NginxConfig | null }}
 */
function commandOf(name, service, ctx) {
  const command = Array.isArray(service.command)
    ? service.command.map((part) => interpolate(String(part), ctx.env))
    : typeof service.command === "string"
      ? service.command.split(/\s+/).filter(Boolean)
      : null;
  const image = String(service.image ?? "");
  if (command) return { kind: "workerd", argv: ["sh", ENTRYPOINT, ...command], nginxConfig: null };
  if (!/(^|\/)nginx([:@]|$)/.test(image)) {
    throw new Error(`service ${name}: don't know how to run image ${image || "(none)"} without a command`);
  }
  const mount = /** @type {unknown[]} */ (service.volumes ?? []).map(volumeOf).find((v) => v.target === "/etc/nginx/nginx.conf");
  if (!mount) throw new Error(`service ${name}: nginx without a mounted /etc/nginx/nginx.conf`);
  const source = path.resolve(ctx.composeDir, mount.source);
  const target = path.join(ctx.runDir, "nginx.conf");
  // As root, nginx runs its workers as an unprivileged user, which must be able to reach the
  // sockets; where a parent directory shuts others out (e.g. /root), the workers stay root.
  const global = process.getuid?.() === 0 && !reachableByOthers(ctx.socketDir) ? "daemon off; user root;" : "daemon off;";
  const argv = [ctx.nginx(), "-e", "stderr", "-p", `${path.join(ctx.runDir, "nginx")}/`, "-c", target, "-g", global];
  return { kind: "nginx", argv, nginxConfig: { source, target } };
}

/**
 * The health check's socket (mapped to ours) or URL.
 * @param {Record<string, unknown>} service @param {string} mountedSockets @param {string} socketDir
 */
function healthOf(service, mountedSockets, socketDir) {
  const test = asObject(service.healthcheck).test;
  const words = Array.isArray(test) ? test.map(String) : typeof test === "string" ? test.split(/\s+/) : [];
  /** @type {{ socket?: string, url?: string }} */
  const health = {};
  for (const word of words) {
    if (word.startsWith(`${mountedSockets}/`)) health.socket = socketDir + word.slice(mountedSockets.length);
    else if (/^https?:\/\//.test(word)) health.url = word;
  }
  return health;
}

/** The ports a service listens on; natively, published must equal target. @param {string} name @param {Record<string, unknown>} service */
function portsOf(name, service) {
  return /** @type {unknown[]} */ (service.ports ?? []).map((p) => {
    const published =
      typeof p === "object" && p !== null ? String(asObject(p).published ?? asObject(p).target) : (String(p).split(":").at(-2) ?? String(p));
    const target = typeof p === "object" && p !== null ? String(asObject(p).target) : (String(p).split(":").at(-1) ?? "");
    if (published !== target)
      throw new Error(`service ${name}: port ${published}:${target}; natively a service listens where its config says (${target})`);
    return Number(target.split("/")[0]);
  });
}

/**
 * depends_on → start levels (compose starts a level once the one before is
 * healthy); sorts the services by level.
 * @param {PlannedService[]} planned
 */
function assignStartLevels(planned) {
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
}

/**
 * The services of compose.yaml as processes to run, in start order.
 * @param {Record<string, unknown>} compose @param {PlanContext} ctx
 * @returns {{ services: PlannedService[], nginxConfig: NginxConfig | null }}
 */
export function planServices(compose, ctx) {
  const services = asObject(compose.services);
  const mountedSockets = containerSocketDir(services);
  /** @type {NginxConfig | null} */
  let nginxConfig = null;
  const planned = Object.entries(services).map(([name, raw]) => {
    const service = asObject(raw);
    const run = commandOf(name, service, ctx);
    nginxConfig = run.nginxConfig ?? nginxConfig;
    return {
      name,
      kind: run.kind,
      command: run.argv,
      env: serviceEnvironment(service.environment, ctx.env),
      dependsOn: Array.isArray(service.depends_on) ? service.depends_on.map(String) : Object.keys(asObject(service.depends_on)),
      level: 0,
      health: healthOf(service, mountedSockets, ctx.socketDir),
      ports: portsOf(name, service),
      restart: String(service.restart ?? "no"),
      limits: limitsOf(service),
    };
  });
  assignStartLevels(planned);
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
