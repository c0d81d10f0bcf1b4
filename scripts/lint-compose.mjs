// @ts-check
// `npm run lint:compose`: checks compose.yaml (or the files given) without a
// Docker engine.
//   1. dclint: the Compose Specification schema plus best-practice rules,
//      configured by .dclintrc.yaml; any warning fails too.
//   2. `docker-compose config -q` (Debian's docker-compose 1.29), when that
//      binary is installed: a second, independent parser of the same file.
// Exits non-zero when either finds a problem.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/**
 * Runs a command with inherited output; returns its exit status (127 when it could not start).
 * @param {string} command @param {string[]} args
 */
function run(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: "inherit" });
  if (result.error) {
    console.error(`${command}: ${result.error.message}`);
    return 127;
  }
  return result.status ?? 1;
}

/** The dclint CLI script of the installed package. */
function dclintBin() {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve("dclint/package.json");
  /** @type {{ bin: Record<string, string> }} */
  const { bin } = JSON.parse(fs.readFileSync(manifest, "utf8"));
  const script = bin.dclint;
  if (!script) throw new Error("the dclint package has no dclint bin");
  return path.join(path.dirname(manifest), script);
}

/** The first `name` on PATH that is an executable file, or null. @param {string} name */
function onPath(name) {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

const files = process.argv.slice(2);
if (files.length === 0) files.push("compose.yaml");

let failed = false;
const dclint = run(process.execPath, [dclintBin(), "--config", path.join(ROOT, ".dclintrc.yaml"), "--max-warnings", "0", ...files]);
if (dclint !== 0) failed = true;

const dockerCompose = onPath("docker-compose");
if (dockerCompose) {
  for (const file of files) {
    // Interpolation needs no values: every ${VAR} in compose.yaml has a default.
    const status = run(dockerCompose, ["--file", file, "config", "--quiet"]);
    if (status !== 0) {
      console.error(`docker-compose config: ${file} is invalid (status ${status})`);
      failed = true;
    }
  }
} else {
  console.log("lint:compose: docker-compose not installed; skipped `docker-compose config` (apt-get install docker-compose)");
}

if (!failed) console.log(`lint:compose: ${files.join(", ")} OK (dclint${dockerCompose ? ", docker-compose config" : ""})`);
process.exit(failed ? 1 : 0);
