// Runs the real service (standalone workerd, built bundle) against the
// processor stand-ins on real ports, and reads what both sides recorded.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createProcessor, type Processor } from "../../processor-standin/processor.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const TOKEN = "123";

/** Bundles the worker into dist/ exactly as production does. */
export function buildBundle(): void {
  execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", "dist"], {
    cwd: ROOT,
    stdio: "pipe",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export type StandIn = { processor: Processor; url: string };
/** What the admin API needs of a processor: where it answers (a stand-in here, or a container). */
export type ProcessorUrl = Pick<StandIn, "url">;

export async function startProcessors(): Promise<{ default: StandIn; fallback: StandIn }> {
  const start = async (name: string, fee: number) => {
    const processor = createProcessor({ name, fee, token: TOKEN });
    const port = await processor.listen(0, "127.0.0.1");
    return { processor, url: `http://127.0.0.1:${port}` };
  };
  return { default: await start("default", 0.05), fallback: await start("fallback", 0.15) };
}

/** The stand-ins' admin API, as the load test's auditor uses it. */
export const admin = {
  async set(standIn: ProcessorUrl, config: "delay" | "failure", value: number | boolean): Promise<void> {
    const response = await fetch(`${standIn.url}/admin/configurations/${config}`, {
      method: "PUT",
      headers: { "x-rinha-token": TOKEN, "content-type": "application/json" },
      body: JSON.stringify({ [config]: value }),
    });
    if (!response.ok) throw new Error(`admin ${config}: ${response.status}`);
  },
  async summary(standIn: ProcessorUrl, window = ""): Promise<{ totalRequests: number; totalAmount: number }> {
    const response = await fetch(`${standIn.url}/admin/payments-summary${window}`, { headers: { "x-rinha-token": TOKEN } });
    return response.json() as Promise<{ totalRequests: number; totalAmount: number }>;
  },
  async purge(standIn: ProcessorUrl): Promise<void> {
    const response = await fetch(`${standIn.url}/admin/purge-payments`, { method: "POST", headers: { "x-rinha-token": TOKEN } });
    if (!response.ok) throw new Error(`admin purge: ${response.status}`);
  },
  async ids(standIn: ProcessorUrl): Promise<string[]> {
    const response = await fetch(`${standIn.url}/admin/payments`, { headers: { "x-rinha-token": TOKEN } });
    return ((await response.json()) as Array<{ correlationId: string }>).map((p) => p.correlationId);
  },
};

type Role = { name: string; child: ChildProcess };

/**
 * The service as workerd processes. "single": API and ledger in one process.
 * "split": an API process reaching an engine process over a unix socket, the
 * production shape. Storage lives in a temporary directory that outlives
 * restarts of the processes.
 */
export class Service {
  readonly dir = mkdtempSync(join(tmpdir(), "payments-"));
  readonly roles = new Map<string, Role>();
  url = "";

  readonly topology: "single" | "split";
  readonly processors: { default: string; fallback: string };
  readonly env: Record<string, string>;

  constructor(topology: "single" | "split", processors: { default: string; fallback: string }, env: Record<string, string> = {}) {
    this.topology = topology;
    this.processors = processors;
    this.env = env;
  }

  async start(): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    if (this.topology === "single") {
      this.spawn("single", ["workerd/single.capnp", "-s", `http=127.0.0.1:${port}`, "-d", `ledger-disk=${this.dir}`]);
    } else {
      await this.startEngine();
      mkdirSync(`${this.dir}/api`, { recursive: true });
      this.spawn("api", [
        "workerd/api.capnp",
        "-s",
        `http=127.0.0.1:${port}`,
        "-d",
        `outbox-disk=${this.dir}/api`,
        "-e",
        `engine=unix:${this.dir}/engine.sock`,
      ]);
    }
    await waitUntilServing(this.url);
  }

  async startEngine(): Promise<void> {
    const enginePort = await freePort();
    // A killed engine leaves its socket file behind, and bind() refuses an existing path.
    rmSync(`${this.dir}/engine.sock`, { force: true });
    this.spawn("engine", [
      "workerd/engine.capnp",
      "-s",
      `rpc=unix:${this.dir}/engine.sock`,
      "-s",
      `http=127.0.0.1:${enginePort}`,
      "-d",
      `ledger-disk=${this.dir}`,
    ]);
    await waitUntilServing(`http://127.0.0.1:${enginePort}`);
  }

  /** SIGKILL: the process gets no chance to finish anything. */
  async kill(role: string): Promise<void> {
    const { child } = this.roles.get(role)!;
    this.roles.delete(role);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  /** SIGSTOP: the process holds its sockets open and answers nothing, like one that hangs. */
  freeze(role: string): void {
    this.roles.get(role)!.child.kill("SIGSTOP");
  }

  thaw(role: string): void {
    this.roles.get(role)!.child.kill("SIGCONT");
  }

  async stop(): Promise<void> {
    for (const role of [...this.roles.keys()]) await this.kill(role);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private spawn(name: string, args: string[]): void {
    const child = spawn("workerd", ["serve", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit"],
      env: {
        ...process.env,
        PROCESSOR_DEFAULT_URL: this.processors.default,
        PROCESSOR_FALLBACK_URL: this.processors.fallback,
        ...this.env,
      },
    });
    this.roles.set(name, { name, child });
  }
}

async function waitUntilServing(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}

export type Totals = { totalRequests: number; totalAmount: number };
export type ServiceSummary = { default: Totals; fallback: Totals };

export async function serviceSummary(url: string, window = ""): Promise<ServiceSummary> {
  return (await fetch(`${url}/payments-summary${window}`)).json() as Promise<ServiceSummary>;
}

export async function postPayment(url: string, correlationId: string, amount: number): Promise<number> {
  try {
    const response = await fetch(`${url}/payments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ correlationId, amount }),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0; // no answer: not acknowledged
  }
}

/** Waits until the ledger has nothing left to pay. */
/**
 * Waits until nothing is left short of the books. Each answer covers the
 * ledger and the outbox of the instance that answered; behind a load balancer
 * several quiet answers in a row cover every instance.
 */
export async function drained(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (Date.now() < deadline) {
    const stats = (await (await fetch(`${url}/internal/stats`)).json()) as { waiting: number; outboxPending: number };
    quiet = stats.waiting === 0 && stats.outboxPending === 0 ? quiet + 1 : 0;
    if (quiet >= 4) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`payments still waiting after ${timeoutMs} ms`);
}

export const iso = (ms: number) => new Date(ms).toISOString();

export type World = { processors: { default: StandIn; fallback: StandIn }; service: Service; stop(): Promise<void> };

/** A fresh build, both stand-ins and the service in `topology` pointed at them: what every integration test starts from. */
export async function startWorld(topology: "single" | "split", env: Record<string, string> = {}): Promise<World> {
  buildBundle();
  const processors = await startProcessors();
  const service = new Service(topology, { default: processors.default.url, fallback: processors.fallback.url }, env);
  await service.start();
  return {
    processors,
    service,
    async stop() {
      await service.stop();
      await processors.default.processor.close();
      await processors.fallback.processor.close();
    },
  };
}
