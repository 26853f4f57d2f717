import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConfigError } from '../../core/config-file.js';

const RULE_EXTENSIONS = ['.yaml', '.yml'];

/** The rule files of a directory, sorted (a missing or empty directory is a ConfigError). */
export function ruleFiles(dir: string, allowEmpty = false): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new ConfigError(dir, ['expected a directory of rule files (*.yaml)']);
    names = readdirSync(dir);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(dir, [`cannot read the rules directory: ${(err as Error).message}`]);
  }
  const files = names.filter((n) => RULE_EXTENSIONS.some((x) => n.endsWith(x)) && !n.startsWith('.')).sort();
  if (files.length === 0 && !allowEmpty) throw new ConfigError(dir, ['no rule files (*.yaml) in this directory']);
  return files.map((n) => join(dir, n));
}

/** The rule id a rule file names: its name without the extension. */
export function ruleIdOf(file: string): string {
  return basename(file).replace(/\.ya?ml$/, '');
}
