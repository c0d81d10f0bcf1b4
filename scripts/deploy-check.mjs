// @ts-check
// `npm run deploy:check`: builds the cloud mode (wrangler.toml's [env.cloud])
// as `wrangler deploy` would, without deploying (--dry-run; no Cloudflare
// account is needed or used), into a throwaway directory. Fails when the
// configuration or the bundle would not deploy, when the cloud mode is not
// sharded and guarded, or when the admin secret sits in the config's vars
// (it must come from `wrangler secret put`). Part of `npm run check`.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/**
 * What is wrong with a dry run's report of the bindings, if anything.
 * @param {string} report wrangler's output @returns {string[]}
 */
export function problems(report) {
  const found = [];
  if (!/env\.DEPLOYMENT \("cloud"\)/.test(report)) found.push('DEPLOYMENT is not "cloud": purge and stats would be open');
  const shards = /env\.LEDGER_SHARDS \("(\d+)"\)/.exec(report)?.[1];
  if (shards === undefined || Number(shards) < 2) found.push(`LEDGER_SHARDS is ${shards ?? "unset"}: the ledger would be one object`);
  if (!/env\.LEDGER \(PaymentLedger\)/.test(report)) found.push("no LEDGER binding to PaymentLedger");
  if (/env\.ADMIN_SECRET/.test(report)) found.push("ADMIN_SECRET is in the config: set it with `wrangler secret put ADMIN_SECRET --env cloud`");
  return found;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-check-"));
  try {
    const result = spawnSync("wrangler", ["deploy", "--dry-run", "--env", "cloud", "--outdir", outdir], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    const report = `${result.stdout ?? ""}\n${result.stderr ?? ""}`;
    const found = result.status === 0 ? problems(report) : [`wrangler deploy --dry-run --env cloud failed:\n${report}`];
    if (!fs.existsSync(path.join(outdir, "api.js"))) found.push("no bundle (api.js) was written");
    for (const line of found) console.error(`deploy:check: ${line}`);
    if (found.length === 0) console.log("deploy:check: the cloud mode builds and would deploy (dry run, nothing deployed)");
    process.exitCode = found.length ? 1 : 0;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
