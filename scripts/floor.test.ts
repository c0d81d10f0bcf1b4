import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { stackLimits, startFloor } from "./floor.mjs";

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

describe("the bench's reference workers", () => {
  it("holds a floor to the whole stack's limits: compose's sum", () => {
    expect(stackLimits()).toEqual({ cpus: 1.5, memoryBytes: 350 * 2 ** 20 });
  });

  it("starts a bare workerd that answers 202 to anything, in its cgroup when it can, and stops it", async () => {
    const port = await freePort();
    const worker = await startFloor({ port, groupName: `rinha-floor-test-${process.pid}` });
    try {
      expect(worker.kind).toBe("bare");
      for (const [method, path] of [
        ["POST", "/payments"],
        ["GET", "/payments-summary"],
      ] as const) {
        const res = await fetch(`${worker.url}${path}`, { method, ...(method === "POST" ? { body: "{}" } : {}) });
        expect(res.status).toBe(202);
        expect(await res.text()).toBe("");
      }
      if (worker.limits) {
        expect(worker.stats()).toMatchObject({ cpuQuota: 1.5, limitBytes: 350 * 2 ** 20 });
      } else {
        expect(worker.warning).toMatch(/NOT applied/);
      }
    } finally {
      await worker.stop();
    }
    await expect(fetch(`${worker.url}/payments`, { method: "POST" })).rejects.toThrow();
  }, 20_000);

  it("starts a durable baseline whose 202 means committed: what it acknowledged survives a SIGKILL", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rinha-durable-baseline-test-"));
    const rows = async (url: string) => ((await (await fetch(`${url}/count`)).json()) as { rows: number }).rows;
    try {
      const port = await freePort();
      const first = await startFloor({ port, kind: "durable", dataDir, limits: false });
      let before: number;
      try {
        expect(first.kind).toBe("durable");
        const base = await rows(first.url);
        for (let i = 0; i < 5; i++) {
          const res = await fetch(`${first.url}/payments`, { method: "POST", body: JSON.stringify({ correlationId: `id-${i}`, amount: 1 }) });
          expect(res.status).toBe(202);
        }
        // Not JSON: refused, nothing stored.
        expect((await fetch(`${first.url}/payments`, { method: "POST", body: "{not json" })).status).toBe(400);
        before = await rows(first.url);
        expect(before).toBe(base + 5);
        process.kill(first.pid, "SIGKILL");
      } finally {
        await first.stop();
      }
      const second = await startFloor({ port, kind: "durable", dataDir, limits: false });
      try {
        // The restart's own readiness POST adds one row.
        expect(await rows(second.url)).toBe(before + 1);
      } finally {
        await second.stop();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);
});
