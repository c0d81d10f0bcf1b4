// @ts-check
// The system under Docker: compose.processors.yaml (the processor stand-ins on
// the `payment-processor` network) and compose.yaml (the service), brought up
// with docker-compose v1 and read back through `docker inspect` and each
// container's cgroups. Used by the Docker test (test/docker) and by
// `npm run bench -- --docker`. Stable API:
//   ensureDocker({ provision, log })      -> null when an engine answers, else why not
//   serviceRoles(composeFile)             -> which compose service is the balancer, the engine, the APIs
//   rewriteForTest(file, dir, options)    -> a copy of a compose file on other host ports and another network name
//   new Compose({ project, files })       -> up / down / kill / pause / start / health of one compose project
//   startDockerStack(options)             -> both projects up; stats() per container, as startStack()'s
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { readGroupStats } from "./cgroups.mjs";
import { readCompose } from "./compose.mjs";
import { ROOT, assertPortFree } from "./stack.mjs";

export const SERVICE_COMPOSE_FILE = path.join(ROOT, "compose.yaml");
export const PROCESSORS_COMPOSE_FILE = path.join(ROOT, "compose.processors.yaml");
/** The contest's network for the processors; compose.yaml joins it as external. */
export const PROCESSOR_NETWORK = "payment-processor";
/** Installs and starts a Docker engine on these machines (CI included): the shared folder beside the clone. */
export const PROVISION_SCRIPT = path.join(ROOT, "..", "shared", "docker", "up.sh");

/**
 * What the docker client and docker-compose need here (../shared/docker/env.sh):
 * Debian's client first on PATH (BuildKit built in), BuildKit on for compose's builds.
 * @param {NodeJS.ProcessEnv} [env]
 */
export function dockerEnv(env = process.env) {
  return { ...env, PATH: `/usr/bin:${env.PATH ?? "/bin"}`, DOCKER_BUILDKIT: "1", COMPOSE_DOCKER_CLI_BUILD: "1" };
}

/** Whether a Docker engine answers `docker info`. */
export function dockerAnswers() {
  const result = spawnSync("docker", ["info"], { env: dockerEnv(), stdio: "ignore", timeout: 20_000 });
  return result.status === 0;
}

/**
 * Makes sure a Docker engine answers: if none does and `provision` is set, runs
 * ../shared/docker/up.sh (installs and starts one, builds the base images).
 * @param {{ provision?: boolean, log?: (line: string) => void }} [options]
 * @returns {string | null} null when an engine answers, else the reason none does
 */
export function ensureDocker(options = {}) {
  const { provision = false, log = () => {} } = options;
  if (dockerAnswers()) return null;
  if (!provision) return "no Docker engine answers `docker info`";
  if (!fs.existsSync(PROVISION_SCRIPT)) return `no Docker engine answers, and ${PROVISION_SCRIPT} is not there to start one`;
  log(`no Docker engine answers: provisioning one with ${PROVISION_SCRIPT}`);
  const result = spawnSync(PROVISION_SCRIPT, [], { env: dockerEnv(), encoding: "utf8", timeout: 600_000 });
  for (const line of `${result.stdout ?? ""}`.split("\n").filter(Boolean)) log(line);
  if (result.status !== 0) return `${PROVISION_SCRIPT} failed (status ${result.status}): ${(result.stderr ?? "").trim().slice(-500)}`;
  return dockerAnswers() ? null : `${PROVISION_SCRIPT} ran but no Docker engine answers`;
}

/**
 * The roles of compose.yaml's services, read from the file so a changed
 * topology needs no change here: the balancer publishes a port, the engine
 * runs `engine`, an API runs `api NAME`.
 * @param {string} [composeFile]
 */
export function serviceRoles(composeFile = SERVICE_COMPOSE_FILE) {
  /** @type {Record<string, any>} */
  const services = readCompose(composeFile).services ?? {};
  const names = Object.keys(services);
  const role = (/** @type {string} */ command) => names.filter((n) => Array.isArray(services[n].command) && services[n].command[0] === command);
  const balancer = names.find((n) => (services[n].ports ?? []).length > 0);
  const [engine] = role("engine");
  const apis = role("api");
  if (!balancer || !engine || apis.length === 0) {
    throw new Error(`${composeFile}: expected a service publishing a port, one running "engine" and some running "api"`);
  }
  return { services: names, balancer, engine, apis };
}

/** The container port of a compose port mapping ("[ip:]host:container[/proto]" or long syntax). @param {unknown} port */
function containerPort(port) {
  if (typeof port === "object" && port !== null) return Number(/** @type {{ target?: unknown }} */ (port).target);
  return Number(String(port).split("/")[0]?.split(":").at(-1));
}

/**
 * A copy of a compose file in `dir` that runs beside anything else on this
 * machine: each published port moved to 127.0.0.1:<hostPorts[service]>, and
 * the processors' network renamed. Run it with `--project-directory ROOT` so
 * builds and bind mounts still resolve against the project.
 * @param {string} file
 * @param {string} dir
 * @param {{ network: string, hostPorts: Record<string, number> }} options
 * @returns {string} the copy's path
 */
export function rewriteForTest(file, dir, options) {
  const doc = readCompose(file);
  for (const [name, service] of Object.entries(doc.services ?? {})) {
    if (!service.ports) continue;
    const host = options.hostPorts[name];
    if (host === undefined) throw new Error(`${file}: ${name} publishes a port and no host port was given for it`);
    service.ports = service.ports.map((/** @type {unknown} */ p) => `127.0.0.1:${host}:${containerPort(p)}`);
  }
  for (const network of Object.values(doc.networks ?? {})) {
    if (network?.name === PROCESSOR_NETWORK) network.name = options.network;
  }
  // Anchors were resolved by readCompose; drop the x- blocks that only held them.
  for (const key of Object.keys(doc)) if (key.startsWith("x-")) delete doc[key];
  const out = path.join(dir, path.basename(file));
  fs.writeFileSync(out, stringify(doc));
  return out;
}

/** @typedef {{ Id: string, Name: string, State: { Running: boolean, Paused: boolean, Pid: number, OOMKilled: boolean, StartedAt: string, Health?: { Status: string } }, RestartCount: number, HostConfig: { NanoCpus: number, Memory: number } }} Inspect */

/** One compose project (docker-compose v1), run from the project's root. */
export class Compose {
  /** @param {{ project: string, files: string[], env?: NodeJS.ProcessEnv }} options */
  constructor(options) {
    this.project = options.project;
    this.files = options.files;
    this.env = dockerEnv(options.env);
    /** @type {Map<string, string>} service -> container id; a container keeps its id across kill and start */
    this.ids = new Map();
  }

  /** docker-compose with this project's files; throws with its output on failure. @param {string[]} args */
  run(args, timeoutMs = 600_000) {
    const argv = ["-p", this.project, "--project-directory", ROOT, ...this.files.flatMap((f) => ["-f", f]), ...args];
    const result = spawnSync("docker-compose", argv, { cwd: ROOT, env: this.env, encoding: "utf8", timeout: timeoutMs });
    if (result.status !== 0) {
      throw new Error(
        `docker-compose ${args.join(" ")} failed (status ${result.status}):\n${`${result.stdout}\n${result.stderr}`.trim().slice(-3000)}`,
      );
    }
    return result.stdout;
  }

  /** Builds the images. */
  build() {
    this.run(["build", "-q"]);
  }

  /** Creates and starts every service (compose waits for depends_on health), then waits until each reports healthy. */
  async up(timeoutMs = 120_000) {
    this.run(["up", "-d", "--no-build"]);
    await this.waitHealthy(this.services(), timeoutMs);
  }

  /** Everything gone: containers, networks, volumes, and the images it built. */
  down() {
    this.run(["down", "--volumes", "--remove-orphans", "--rmi", "local", "--timeout", "5"]);
  }

  /** The project's service names, as compose reads its files. */
  services() {
    return this.run(["config", "--services"]).split("\n").filter(Boolean);
  }

  /** The container id of a service. @param {string} service */
  id(service) {
    const known = this.ids.get(service);
    if (known) return known;
    const id = this.run(["ps", "-q", service]).trim();
    if (!id) throw new Error(`${this.project}: no container for ${service}`);
    this.ids.set(service, id);
    return id;
  }

  /** @param {string} service @returns {Inspect} */
  inspect(service) {
    return JSON.parse(docker(["inspect", this.id(service)], this.env))[0];
  }

  /** `docker kill` (SIGKILL) the service's container; resolves once it has stopped or been restarted. @param {string} service */
  async kill(service) {
    const before = this.inspect(service);
    docker(["kill", before.Id], this.env);
    await until(
      () => {
        const now = this.inspect(service);
        return !now.State.Running || now.State.StartedAt !== before.State.StartedAt;
      },
      10_000,
      `${service} to go down`,
    );
  }

  /** Starts the service's container again if its restart policy has not, and waits until it is healthy. @param {string} service */
  async start(service, timeoutMs = 60_000) {
    docker(["start", this.id(service)], this.env);
    await this.waitHealthy([service], timeoutMs);
  }

  /** Freezes (docker pause) or thaws a service's container. @param {string} service @param {boolean} paused */
  pause(service, paused) {
    docker([paused ? "pause" : "unpause", this.id(service)], this.env);
  }

  /** @param {string[]} services */
  async waitHealthy(services, timeoutMs = 120_000) {
    await until(
      () =>
        services.every((s) => {
          const { State } = this.inspect(s);
          return State.Running && (State.Health ? State.Health.Status === "healthy" : true);
        }),
      timeoutMs,
      `${this.project}: ${services.join(", ")} healthy`,
    );
  }

  /** The last lines each service logged, for a failure's report. */
  logs(lines = 30) {
    try {
      return this.run(["logs", "--no-color", "--tail", String(lines)]);
    } catch (error) {
      return String(error);
    }
  }
}

/** `docker ARGS`; throws with stderr on failure. @param {string[]} args @param {NodeJS.ProcessEnv} env */
function docker(args, env) {
  return execFileSync("docker", args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Polls `ok` every 250 ms until it holds; throws after timeoutMs. @param {() => boolean} ok @param {number} timeoutMs @param {string} what */
async function until(ok, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (ok()) return;
    } catch {
      // not there yet (a container being recreated)
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * A process's cgroup directories, as scripts/cgroups.mjs reads them: on v1 one
 * per controller, on v2 the unified one. A container's processes sit in its groups.
 * @param {number} pid
 * @returns {import("./cgroups.mjs").Groups}
 */
export function cgroupsOfPid(pid, root = "/sys/fs/cgroup") {
  /** @type {import("./cgroups.mjs").Groups} */
  const groups = {};
  for (const line of fs.readFileSync(`/proc/${pid}/cgroup`, "utf8").split("\n")) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, controllers = "", where = "/"] = match;
    if (controllers === "" && fs.existsSync(path.join(root, "cgroup.controllers"))) groups.unified = path.join(root, where);
    for (const c of controllers.split(",")) {
      if (c === "cpu" || c === "cpuacct" || c === "memory") {
        // v1 mounts cpu and cpuacct together as cpu,cpuacct; either name reaches it.
        const dir = [path.join(root, c, where), path.join(root, controllers, where)].find((d) => fs.existsSync(d));
        if (dir) groups[c] = dir;
      }
    }
  }
  return groups;
}

/**
 * Each container's figures from a bench run on one line: cgroup peak against its
 * limit (and the share of it), working-set peak, CPU seconds, throttled periods, OOM kills.
 * @param {Record<string, { peakMiB: number | null, workingSetPeakMiB: number | null, limitMiB: number | null,
 *   cpuSeconds: number | null, throttledPct: number | null, oomKills: number | null }>} services
 */
export function containerLine(services) {
  return Object.entries(services)
    .map(([name, s]) => {
      const share = s.peakMiB != null && s.limitMiB ? ` (${Math.round((100 * s.peakMiB) / s.limitMiB)}%)` : "";
      return (
        `${name} peak ${s.peakMiB ?? "?"}/${s.limitMiB ?? "?"} MiB${share}, working set ${s.workingSetPeakMiB ?? "?"} MiB, ` +
        `CPU ${s.cpuSeconds ?? "?"} s, throttled ${s.throttledPct ?? "?"}% of periods, OOM kills ${s.oomKills ?? "?"}`
      );
    })
    .join(" | ");
}

/**
 * Both compose projects up, as the README has a user run them (the real files,
 * the real ports 9999, 8001 and 8002), built first. The returned object has the
 * shape of scripts/stack.mjs's startStack() where the bench reads it: state.services
 * (name, groups), state.processors (URLs), stats() (per service, its container's
 * cgroup figures and docker inspect limits) and stop() (down, volumes included).
 * @param {{ log?: (line: string) => void, serviceProject?: string, processorsProject?: string }} [options]
 */
export async function startDockerStack(options = {}) {
  const { log = () => {}, serviceProject = path.basename(ROOT), processorsProject = PROCESSOR_NETWORK } = options;
  const reason = ensureDocker({ provision: false });
  if (reason) throw new Error(`${reason}; start one with ${PROVISION_SCRIPT}`);
  for (const port of [9999, 8001, 8002]) await assertPortFree(port, "is another stack running? (`npm stop`, or `docker-compose down`)");
  const processors = new Compose({ project: processorsProject, files: [PROCESSORS_COMPOSE_FILE] });
  const service = new Compose({ project: serviceProject, files: [SERVICE_COMPOSE_FILE] });
  const builtAt = Date.now();
  processors.build();
  service.build();
  const upAt = Date.now();
  try {
    await processors.up();
    await service.up();
  } catch (error) {
    log(service.logs());
    service.run(["down", "--volumes", "--timeout", "5"]);
    processors.run(["down", "--volumes", "--timeout", "5"]);
    throw error;
  }
  const timings = { buildSeconds: (upAt - builtAt) / 1000, healthySeconds: (Date.now() - upAt) / 1000 };
  log(`built in ${timings.buildSeconds.toFixed(1)} s, all healthy ${timings.healthySeconds.toFixed(1)} s after \`up\``);

  const names = service.services();
  const containers = names.map((name) => {
    const info = service.inspect(name);
    return {
      name,
      id: info.Id,
      groups: cgroupsOfPid(info.State.Pid),
      limits: { cpus: info.HostConfig.NanoCpus ? info.HostConfig.NanoCpus / 1e9 : null, memoryBytes: info.HostConfig.Memory || null },
    };
  });
  return {
    timings,
    compose: { service, processors },
    state: {
      services: containers,
      processors: { default: "http://127.0.0.1:8001", fallback: "http://127.0.0.1:8002" },
    },
    stats() {
      return containers.map((c) => {
        const info = service.inspect(c.name);
        const cgroup = readGroupStats(c.groups);
        // The kernel's count can miss an OOM kill in a container's other processes' groups; docker says too.
        if (info.State.OOMKilled) cgroup.oomKills = Math.max(1, cgroup.oomKills ?? 0);
        return { name: c.name, cgroup, cpuSecondsProc: null, limits: c.limits, restarts: info.RestartCount };
      });
    },
    async stop() {
      // Images stay: the next run builds from them in seconds.
      service.run(["down", "--volumes", "--timeout", "5"]);
      processors.run(["down", "--volumes", "--timeout", "5"]);
    },
  };
}
