// CLI for the processor stand-in. Flags win over the env vars PORT, FEE, TOKEN.
import { parseArgs } from "node:util";
import { createProcessor, type Processor } from "./processor.ts";

const USAGE = `usage:
  node processor-standin/main.ts [--port 8001] [--fee 0.05] [--name default] [--token 123] [--host H]
  node processor-standin/main.ts --both [--default-port 8001] [--fallback-port 8002]
                                 [--default-fee 0.05] [--fallback-fee 0.15] [--token 123] [--host H]`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function parseFlags() {
  try {
    return parseArgs({
      options: {
        port: { type: "string" },
        fee: { type: "string" },
        name: { type: "string" },
        token: { type: "string" },
        host: { type: "string" },
        both: { type: "boolean" },
        "default-port": { type: "string" },
        "fallback-port": { type: "string" },
        "default-fee": { type: "string" },
        "fallback-fee": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    return fail((err as Error).message);
  }
}
const args = parseFlags();
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

function num(flag: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || (integer && (!Number.isInteger(n) || n < 0 || n > 65535))) {
    fail(`invalid ${flag}: ${value}`);
  }
  return n;
}

const token = args.token ?? process.env.TOKEN;
const specs = args.both
  ? [
      {
        name: "default",
        port: num("--default-port", args["default-port"] ?? "8001", true),
        fee: num("--default-fee", args["default-fee"] ?? "0.05", false),
      },
      {
        name: "fallback",
        port: num("--fallback-port", args["fallback-port"] ?? "8002", true),
        fee: num("--fallback-fee", args["fallback-fee"] ?? "0.15", false),
      },
    ]
  : [
      {
        name: args.name ?? "default",
        port: num("--port", args.port ?? process.env.PORT ?? "8001", true),
        fee: num("--fee", args.fee ?? process.env.FEE ?? "0.05", false),
      },
    ];

const processors: Processor[] = [];
try {
  const started = [];
  for (const spec of specs) {
    const p = createProcessor({ fee: spec.fee, token, name: spec.name });
    processors.push(p);
    const port = await p.listen(spec.port, args.host);
    started.push(`${spec.name} on http://${args.host ?? "localhost"}:${port} (fee ${spec.fee})`);
  }
  console.log(`processor-standin listening: ${started.join(", ")}`);
} catch (err) {
  console.error(`processor-standin failed to start: ${(err as Error).message}`);
  await Promise.all(processors.map((p) => p.close()));
  process.exit(1);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await Promise.all(processors.map((p) => p.close()));
    process.exit(0);
  });
}
