// @ts-check
// What the host must provide before the stack can start: the system nginx
// and libeatmydata (installed with apt-get when missing and we are root), an
// up-to-date bundle (dist/api.js), and free ports.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const DEFAULT_RUN_DIR = path.join(ROOT, "run");
export const DEFAULT_COMPOSE_FILE = path.join(ROOT, "compose.yaml");
export const defaultLog = (/** @type {string} */ line) => console.log(`[stack] ${line}`);

/** @param {string} file */
function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function findNginx() {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/local/sbin", "/usr/local/nginx/sbin"];
  for (const dir of dirs) if (dir && isExecutable(path.join(dir, "nginx"))) return path.join(dir, "nginx");
  return null;
}

/** Whether nginx is there or can be installed here (as root, with apt-get). */
export function nginxObtainable() {
  return findNginx() !== null || (process.getuid?.() === 0 && isExecutable("/usr/bin/apt-get"));
}

/**
 * The system nginx; installed with apt-get (nginx-light, else nginx) when
 * missing and we are root.
 * @param {(line: string) => void} log
 */
export function ensureNginx(log = defaultLog, install = true) {
  const found = findNginx();
  if (found) return found;
  if (!install || process.getuid?.() !== 0 || !isExecutable("/usr/bin/apt-get")) {
    throw new Error(
      "nginx is not installed (the load balancer runs the system nginx). Install it, e.g. `sudo apt-get install nginx-light`, or run as root so npm start can.",
    );
  }
  log("nginx is not installed: installing it with apt-get (apt-get update; apt-get install -y nginx-light) ...");
  for (const pkg of ["nginx-light", "nginx"]) {
    const installed = aptInstall(pkg, log) ? findNginx() : null;
    if (installed) {
      log(`installed ${pkg}: ${installed}`);
      return installed;
    }
  }
  throw new Error("nginx is not installed and apt-get could not install nginx-light or nginx");
}

/** Where Debian-like systems put libeatmydata (deploy/entrypoint.sh looks in the same places). */
const EATMYDATA = ["/usr/lib/x86_64-linux-gnu/libeatmydata.so", "/usr/lib/libeatmydata.so", "/usr/lib64/libeatmydata.so"];

/** The libeatmydata the API instances preload, or null if this machine has none. */
export function eatmydataLibrary() {
  return EATMYDATA.find((lib) => fs.existsSync(lib)) ?? null;
}

/**
 * The API instances' outboxes skip fsync through libeatmydata, as the image
 * does (deploy/entrypoint.sh). Installs it when missing and we are root;
 * without it the outboxes fsync each write: correct, only slower.
 * @param {(line: string) => void} log
 */
export function ensureEatmydata(log = defaultLog) {
  if (eatmydataLibrary()) return;
  if (process.getuid?.() === 0 && isExecutable("/usr/bin/apt-get")) {
    log("libeatmydata is not installed: installing it with apt-get (libeatmydata1) ...");
    if (aptInstall("libeatmydata1", log) && eatmydataLibrary()) return;
  }
  log("libeatmydata is not available: the outboxes fsync each write (slower POSTs; `apt-get install libeatmydata1`)");
}

/** Whether this process has run `apt-get update` yet: once is enough. */
let aptUpdated = false;

/**
 * apt-get install one package (after one apt-get update per process); whether it worked.
 * @param {string} pkg @param {(line: string) => void} log
 */
function aptInstall(pkg, log) {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  /** @param {string[]} args */
  const apt = (args) => spawnSync("apt-get", args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (!aptUpdated) {
    aptUpdated = true;
    const update = apt(["update"]);
    if (update.status !== 0) log(`apt-get update failed: ${update.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  }
  const result = apt(["install", "-y", "--no-install-recommends", pkg]);
  if (result.status !== 0) log(`apt-get install ${pkg} failed: ${(result.stderr || result.stdout).trim().split("\n").slice(-3).join(" | ")}`);
  return result.status === 0;
}

/** @param {string} dir @returns {number} */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (!entry.name.endsWith(".test.ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Whether dist/api.js is missing or older than the worker's sources. */
export function bundleIsStale() {
  const bundle = path.join(ROOT, "dist/api.js");
  if (!fs.existsSync(bundle)) return true;
  const sources = ["workers", "durable-objects", "lib"].map((d) => path.join(ROOT, d)).filter((d) => fs.existsSync(d));
  const newest = Math.max(
    ...sources.map(newestMtime),
    ...["wrangler.toml", "package-lock.json"].map((f) => (fs.existsSync(path.join(ROOT, f)) ? fs.statSync(path.join(ROOT, f)).mtimeMs : 0)),
  );
  return fs.statSync(bundle).mtimeMs < newest;
}

/** PATH with the project's tools and this Node first. */
export function toolPath() {
  return [path.join(ROOT, "node_modules/.bin"), path.dirname(process.execPath), process.env.PATH ?? "/usr/bin:/bin"].join(":");
}

/** `npm run build` (bundles dist/api.js, which the capnp configs embed). @param {(line: string) => void} log */
export function build(log = defaultLog) {
  log("building dist/api.js (npm run build) ...");
  const result = spawnSync("npm", ["run", "-s", "build"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, PATH: toolPath(), WRANGLER_SEND_METRICS: "false" },
  });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}\n${result.stderr}`);
}

/** Resolves if nothing listens on the TCP port (any address). @param {number} port */
export function assertPortFree(port, hint = "") {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", () => reject(new Error(`port ${port} is already in use${hint ? `: ${hint}` : ""}`)));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
