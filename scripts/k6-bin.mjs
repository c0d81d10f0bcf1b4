// @ts-check
// Finds the real k6: K6_BIN if set, else the first `k6` on PATH that answers
// `k6 version` like k6 (npm's `k6` package is a placeholder, not k6).
// Used by `npm run k6` and by the test that runs load/k6/rinha.js.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export const K6_NOT_FOUND =
  "k6 not found (K6_BIN, or `k6` on PATH); install k6 (https://grafana.com/docs/k6/latest/set-up/install-k6/) or use `npm run load`";

/**
 * @param {Record<string, string | undefined>} [env] @param {(line: string) => void} [warn]
 * @returns {{ file: string, version: string } | null}
 */
export function findK6(env = process.env, warn = console.error) {
  const candidates = env.K6_BIN
    ? [env.K6_BIN]
    : (env.PATH ?? "")
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, "k6"));
  for (const file of candidates) {
    try {
      if (!fs.statSync(file).isFile()) continue;
      fs.accessSync(file, fs.constants.X_OK);
    } catch {
      continue;
    }
    const version = spawnSync(file, ["version"], { encoding: "utf8", timeout: 10_000 });
    if (version.status === 0 && /^k6 v\d/.test(version.stdout.trim())) return { file, version: version.stdout.trim() };
    warn(`ignoring ${file}: \`k6 version\` did not answer like k6`);
  }
  return null;
}
