// @ts-check
// Keeps the code readable in pieces: no source file over MAX_FILE_LINES lines
// and no function (declaration, method, arrow or expression, nested ones
// counted on their own too) over MAX_FUNCTION_LINES, in the folders a reader
// opens first. Tests are exempt: a test reads top to bottom as a story.
// Part of `npm run check`; exits 1 with one line per offender.
//
//   node scripts/check-size.mjs [dir or file ...]   (default: the folders below)
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const MAX_FILE_LINES = 400;
export const MAX_FUNCTION_LINES = 60;
const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const DEFAULT_DIRS = ["scripts", "workers", "durable-objects", "lib"];
const SOURCE = /\.(m?js|ts)$/;

/** Source files under dir, tests and generated declarations left out. @param {string} dir @returns {string[]} */
function sourcesUnder(dir) {
  if (fs.statSync(dir).isFile()) return [dir];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sourcesUnder(p);
    return SOURCE.test(entry.name) && !/\.test\.ts$|\.d\.ts$/.test(entry.name) ? [p] : [];
  });
}

/** @param {ts.Node} node */
function functionName(node) {
  const named = /** @type {{ name?: ts.Node }} */ (node).name;
  if (named) return named.getText();
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent))) return parent.name.getText();
  return "(anonymous)";
}

/**
 * Every offence in one file's text: the file's length, then each function too long.
 * @param {string} file @param {string} text
 * @returns {string[]}
 */
export function offences(file, text) {
  const out = [];
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
  if (lines > MAX_FILE_LINES) out.push(`${file}: ${lines} lines (at most ${MAX_FILE_LINES})`);
  /** @param {ts.Node} node */
  const visit = (node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const span = last - first + 1;
      if (span > MAX_FUNCTION_LINES) {
        out.push(`${file}:${first + 1}: function ${functionName(node)} is ${span} lines (at most ${MAX_FUNCTION_LINES})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const targets = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_DIRS.map((d) => path.join(ROOT, d));
  const files = targets.filter((t) => fs.existsSync(t)).flatMap(sourcesUnder);
  const found = files.flatMap((f) => offences(path.relative(ROOT, f), fs.readFileSync(f, "utf8")));
  for (const line of found) console.error(line);
  console.log(
    `check-size: ${files.length} files, ${found.length} over the limits (${MAX_FILE_LINES} lines a file, ${MAX_FUNCTION_LINES} a function)`,
  );
  process.exitCode = found.length ? 1 : 0;
}
