import { readFileSync } from 'node:fs';
import { codeFile, FROM_SOURCES } from '../core/package-files.js';

/** Where the build writes the configuration's defaults (under dist/). */
export const PREBUILT_DEFAULTS_FILE = 'config-defaults.json';

let prebuilt: string | null | undefined;

/**
 * What the configuration schema gives an empty file, computed when the package is built
 * (`npm run build` writes it with the same schema). A command run without a configuration
 * file takes its settings from there instead of building every section's schema (about 45 ms,
 * a sixth of `ouwatch alerts list`); the schemas are built only to read a file. Null from the
 * sources, or when the build has no such file (or a damaged one): the caller parses.
 */
export function prebuiltDefaults(): unknown {
  if (prebuilt === undefined) prebuilt = load();
  // A copy each time: callers apply their flags to what they get.
  return prebuilt === null ? null : JSON.parse(prebuilt);
}

function load(): string | null {
  if (FROM_SOURCES) return null;
  try {
    const text = readFileSync(codeFile(PREBUILT_DEFAULTS_FILE), 'utf8');
    JSON.parse(text);
    return text;
  } catch {
    return null;
  }
}
