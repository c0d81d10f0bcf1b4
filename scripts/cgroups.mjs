// @ts-check
// CPU and memory limits for local processes, the way compose's
// deploy.resources.limits apply them to containers: one cgroup per service,
// on cgroup v1 (separate cpu, cpuacct and memory hierarchies) or v2 (one
// unified tree). Groups are made below the cgroup this process already sits
// in, so whatever limits the machine puts on us still hold for them.
import fs from "node:fs";
import path from "node:path";

const ROOT = "/sys/fs/cgroup";
export const CFS_PERIOD_US = 100_000;

/** Absolute group directories, one per hierarchy in use. */
/** @typedef {{ cpu?: string, cpuacct?: string, memory?: string, unified?: string }} Groups */
/** @typedef {{ cpus: number | null, memoryBytes: number | null }} Limits */
/** @typedef {{ version: "v1" | "v2", base: Record<string, string> }} CgroupSupport */

/** @param {string} file */
function readText(file) {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return null;
  }
}

/** @param {string} file @returns {number | null} */
function readNumber(file) {
  const text = readText(file);
  if (text === null || text === "max") return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** "key value" lines (cpu.stat, memory.events, memory.oom_control) as numbers. @param {string} file */
function readKeyed(file) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const line of (readText(file) ?? "").split("\n")) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && Number.isFinite(Number(value))) out[key] = Number(value);
  }
  return out;
}

/** This process's cgroup path per v1 controller ("cpu", "memory", ...) and "" for v2. @param {string} selfCgroupFile */
function ownCgroups(selfCgroupFile) {
  /** @type {Record<string, string>} */
  const own = {};
  for (const line of (readText(selfCgroupFile) ?? "").split("\n")) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, controllers = "", where = "/"] = match;
    if (controllers === "") own[""] = where;
    for (const c of controllers.split(",")) if (c) own[c] = where;
  }
  return own;
}

/**
 * Which cgroup version can take our limits, with the parent directory of each
 * hierarchy, or a reason why none can.
 * @param {{ root?: string, selfCgroupFile?: string, isRoot?: boolean }} [where]
 *   the cgroup mount, this process's /proc/<pid>/cgroup and whether we are root: this machine's by default (tests pass others)
 * @returns {CgroupSupport | { reason: string }}
 */
export function detectCgroups(where = {}) {
  const { root = ROOT, selfCgroupFile = "/proc/self/cgroup" } = where;
  const isRoot = where.isRoot ?? (typeof process.getuid !== "function" || process.getuid() === 0);
  if (!isRoot) return { reason: "not running as root, so cgroups cannot be created" };
  const own = ownCgroups(selfCgroupFile);
  if (fs.existsSync(`${root}/cgroup.controllers`)) {
    const base = path.join(root, own[""] ?? "/");
    const available = (readText(`${base}/cgroup.controllers`) ?? "").split(/\s+/);
    if (!available.includes("cpu") || !available.includes("memory")) {
      return { reason: `cgroup v2 at ${base} does not offer the cpu and memory controllers` };
    }
    const enabled = (readText(`${base}/cgroup.subtree_control`) ?? "").split(/\s+/);
    if (!enabled.includes("cpu") || !enabled.includes("memory")) {
      try {
        fs.writeFileSync(`${base}/cgroup.subtree_control`, "+cpu +memory");
      } catch (err) {
        return { reason: `cannot enable cpu and memory for child groups of ${base}: ${/** @type {Error} */ (err).message}` };
      }
    }
    return { version: "v2", base: { unified: base } };
  }
  if (fs.existsSync(`${root}/cpu/cpu.cfs_quota_us`) || fs.existsSync(`${root}/memory/memory.limit_in_bytes`)) {
    /** @type {Record<string, string>} */
    const base = {};
    for (const controller of ["cpu", "cpuacct", "memory"]) {
      const mount = `${root}/${controller}`;
      if (fs.existsSync(mount)) base[controller] = path.join(mount, own[controller] ?? "/");
    }
    if (!base.cpu || !base.memory) return { reason: "cgroup v1 without both the cpu and memory hierarchies" };
    // cpu and cpuacct are often mounted together (cpu,cpuacct): one group serves both.
    if (base.cpuacct && fs.realpathSync(base.cpuacct) === fs.realpathSync(base.cpu)) delete base.cpuacct;
    return { version: "v1", base };
  }
  return { reason: `no cgroup filesystem at ${root}` };
}

/** @param {string} dir @param {string} file @param {string | number} value */
function write(dir, file, value) {
  fs.writeFileSync(path.join(dir, file), String(value));
}

/** @param {string} dir */
function procsOf(dir) {
  return (readText(path.join(dir, "cgroup.procs")) ?? "").split("\n").filter(Boolean).map(Number);
}

/**
 * Creates the group `name` in each hierarchy and sets its limits. An empty
 * group left over by an earlier run is replaced (so its peak starts afresh);
 * one that still holds processes is refused.
 * @param {CgroupSupport} support @param {string} name @param {Limits} limits @returns {Groups}
 */
export function createGroup(support, name, limits) {
  /** @type {Groups} */
  const groups = {};
  for (const [hierarchy, base] of Object.entries(support.base)) {
    const dir = path.join(base, name);
    if (fs.existsSync(dir)) {
      if (procsOf(dir).length > 0) throw new Error(`cgroup ${dir} still holds processes ${procsOf(dir).join(", ")}`);
      fs.rmdirSync(dir);
    }
    fs.mkdirSync(dir);
    groups[/** @type {keyof Groups} */ (hierarchy)] = dir;
  }
  const quota = limits.cpus === null ? null : Math.max(1000, Math.round(limits.cpus * CFS_PERIOD_US));
  if (support.version === "v1") {
    if (groups.cpu && quota !== null) {
      write(groups.cpu, "cpu.cfs_period_us", CFS_PERIOD_US);
      write(groups.cpu, "cpu.cfs_quota_us", quota);
    }
    if (groups.memory && limits.memoryBytes !== null) {
      write(groups.memory, "memory.limit_in_bytes", limits.memoryBytes);
      // memory+swap no higher than memory: the service cannot swap (absent without swap accounting).
      if (fs.existsSync(path.join(groups.memory, "memory.memsw.limit_in_bytes"))) {
        write(groups.memory, "memory.memsw.limit_in_bytes", limits.memoryBytes);
      }
    }
  } else if (groups.unified) {
    if (quota !== null) write(groups.unified, "cpu.max", `${quota} ${CFS_PERIOD_US}`);
    if (limits.memoryBytes !== null) {
      write(groups.unified, "memory.max", limits.memoryBytes);
      if (fs.existsSync(path.join(groups.unified, "memory.swap.max"))) write(groups.unified, "memory.swap.max", 0);
    }
  }
  return groups;
}

/** The cgroup.procs files a new process writes its pid into to join the groups. @param {Groups} groups */
export function procsFiles(groups) {
  return Object.values(groups)
    .filter(Boolean)
    .map((dir) => path.join(dir, "cgroup.procs"));
}

/** Every pid in any of the groups. @param {Groups} groups */
export function pidsInGroups(groups) {
  return [
    ...new Set(
      Object.values(groups)
        .filter(Boolean)
        .flatMap((dir) => (fs.existsSync(dir) ? procsOf(dir) : [])),
    ),
  ];
}

/**
 * Removes the group directories; retries while the kernel still counts exited
 * processes. Returns the directories it could not remove.
 * @param {Groups} groups
 */
export async function removeGroups(groups, timeoutMs = 3000) {
  const left = [];
  for (const dir of Object.values(groups)) {
    if (!dir) continue;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if (fs.existsSync(dir)) fs.rmdirSync(dir);
        break;
      } catch {
        if (Date.now() > deadline) {
          left.push(dir);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
  return left;
}

/** Whether pid sits in each of the groups (read from /proc/<pid>/cgroup). @param {number} pid @param {Groups} groups */
export function pidInGroups(pid, groups) {
  const text = readText(`/proc/${pid}/cgroup`);
  if (text === null) return false;
  /** @type {Set<string>} */
  const paths = new Set();
  for (const line of text.split("\n")) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!match) continue;
    const [, controllers = "", where = "/"] = match;
    if (controllers === "") paths.add(path.join(ROOT, where));
    for (const c of controllers.split(",")) if (c) paths.add(path.join(ROOT, c, where));
  }
  return Object.values(groups)
    .filter(Boolean)
    .every((dir) => paths.has(dir) || [...paths].some((p) => safeRealpath(p) === safeRealpath(dir)));
}

/** @param {string} p */
function safeRealpath(p) {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * @typedef {{
 *   usageBytes: number | null, peakBytes: number | null, limitBytes: number | null,
 *   workingSetBytes: number | null,
 *   cpuQuota: number | null, cpuSeconds: number | null,
 *   periods: number | null, throttled: number | null, throttledSeconds: number | null,
 *   failcnt: number | null, oomKills: number | null,
 * }} GroupStats
 */

/**
 * Usage minus the file cache the kernel would drop first, as `docker stats`
 * and the kubelet count memory. The group's usage and peak include every page
 * of file cache charged to it (SQLite files, logs, even the workerd binary's
 * pages it faulted in first), which the kernel reclaims before it OOM-kills.
 * @param {number | null} usage @param {number | undefined} inactiveFile
 */
function workingSet(usage, inactiveFile) {
  if (usage === null || inactiveFile === undefined) return null;
  return Math.max(0, usage - inactiveFile);
}

/** What the kernel counted for a group. @param {Groups} groups @returns {GroupStats} */
export function readGroupStats(groups) {
  /** @type {GroupStats} */
  const stats = {
    usageBytes: null,
    peakBytes: null,
    limitBytes: null,
    workingSetBytes: null,
    cpuQuota: null,
    cpuSeconds: null,
    periods: null,
    throttled: null,
    throttledSeconds: null,
    failcnt: null,
    oomKills: null,
  };
  if (groups.unified) {
    const dir = groups.unified;
    stats.usageBytes = readNumber(`${dir}/memory.current`);
    stats.peakBytes = readNumber(`${dir}/memory.peak`);
    stats.limitBytes = readNumber(`${dir}/memory.max`);
    stats.workingSetBytes = workingSet(stats.usageBytes, readKeyed(`${dir}/memory.stat`).inactive_file);
    const [quota, period] = (readText(`${dir}/cpu.max`) ?? "max").split(/\s+/);
    stats.cpuQuota = quota === "max" || !period ? null : Number(quota) / Number(period);
    const cpu = readKeyed(`${dir}/cpu.stat`);
    stats.cpuSeconds = cpu.usage_usec === undefined ? null : cpu.usage_usec / 1e6;
    stats.periods = cpu.nr_periods ?? null;
    stats.throttled = cpu.nr_throttled ?? null;
    stats.throttledSeconds = cpu.throttled_usec === undefined ? null : cpu.throttled_usec / 1e6;
    const events = readKeyed(`${dir}/memory.events`);
    stats.failcnt = events.max ?? null;
    stats.oomKills = events.oom_kill ?? null;
    return stats;
  }
  if (groups.memory) {
    const dir = groups.memory;
    stats.usageBytes = readNumber(`${dir}/memory.usage_in_bytes`);
    stats.peakBytes = readNumber(`${dir}/memory.max_usage_in_bytes`);
    stats.workingSetBytes = workingSet(stats.usageBytes, readKeyed(`${dir}/memory.stat`).total_inactive_file);
    const limit = readNumber(`${dir}/memory.limit_in_bytes`);
    // v1 says "no limit" with a huge page-aligned number.
    stats.limitBytes = limit !== null && limit < 2 ** 62 ? limit : null;
    stats.failcnt = readNumber(`${dir}/memory.failcnt`);
    stats.oomKills = readKeyed(`${dir}/memory.oom_control`).oom_kill ?? null;
  }
  if (groups.cpu) {
    const dir = groups.cpu;
    const quota = readNumber(`${dir}/cpu.cfs_quota_us`);
    const period = readNumber(`${dir}/cpu.cfs_period_us`);
    stats.cpuQuota = quota !== null && quota > 0 && period ? quota / period : null;
    const cpu = readKeyed(`${dir}/cpu.stat`);
    stats.periods = cpu.nr_periods ?? null;
    stats.throttled = cpu.nr_throttled ?? null;
    stats.throttledSeconds = cpu.throttled_time === undefined ? null : cpu.throttled_time / 1e9;
    const usage = readNumber(`${groups.cpuacct ?? dir}/cpuacct.usage`);
    stats.cpuSeconds = usage === null ? null : usage / 1e9;
  }
  return stats;
}
