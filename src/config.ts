import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';

/**
 * The configuration file (YAML), validated with zod. Every section has defaults, so an empty
 * file (or none) is a valid configuration; flags override the file. An invalid file stops
 * start-up with the file, the field and what was expected (`ConfigError`).
 *
 * Each stage owns its section; add fields there, always with a default and a `.describe()`.
 */

/** A configuration or rule file that cannot be used: file, field, expectation. Exit code 2. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
  }
}

/** zod issues -> `field.path: expected …, got …` sentences. */
export function describeIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const field = i.path.length ? i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : '(top level)';
    if (i.code === 'unrecognized_keys') return `${field}: unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}`;
    return `${field}: ${i.message}`;
  });
}

/** Parses YAML text and validates it; YAML syntax errors name the line. */
export function parseYamlWith<T extends z.ZodType>(file: string, text: string, schema: T): z.infer<T> {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`));
  }
  const value: unknown = doc.toJS() ?? {};
  const result = schema.safeParse(value);
  if (!result.success) throw new ConfigError(file, describeIssues(result.error.issues));
  return result.data;
}

export function readYamlFile<T extends z.ZodType>(file: string, schema: T): z.infer<T> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read: ${(err as Error).message}`]);
  }
  return parseYamlWith(file, text, schema);
}

const storeSection = z
  .object({
    path: z.string().min(1).default('./ouwatch.db').describe('SQLite database file'),
  })
  .strict()
  .default({ path: './ouwatch.db' });

const parseSection = z
  .object({
    timeZone: z.string().default('UTC').describe('IANA zone the logs were written in (log4j writes no zone)'),
    maxLineBytes: z.number().int().min(1024).default(1024 * 1024).describe('longer lines are counted as oversized and skipped'),
  })
  .strict()
  .default({ timeZone: 'UTC', maxLineBytes: 1024 * 1024 });

const detectSection = z
  .object({
    rulesDir: z.string().min(1).optional().describe('directory of rule YAML files (default: the rules shipped with ouwatch)'),
    maxEvidence: z.number().int().min(1).max(1000).default(10).describe('log lines kept as evidence per alert'),
  })
  .strict()
  .default({ maxEvidence: 10 });

export const configSchema = z
  .object({
    store: storeSection,
    parse: parseSection,
    detect: detectSection,
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** The configuration from `file` (or the defaults when no file is given). */
export function loadConfig(file?: string): Config {
  if (file === undefined) return configSchema.parse({});
  return readYamlFile(file, configSchema);
}
