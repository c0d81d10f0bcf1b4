// @ts-check
// Small helpers shared by the scripts that start things: spawn a child that
// dies with us, and wait for a port to answer.
import { spawn } from "node:child_process";
import net from "node:net";

/**
 * Spawns a long-running child with inherited output; it is killed when this process exits.
 * @param {string} command @param {string[]} args @param {import("node:child_process").SpawnOptions} [options]
 */
export function startChild(command, args, options = {}) {
  const child = spawn(command, args, { stdio: "inherit", ...options });
  const kill = () => child.exitCode === null && child.kill("SIGTERM");
  process.on("exit", kill);
  child.on("exit", () => process.off("exit", kill));
  return child;
}

/**
 * Resolves once something accepts TCP connections on host:port, or rejects after timeoutMs.
 * @param {number} port
 */
export async function waitForPort(port, host = "127.0.0.1", timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise((resolve) => {
      const socket = net.connect({ port, host }, () => (socket.destroy(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The processor URLs from the environment, or null when stand-ins should be started. */
export function processorUrlsFromEnv(env = process.env) {
  const { PROCESSOR_DEFAULT_URL: def, PROCESSOR_FALLBACK_URL: fallback } = env;
  if (def && fallback) return { default: def, fallback };
  if (def || fallback) throw new Error("set both PROCESSOR_DEFAULT_URL and PROCESSOR_FALLBACK_URL, or neither");
  return null;
}
