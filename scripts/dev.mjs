// @ts-check
// `npm run dev`: the service under `wrangler dev` on port 9999. Unless
// PROCESSOR_DEFAULT_URL and PROCESSOR_FALLBACK_URL point at processors you
// run yourself, the local stand-ins are started on 8001 and 8002 first.
// `LEDGER_SHARDS=4 npm run dev` serves the ledger in 4 shards (workers/mode.ts).
import { processorUrlsFromEnv, startChild, waitForPort } from "./processes.mjs";

const PORT = Number(process.env.PORT ?? 9999);

let urls = processorUrlsFromEnv();
if (urls === null) {
  startChild(process.execPath, ["processor-standin/main.ts", "--both", "--host", "127.0.0.1"]);
  await Promise.all([waitForPort(8001), waitForPort(8002)]);
  urls = { default: "http://127.0.0.1:8001", fallback: "http://127.0.0.1:8002" };
}
console.log(`processors: default ${urls.default}, fallback ${urls.fallback}`);

const wrangler = startChild(
  "wrangler",
  [
    "dev",
    "--port",
    String(PORT),
    "--ip",
    "127.0.0.1",
    "--show-interactive-dev-session=false",
    "--var",
    `PROCESSOR_DEFAULT_URL:${urls.default}`,
    "--var",
    `PROCESSOR_FALLBACK_URL:${urls.fallback}`,
    ...(process.env.LEDGER_SHARDS ? ["--var", `LEDGER_SHARDS:${process.env.LEDGER_SHARDS}`] : []),
  ],
  { env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
);
wrangler.on("exit", (code) => process.exit(code ?? 0));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(0));
