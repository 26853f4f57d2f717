// Preloaded with `--import` by the start-up tests: appends every module the process (main
// thread) loads to the file named by OUWATCH_MODULE_TRACE, one per line: `esm <url>` from a
// loader hook, `cjs <request>` from require() (packages such as pg and better-sqlite3 are
// CommonJS, loaded through createRequire).
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const file = process.env.OUWATCH_MODULE_TRACE;
if (file) {
  register(new URL('./module-trace-hooks.mjs', import.meta.url), { data: { file } });
  const load = Module._load;
  Module._load = function traced(request, ...rest) {
    appendFileSync(file, `cjs ${request}\n`);
    return load.call(this, request, ...rest);
  };
}
