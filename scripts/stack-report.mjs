// @ts-check
// What a running stack looks like: per service its process (RSS, CPU) and its
// cgroup figures (usage, peak, limit, throttling, OOM kills), as rows for
// `npm run status` and the table `npm start` prints once everything is up.
import path from "node:path";
import { pidInGroups, readGroupStats } from "./cgroups.mjs";
import { isAlive, listeningOf, treeUsage } from "./proc.mjs";

/**
 * @typedef {import("./stack.mjs").StackState} StackState
 * @typedef {import("./stack.mjs").ServiceState} ServiceState
 * @typedef {import("./stack.mjs").ProcRef} ProcRef
 * @typedef {import("./cgroups.mjs").Groups} Groups
 */

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
