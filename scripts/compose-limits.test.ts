// The contest's deployment rules (docs/contract.md §5), checked on compose.yaml itself:
// limits per service and in total, two API instances behind a balancer on
// 9999, bridge networking, the processors' external network, and services
// that heal (healthcheck + restart policy).
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { limitsOf, parseMemory, readCompose } from "./compose.mjs";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const compose = readCompose(path.join(ROOT, "compose.yaml"));
// biome-ignore lint/suspicious/noExplicitAny: compose.yaml as parsed, walked freely by the assertions below
type Service = Record<string, any>;
const services: [string, Service][] = Object.entries(compose.services ?? {});

const MAX_NANO_CPUS = 1.5e9;
const MAX_MEMORY_BYTES = parseMemory("350MB");

/** The host ports a service publishes, from short ("[ip:]host:container") or long syntax. */
function publishedPorts(service: Service): number[] {
  return (service.ports ?? []).map((port: unknown) => {
    if (typeof port === "object" && port !== null) return Number((port as { published?: unknown }).published);
    const parts = String(port).split("/")[0]!.split(":");
    return Number(parts.length >= 2 ? parts.at(-2) : NaN);
  });
}

const isApi = (service: Service) => Array.isArray(service.command) && service.command[0] === "api";

describe("compose.yaml", () => {
  it("has services", () => {
    expect(services.length).toBeGreaterThan(0);
  });

  it("sets a CPU and a memory limit on every service", () => {
    for (const [name, service] of services) {
      const limits = limitsOf(service);
      expect(limits.cpus, `${name}: deploy.resources.limits.cpus`).not.toBeNull();
      expect(limits.memoryBytes, `${name}: deploy.resources.limits.memory`).not.toBeNull();
      expect(limits.memoryBytes!, `${name}: memory`).toBeGreaterThan(0);
    }
  });

  it("stays within 1.5 CPU and 350 MB in total", () => {
    let nanoCpus = 0;
    let memoryBytes = 0;
    for (const [, service] of services) {
      const limits = limitsOf(service);
      // Docker counts CPUs in billionths; summing those avoids 0.15 + 0.3 float drift.
      nanoCpus += Math.round((limits.cpus ?? 0) * 1e9);
      memoryBytes += limits.memoryBytes ?? 0;
    }
    expect(nanoCpus).toBeLessThanOrEqual(MAX_NANO_CPUS);
    expect(memoryBytes).toBeLessThanOrEqual(MAX_MEMORY_BYTES);
  });

  it("uses no host networking, no privileged mode and no replicas", () => {
    for (const [name, service] of services) {
      expect(service.network_mode, `${name}: network_mode`).not.toBe("host");
      expect(service.privileged ?? false, `${name}: privileged`).toBe(false);
      expect(service.deploy?.replicas, `${name}: deploy.replicas`).toBeUndefined();
      expect(service.scale, `${name}: scale`).toBeUndefined();
    }
  });

  it("runs at least two API instances, every one behind the load balancer", () => {
    const apis = services.filter(([, service]) => isApi(service)).map(([name]) => name);
    expect(apis.length).toBeGreaterThanOrEqual(2);
    const nginx = readFileSync(path.join(ROOT, "deploy/nginx.conf"), "utf8");
    const upstream = /upstream\s+api\s*\{([^}]*)\}/.exec(nginx)?.[1] ?? "";
    for (const name of apis) expect(upstream, `nginx upstream has ${name}`).toContain(`/run/payments/${name}.sock`);
  });

  it("publishes port 9999 on the load balancer only", () => {
    const publishers = services.filter(([, service]) => publishedPorts(service).includes(9999)).map(([name]) => name);
    expect(publishers).toEqual(["load-balancer"]);
  });

  it("reaches the processors on the external network payment-processor", () => {
    const network = compose.networks?.["payment-processor"];
    expect(network?.external).toBe(true);
    expect(network?.name ?? "payment-processor").toBe("payment-processor");
    const attached = services.filter(([, service]) => {
      const networks = service.networks ?? [];
      return Array.isArray(networks) ? networks.includes("payment-processor") : "payment-processor" in networks;
    });
    expect(attached.map(([name]) => name)).toContain("engine");
  });

  it("gives every service a healthcheck and a restart policy", () => {
    for (const [name, service] of services) {
      expect(service.healthcheck?.test, `${name}: healthcheck.test`).toBeTruthy();
      expect(service.healthcheck?.disable, `${name}: healthcheck.disable`).not.toBe(true);
      const restart = service.restart ?? service.deploy?.restart_policy?.condition;
      expect(["always", "unless-stopped", "on-failure", "any"], `${name}: restart`).toContain(restart);
    }
  });
});

describe("parseMemory", () => {
  it("reads Docker's binary units", () => {
    expect(parseMemory("20MB")).toBe(20 * 2 ** 20);
    expect(parseMemory("20m")).toBe(20 * 2 ** 20);
    expect(parseMemory("20MiB")).toBe(20 * 2 ** 20);
    expect(parseMemory("300M")).toBe(300 * 2 ** 20);
    expect(parseMemory("0.5GB")).toBe(2 ** 29);
    expect(parseMemory("1g")).toBe(2 ** 30);
    expect(parseMemory("512k")).toBe(512 * 1024);
    expect(parseMemory("64 MB")).toBe(64 * 2 ** 20);
  });

  it("reads bytes from a bare number or a b suffix", () => {
    expect(parseMemory(1048576)).toBe(1048576);
    expect(parseMemory("1048576")).toBe(1048576);
    expect(parseMemory("100b")).toBe(100);
  });

  it("refuses what Docker refuses", () => {
    for (const bad of ["", "MB", "-1m", "20 XB", "1.5.5g", "20i", "ten"]) {
      expect(() => parseMemory(bad), JSON.stringify(bad)).toThrow(/invalid memory size/);
    }
    expect(() => parseMemory(-1)).toThrow(/invalid memory size/);
  });
});

describe("limitsOf", () => {
  it("reads cpus as a number and memory in bytes", () => {
    expect(limitsOf({ deploy: { resources: { limits: { cpus: "0.30", memory: "80MB" } } } })).toEqual({
      cpus: 0.3,
      memoryBytes: 80 * 2 ** 20,
    });
    expect(limitsOf({ deploy: { resources: { limits: { cpus: 1 } } } })).toEqual({ cpus: 1, memoryBytes: null });
  });

  it("gives null for limits not set", () => {
    expect(limitsOf({})).toEqual({ cpus: null, memoryBytes: null });
    expect(limitsOf(undefined)).toEqual({ cpus: null, memoryBytes: null });
  });

  it("refuses a CPU limit that is not a positive number", () => {
    for (const cpus of ["", "half", "0", -1]) {
      expect(() => limitsOf({ deploy: { resources: { limits: { cpus } } } }), JSON.stringify(cpus)).toThrow(/invalid cpus/);
    }
  });
});
