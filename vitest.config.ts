// Three kinds of tests, one command (`npm test`):
//   unit         plain Node: pure logic beside the code it tests, and the processor stand-in
//   workers      inside workerd (miniflare): the API and the Durable Object, processors mocked at fetch()
//   sharded      the same, in the cloud mode (wrangler's env.cloud): 4 ledger shards, purge and stats behind a secret
//   integration  plain Node driving the real service over real ports against the stand-ins
//   stack        plain Node: `npm start`'s topology under its cgroup limits, with the engine SIGKILLed mid-load
//   docker       plain Node: the image built, both compose files up, containers docker-killed mid-load
//   k6           load/k6/rinha.js under the real k6 against the service and the stand-ins (fails in CI without k6)
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Short timings so timeouts and settling are exercised in milliseconds. */
const SHORT_TIMINGS = {
  PROCESSOR_TIMEOUT_MS: "300",
  SETTLE_AFTER_MS: "1000",
  MAX_IN_FLIGHT: "8",
  FALLBACK_AFTER_MS: "200",
  PARK_MS: "2000", // longer than QUIET_MS (500), so a test tells the two apart
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: ["{lib,workers,durable-objects,processor-standin,scripts,load}/**/*.test.ts"],
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: SHORT_TIMINGS,
            },
          }),
        ],
        test: { name: "workers", include: ["test/workers/**/*.test.ts"] },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml", environment: "cloud" },
            miniflare: {
              bindings: {
                ...SHORT_TIMINGS,
                LEDGER_SHARDS: "4",
                // The processors as test/workers/fake-processors.ts fakes them, at fetch().
                PROCESSOR_DEFAULT_URL: "http://127.0.0.1:8001",
                PROCESSOR_FALLBACK_URL: "http://127.0.0.1:8002",
                // What `wrangler secret put ADMIN_SECRET` gives the deployed worker.
                ADMIN_SECRET: "sharded-test-admin-secret",
              },
            },
          }),
        ],
        test: { name: "sharded", include: ["test/sharded/**/*.test.ts"] },
      },
      {
        test: {
          name: "stack",
          environment: "node",
          include: ["test/stack/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "docker",
          environment: "node",
          include: ["test/docker/**/*.test.ts"],
          testTimeout: 180_000,
          // Provisioning a Docker engine (CI) and a cold image build take minutes.
          hookTimeout: 900_000,
        },
      },
      {
        test: {
          name: "k6",
          environment: "node",
          include: ["test/k6/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "integration",
          environment: "node",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
