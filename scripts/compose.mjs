// @ts-check
// Reading compose.yaml the way Docker Compose does, for the scripts that run
// its topology natively (stack.mjs) and the test that checks its limits
// (compose-limits.test.ts). Stable API:
//   readCompose(file)      -> the file as a plain object, YAML merge keys resolved
//   parseMemory(size)      -> bytes
//   limitsOf(service)      -> { cpus, memoryBytes } from deploy.resources.limits
import fs from "node:fs";
import { parse } from "yaml";

/**
 * A service's `deploy.resources.limits`, as numbers; null where not set.
 * @typedef {{ cpus: number | null, memoryBytes: number | null }} Limits
 */

/**
 * Reads a compose file as a plain object, with YAML anchors and merge keys
 * (`<<: *api`) resolved as Compose resolves them. `${VAR}` interpolation is
 * not applied. Throws if the file is missing, is not YAML, or is not a mapping.
 * @param {string} file path to the compose file
 * @returns {Record<string, any>}
 */
export function readCompose(file) {
  const doc = parse(fs.readFileSync(file, "utf8"), { merge: true });
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new Error(`${file}: not a compose file (the top level is not a mapping)`);
  }
  return doc;
}

/** Byte multipliers of the memory units, binary as Docker reads them. */
const UNIT = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * A compose memory size in bytes, read as Docker reads it (go-units
 * RAMInBytes): units are binary and case-insensitive, with an optional "i"
 * and "b", so "20MB" = "20m" = "20MiB" = 20 × 2^20 bytes; "0.5GB" = 2^29;
 * "300M" = 300 × 2^20; a bare number, or "b", is bytes. Fractions of a byte
 * are dropped. Throws on anything else.
 * @param {string | number} size
 * @returns {number} bytes
 */
export function parseMemory(size) {
  if (typeof size === "number") {
    if (!Number.isFinite(size) || size < 0) throw new Error(`invalid memory size: ${size}`);
    return Math.trunc(size);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s?([kmgtp]?)(i?b?)\s*$/i.exec(String(size));
  const unit = /** @type {keyof typeof UNIT} */ ((match?.[2] ?? "").toLowerCase());
  // "i" only as in "MiB"/"Mi": after a unit letter.
  if (!match || (match[3]?.toLowerCase().startsWith("i") && unit === "")) {
    throw new Error(`invalid memory size: ${JSON.stringify(size)}`);
  }
  return Math.trunc(Number(match[1]) * UNIT[unit]);
}

/**
 * The CPU and memory limits of a service (`deploy.resources.limits.cpus` and
 * `.memory`); each is null when the service does not set it. Throws when one
 * is set but is not a valid value.
 * @param {unknown} service one entry of `services` from readCompose()
 * @returns {Limits}
 */
export function limitsOf(service) {
  /** @type {any} */
  const s = service;
  const limits = s?.deploy?.resources?.limits ?? {};
  let cpus = null;
  if (limits.cpus != null) {
    cpus = Number(limits.cpus);
    if (!Number.isFinite(cpus) || cpus <= 0 || String(limits.cpus).trim() === "") {
      throw new Error(`invalid cpus limit: ${JSON.stringify(limits.cpus)}`);
    }
  }
  return {
    cpus,
    memoryBytes: limits.memory == null ? null : parseMemory(limits.memory),
  };
}
