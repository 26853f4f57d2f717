// Preloaded with `--import` by the start-up tests: appends every require() of the process
// (main thread) to the file named by OUWATCH_MODULE_TRACE, one `cjs <request>` per line: the
// packages the CLI's bundle loads at run time (pg, better-sqlite3, yaml) and node's modules.
// What the bundle itself runs, the tests read from V8's coverage.
import { appendFileSync } from 'node:fs';
import Module from 'node:module';

const file = process.env.OUWATCH_MODULE_TRACE;
if (file) {
  const load = Module._load;
  Module._load = function traced(request, ...rest) {
    appendFileSync(file, `cjs ${request}\n`);
    return load.call(this, request, ...rest);
  };
}
