// @ts-check
// `npm run status [-- --json]`: per service of the running stack, its pid,
// memory (RSS over its process tree, and what its cgroup counts: now, peak,
// limit), CPU seconds used, CPU throttling and memory pressure (failcnt,
// OOM kills).
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_RUN_DIR, mib, readServiceStats, readState, stackIsLive, table } from "./stack.mjs";

const { values: args } = parseArgs({ options: { json: { type: "boolean" }, "run-dir": { type: "string" } } });
const runDir = args["run-dir"] ?? DEFAULT_RUN_DIR;
const state = readState(runDir);
if (!state) {
  if (args.json) console.log(JSON.stringify({ running: false, services: [] }));
  else console.log(`no stack recorded in ${runDir} (start one with \`npm start\`)`);
  process.exit(args.json ? 0 : 1);
}

const stats = readServiceStats(state);
if (args.json) {
  console.log(
    JSON.stringify(
      {
        running: stackIsLive(state),
        startedAt: state.startedAt,
        cgroups: state.cgroups,
        cgroupWarning: state.cgroupWarning,
        processors: state.processors,
        services: stats,
      },
      null,
      2,
    ),
  );
  process.exit(0);
}

/** @param {number | null | undefined} n @param {number} digits */
const fixed = (n, digits) => (n == null ? "-" : n.toFixed(digits));
const rows = [["SERVICE", "PID", "RSS", "CG-MEM", "CG-PEAK", "MEM-LIMIT", "CPU-S", "CPUS", "THROTTLED", "THR-S", "FAILCNT", "OOM-KILL", "CGROUP"]];
for (const s of stats) {
  const cg = s.cgroup;
  rows.push([
    s.name,
    s.alive ? String(s.pid) : "down",
    mib(s.rssBytes),
    mib(cg?.usageBytes),
    mib(cg?.peakBytes),
    mib(cg?.limitBytes ?? s.limits.memoryBytes),
    fixed(cg?.cpuSeconds ?? s.cpuSecondsProc, 2),
    cg?.cpuQuota != null ? String(cg.cpuQuota) : s.limits.cpus != null ? `(${s.limits.cpus})` : "-",
    cg?.throttled != null ? `${cg.throttled}/${cg.periods ?? "?"}` : "-",
    fixed(cg?.throttledSeconds, 2),
    cg?.failcnt != null ? String(cg.failcnt) : "-",
    cg?.oomKills != null ? String(cg.oomKills) : "-",
    s.inGroup === null ? "-" : `${path.basename(Object.values(s.groups)[0] ?? "")}${s.inGroup ? " (in it)" : s.alive ? " (NOT in it)" : ""}`,
  ]);
}
console.log(table(rows));
console.log(
  `started ${state.startedAt}; ${state.cgroups ? `cgroup ${state.cgroups}` : `no limits: ${state.cgroupWarning}`}; processors ${state.processors.default}, ${state.processors.fallback}`,
);
console.log(
  "RSS: summed over the process tree; CG-*: the cgroup's own count (includes page cache); CPU-S: cgroup CPU time (else /proc); THROTTLED: periods throttled/total",
);
