// @ts-check
// What /proc says about processes: identity (pid + start time, so a reused
// pid is never mistaken for ours), process trees, memory, CPU time, and which
// sockets a process listens on.
import fs from "node:fs";

/** @typedef {{ pid: number, ppid: number, state: string, utime: number, stime: number, startTime: number }} ProcStat */

/** @param {number} pid @returns {ProcStat | null} */
export function procStat(pid) {
  let text;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name is in parentheses and may hold spaces: fields start after the last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return {
    pid,
    state: fields[0] ?? "?",
    ppid: Number(fields[1]),
    utime: Number(fields[11]),
    stime: Number(fields[12]),
    startTime: Number(fields[19]),
  };
}

/** The identity recorded for a pid we started. @param {number} pid */
export function identify(pid) {
  return { pid, startTime: procStat(pid)?.startTime ?? null };
}

/**
 * Whether the process recorded as {pid, startTime} still runs (a zombie does not count).
 * @param {{ pid: number | null, startTime?: number | null } | null | undefined} proc
 */
export function isAlive(proc) {
  if (!proc?.pid) return false;
  const stat = procStat(proc.pid);
  if (!stat || stat.state === "Z" || stat.state === "X") return false;
  return proc.startTime == null || stat.startTime === proc.startTime;
}

/** pid and all its descendants, pid first. @param {number} pid */
export function processTree(pid) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(stat.pid);
    children.set(stat.ppid, list);
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(/** @type {number} */ (out[i])) ?? []));
  return out;
}

/** VmRSS in bytes. @param {number} pid */
export function rssBytes(pid) {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Summed over the tree: RSS bytes and CPU seconds (user + system, clock ticks of 1/100 s). @param {number} pid */
export function treeUsage(pid) {
  let rss = 0;
  let ticks = 0;
  for (const p of processTree(pid)) {
    rss += rssBytes(p);
    const stat = procStat(p);
    if (stat) ticks += stat.utime + stat.stime;
  }
  return { rssBytes: rss, cpuSeconds: ticks / 100 };
}

/** Socket inodes held open by the pids. @param {number[]} pids */
function socketInodes(pids) {
  const inodes = new Set();
  for (const pid of pids) {
    let fds = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match) inodes.add(match[1]);
      } catch {
        // closed meanwhile
      }
    }
  }
  return inodes;
}

/** @param {string} hex "0100007F:1F40" → "127.0.0.1:8000" (IPv4) or "[::]:9999" */
function tcpAddress(hex) {
  const [ip = "", port = "0"] = hex.split(":");
  const portNumber = parseInt(port, 16);
  if (ip.length === 8) {
    const bytes = (ip.match(/../g) ?? []).map((b) => parseInt(b, 16)).reverse();
    return `${bytes.join(".")}:${portNumber}`;
  }
  return `${/^0+$/.test(ip) ? "[::]" : "[v6]"}:${portNumber}`;
}

/**
 * Where the process tree of pid listens: "unix:/path" and "tcp:addr:port".
 * @param {number} pid
 */
export function listeningOf(pid) {
  const inodes = socketInodes(processTree(pid));
  /** @type {Set<string>} */
  const found = new Set();
  try {
    for (const line of fs.readFileSync("/proc/net/unix", "utf8").split("\n").slice(1)) {
      // Num RefCount Protocol Flags Type St Inode Path; flag 00010000 = listening
      const cols = line.trim().split(/\s+/);
      if (cols.length >= 8 && inodes.has(cols[6]) && (parseInt(cols[3] ?? "0", 16) & 0x10000) !== 0) found.add(`unix:${cols[7]}`);
    }
  } catch {
    // no /proc/net/unix
  }
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    try {
      for (const line of fs.readFileSync(file, "utf8").split("\n").slice(1)) {
        const cols = line.trim().split(/\s+/);
        // sl local rem st ... inode(9); st 0A = LISTEN
        if (cols.length >= 10 && cols[3] === "0A" && inodes.has(cols[9])) found.add(`tcp:${tcpAddress(cols[1] ?? "")}`);
      }
    } catch {
      // no IPv6
    }
  }
  return [...found].sort();
}
