import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { SEVERITIES } from './alerts.js';
import { UserFixableError } from './errors.js';
import { yaml } from './yaml.js';

/**
 * Reading YAML configuration and rule files with zod: every component declares the schema of
 * its own section with these helpers, and a file that cannot be used stops start-up with the
 * file, the field and what was expected (`ConfigError`, exit code 2).
 */

/** A configuration or rule file that cannot be used: file, field, expectation. Exit code 2. */
export class ConfigError extends UserFixableError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
  }
}

/**
 * How configuration and rules are parsed: each schema validates a handful of documents per
 * run, and zod's default compiles every object schema into a function (`new Function`) at
 * its first parse, which costs a start-up more than it ever saves.
 */
export const PARSE_ONCE = { jitless: true } as const;

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
  const doc = yaml().parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`));
  }
  const value: unknown = doc.toJS() ?? {};
  const result = schema.safeParse(value, PARSE_ONCE);
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


export const severitySchema = z.enum(SEVERITIES);
export const rfc1123Label = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a Kubernetes namespace (RFC 1123 label: lowercase letters, digits, -)');
export const noControl = (what: string) => z.string().min(1).regex(/^[^\u0000-\u001f\u007f]+$/, `expected ${what} without control characters`);
/** The name of an environment variable that holds a secret; it must be set when the config loads. */
export const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
  .refine((n) => (process.env[n] ?? '') !== '', { error: (i) => `environment variable ${String(i.input)} is not set (or empty)` });
