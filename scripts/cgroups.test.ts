// The cgroup code against fake cgroup trees: this machine has cgroup v1, and
// Debian 12 (the contest's host) and most current distributions have v2, so
// both layouts are checked here whatever the machine running the tests has.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createGroup, detectCgroups, readGroupStats } from "./cgroups.mjs";

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

/** A temporary folder holding the given files (path relative to it -> content). */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "rinha-cgroups-test-"));
  dirs.push(root);
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
  return root;
}

const read = (file: string) => fs.readFileSync(file, "utf8").trim();

describe("detectCgroups", () => {
  it("finds cgroup v2 below this process's own group and enables cpu and memory for its children", () => {
    const root = tree({
      "cgroup.controllers": "cpuset cpu io memory pids",
      "user.slice/session/cgroup.controllers": "cpu io memory pids",
      "user.slice/session/cgroup.subtree_control": "",
      "self-cgroup": "0::/user.slice/session\n",
    });
    const found = detectCgroups({ root, selfCgroupFile: path.join(root, "self-cgroup"), isRoot: true });
    expect(found).toEqual({ version: "v2", base: { unified: path.join(root, "user.slice/session") } });
    expect(read(path.join(root, "user.slice/session/cgroup.subtree_control"))).toBe("+cpu +memory");
  });

  it("says why when v2 does not offer the memory controller", () => {
    const root = tree({ "cgroup.controllers": "cpu io pids", "self-cgroup": "0::/\n" });
    const found = detectCgroups({ root, selfCgroupFile: path.join(root, "self-cgroup"), isRoot: true });
    expect(found).toEqual({ reason: expect.stringMatching(/does not offer the cpu and memory controllers/) });
  });

  it("finds cgroup v1's cpu, cpuacct and memory hierarchies, each at this process's own path", () => {
    const root = tree({
      "cpu/cpu.cfs_quota_us": "-1",
      "cpu/job/cpu.cfs_quota_us": "-1",
      "cpuacct/job/cpuacct.usage": "0",
      "memory/memory.limit_in_bytes": "9223372036854771712",
      "memory/job/memory.limit_in_bytes": "9223372036854771712",
      "self-cgroup": "4:memory:/job\n2:cpuacct:/job\n1:cpu:/job\n",
    });
    const found = detectCgroups({ root, selfCgroupFile: path.join(root, "self-cgroup"), isRoot: true });
    expect(found).toEqual({
      version: "v1",
      base: { cpu: path.join(root, "cpu/job"), cpuacct: path.join(root, "cpuacct/job"), memory: path.join(root, "memory/job") },
    });
  });

  it("on v1 with cpu and cpuacct mounted together, uses one group for both", () => {
    const root = tree({
      "cpu,cpuacct/cpu.cfs_quota_us": "-1",
      "memory/memory.limit_in_bytes": "9223372036854771712",
      "self-cgroup": "4:memory:/\n1:cpu,cpuacct:/\n",
    });
    fs.symlinkSync("cpu,cpuacct", path.join(root, "cpu"));
    fs.symlinkSync("cpu,cpuacct", path.join(root, "cpuacct"));
    const found = detectCgroups({ root, selfCgroupFile: path.join(root, "self-cgroup"), isRoot: true });
    expect(found).toEqual({ version: "v1", base: { cpu: path.join(root, "cpu", "/"), memory: path.join(root, "memory", "/") } });
  });

  it("refuses without root, and without any cgroup filesystem", () => {
    const root = tree({ "self-cgroup": "0::/\n" });
    expect(detectCgroups({ root, isRoot: false })).toEqual({ reason: expect.stringMatching(/not running as root/) });
    expect(detectCgroups({ root, selfCgroupFile: path.join(root, "self-cgroup"), isRoot: true })).toEqual({
      reason: `no cgroup filesystem at ${root}`,
    });
  });
});

describe("createGroup", () => {
  it("on v2, writes compose's CPU as a quota per 100 ms period and the memory limit, replacing an empty leftover group", () => {
    const base = tree({ placeholder: "" });
    fs.mkdirSync(path.join(base, "rinha-api-1"));
    const groups = createGroup({ version: "v2", base: { unified: base } }, "rinha-api-1", { cpus: 0.4, memoryBytes: 60 * 2 ** 20 });
    const dir = path.join(base, "rinha-api-1");
    expect(groups).toEqual({ unified: dir });
    expect(read(path.join(dir, "cpu.max"))).toBe("40000 100000");
    expect(read(path.join(dir, "memory.max"))).toBe(String(60 * 2 ** 20));
  });

  it("on v1, writes the CFS period and quota and the memory limit", () => {
    const cpu = tree({ placeholder: "" });
    const memory = tree({ placeholder: "" });
    const groups = createGroup({ version: "v1", base: { cpu, memory } }, "rinha-engine", { cpus: 0.6, memoryBytes: 220 * 2 ** 20 });
    expect(groups).toEqual({ cpu: path.join(cpu, "rinha-engine"), memory: path.join(memory, "rinha-engine") });
    expect(read(path.join(cpu, "rinha-engine/cpu.cfs_period_us"))).toBe("100000");
    expect(read(path.join(cpu, "rinha-engine/cpu.cfs_quota_us"))).toBe("60000");
    expect(read(path.join(memory, "rinha-engine/memory.limit_in_bytes"))).toBe(String(220 * 2 ** 20));
  });

  it("refuses a leftover group that still holds processes", () => {
    const base = tree({ "rinha-lb/cgroup.procs": "4242\n" });
    expect(() => createGroup({ version: "v2", base: { unified: base } }, "rinha-lb", { cpus: 0.1, memoryBytes: null })).toThrow(
      /still holds processes 4242/,
    );
  });
});

describe("readGroupStats", () => {
  it("reads v2's files: memory (working set = usage - inactive file cache), CPU, throttling and OOM kills", () => {
    const dir = tree({
      "memory.current": "52428800",
      "memory.peak": "62914560",
      "memory.max": "62914560",
      "memory.stat": "anon 30000000\nfile 22428800\ninactive_file 10485760\nactive_file 11943040\n",
      "cpu.max": "40000 100000",
      "cpu.stat": "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 300\nnr_throttled 6\nthrottled_usec 120000\n",
      "memory.events": "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
    });
    expect(readGroupStats({ unified: dir })).toEqual({
      usageBytes: 52428800,
      peakBytes: 62914560,
      limitBytes: 62914560,
      workingSetBytes: 52428800 - 10485760,
      cpuQuota: 0.4,
      cpuSeconds: 2.5,
      periods: 300,
      throttled: 6,
      throttledSeconds: 0.12,
      failcnt: 3,
      oomKills: 1,
    });
  });

  it("reads v2's 'max' (no limit) as null, and a kernel without memory.peak as no peak", () => {
    const dir = tree({ "memory.current": "1048576", "memory.max": "max", "cpu.max": "max 100000", "cpu.stat": "usage_usec 1000\n" });
    expect(readGroupStats({ unified: dir })).toMatchObject({
      usageBytes: 1048576,
      peakBytes: null,
      limitBytes: null,
      cpuQuota: null,
      cpuSeconds: 0.001,
    });
  });

  it("reads v1's files, where 'no limit' is a huge number", () => {
    const memory = tree({
      "memory.usage_in_bytes": "20971520",
      "memory.max_usage_in_bytes": "31457280",
      "memory.limit_in_bytes": "9223372036854771712",
      "memory.stat": "cache 8000000\ntotal_inactive_file 4194304\n",
      "memory.failcnt": "0",
      "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
    });
    const cpu = tree({
      "cpu.cfs_quota_us": "10000",
      "cpu.cfs_period_us": "100000",
      "cpu.stat": "nr_periods 50\nnr_throttled 1\nthrottled_time 3000000\n",
      "cpuacct.usage": "1500000000",
    });
    expect(readGroupStats({ cpu, memory })).toEqual({
      usageBytes: 20971520,
      peakBytes: 31457280,
      limitBytes: null,
      workingSetBytes: 20971520 - 4194304,
      cpuQuota: 0.1,
      cpuSeconds: 1.5,
      periods: 50,
      throttled: 1,
      throttledSeconds: 0.003,
      failcnt: 0,
      oomKills: 2,
    });
  });
});
