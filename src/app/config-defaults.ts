import { readBuiltJson } from '../core/package-files.js';

/** Where the build writes the configuration's defaults (under dist/). */
export const PREBUILT_DEFAULTS_FILE = 'config-defaults.json';

let prebuilt: unknown;
let loaded = false;

/**
 * What the configuration schema gives an empty file, computed when the package is built
 * (`npm run build` writes it with the same schema). A command run without a configuration
 * file takes its settings from there instead of building every section's schema (about 45 ms,
 * a sixth of `ouwatch alerts list`); the schemas are built only to read a file. Null from the
 * sources, or when the build has no such file (or a damaged one): the caller parses.
 */
export function prebuiltDefaults(): unknown {
  if (!loaded) {
    prebuilt = readBuiltJson(PREBUILT_DEFAULTS_FILE);
    loaded = true;
  }
  // A copy each time: callers apply their flags to what they get.
  return prebuilt === null ? null : structuredClone(prebuilt);
}
