import net from "node:net";
import { describe, expect, it } from "vitest";
import { startBareWorker, stackLimits } from "./floor.mjs";

const freePort = () => new Promise<number>((resolve) => {
  const server = net.createServer().listen(0, "127.0.0.1", () => {
    const { port } = server.address() as net.AddressInfo;
    server.close(() => resolve(port));
  });
});

describe("latency floor", () => {
  it("holds the bare worker to the whole stack's limits: compose's sum", () => {
    expect(stackLimits()).toEqual({ cpus: 1.5, memoryBytes: 350 * 2 ** 20 });
  });

  it("starts a bare workerd that answers 202 to anything, in its cgroup when it can, and stops it", async () => {
    const port = await freePort();
    const worker = await startBareWorker({ port, groupName: `rinha-floor-test-${process.pid}` });
    try {
      for (const [method, path] of [["POST", "/payments"], ["GET", "/payments-summary"]] as const) {
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
});
