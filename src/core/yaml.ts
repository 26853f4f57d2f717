import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let loaded: typeof Yaml | null = null;

/**
 * The `yaml` package, loaded at its first use rather than with the module that names it. Most
 * commands read no YAML at all (the shipped rules come prebuilt as JSON, a run without
 * `--config` reads no file), and loading the library took about 15 ms of every start of
 * `replay` and `run`. Synchronous, so that the readers of configuration and rule files stay so.
 */
export function yaml(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return loaded;
}
