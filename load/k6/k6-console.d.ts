// k6 scripts have a console (log, info, warn, error, debug) that @types/k6
// leaves out. Written so it merges with @types/node's identical declarations
// when tsconfig.node.json sees this file too.
export {};

declare global {
  interface Console {
    log(...data: any[]): void;
    info(...data: any[]): void;
    warn(...data: any[]): void;
    error(...data: any[]): void;
    debug(...data: any[]): void;
  }
  var console: Console;
}
