import { dirname, join } from 'node:path';
import { PACKAGE_ROOT } from '../core/package-files.js';
import type { Config } from './config.js';

// Where the rules are: apart from the runtime, so that commands that only name rules (a
// `--rule` filter) do not load detection.

/** The rules shipped with ouwatch (used when neither --rules nor the config names a directory). */
export const BUNDLED_RULES_DIR = join(PACKAGE_ROOT, 'rules');

/** The rules directory a configuration names, or the bundled one. */
export function rulesDirOf(config: Config): string {
  return config.detect.rulesDir ?? BUNDLED_RULES_DIR;
}

/** The overlay directory (`rules.d`): the config's, or `rules.d` beside a rules directory of one's own. */
export function overlayDirOf(config: Config): string | null {
  if (config.detect.overlayDir !== undefined) return config.detect.overlayDir;
  return config.detect.rulesDir === undefined ? null : join(dirname(config.detect.rulesDir), 'rules.d');
}
