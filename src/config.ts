import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { parseListen } from './server/listen.js';

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
    commitEvery: z
      .number()
      .int()
      .min(1000)
      .default(1_000_000)
      .describe('replay commits after this many lines: smaller redoes less after a crash, larger is faster'),
  })
  .strict()
  .default({ path: './ouwatch.db', commitEvery: 1_000_000 });

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

export const kubernetesSourceSchema = z
  .object({
    namespace: z.string().min(1).default('openunison').describe("namespace of OpenUnison's pods"),
    labelSelector: z.string().min(1).default('application=openunison-orchestra').describe('label selector of the pods to follow'),
    container: z.string().min(1).default('openunison-orchestra').describe('container whose log is read'),
    context: z.string().min(1).optional().describe('kubeconfig context (default: the current one, or in-cluster)'),
    idleReconnectSeconds: z
      .number()
      .int()
      .min(10)
      .max(86_400)
      .default(300)
      .describe('re-open a follow stream silent this long: a dropped connection is otherwise invisible (resuming is exact)'),
  })
  .strict();

export const nodeSourceSchema = z
  .object({
    dir: z.string().min(1).default('/var/log/pods').describe("the kubelet's pod log directory (hostPath)"),
    namespace: z.string().min(1).default('openunison'),
    pod: z.string().min(1).default('openunison-orchestra-*').describe('pod name pattern (glob)'),
    container: z.string().min(1).default('openunison-orchestra'),
  })
  .strict();

const sourcesSection = z
  .object({
    files: z.array(z.string().min(1)).default([]).describe('log files or globs to tail (sidecar); include rotated names to never miss a line'),
    kubernetes: kubernetesSourceSchema.optional().describe('follow pod logs through the Kubernetes API (watcher)'),
    node: nodeSourceSchema.optional().describe('read the CRI log files on the node (DaemonSet)'),
    startAt: z.enum(['beginning', 'end']).default('beginning').describe('where to start an input that has no checkpoint'),
    pollIntervalMs: z.number().int().min(10).max(60_000).default(50).describe('how often a tailed file is checked for new bytes'),
    rescanIntervalMs: z.number().int().min(100).max(600_000).default(1000).describe('how often globs are expanded again (files that appear later)'),
    mergeWindowMs: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(100)
      .describe('how long a line may wait for a quieter input before being released out of time order'),
    commitIntervalMs: z.number().int().min(10).max(10_000).default(100).describe('how often state is committed while lines arrive'),
  })
  .strict()
  .prefault({});

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

const serverSection = z
  .object({
    listen: z
      .string()
      .refine((s) => parseListen(s) !== null, { message: 'expected HOST:PORT, [IPv6]:PORT or PORT (0-65535)' })
      .default('127.0.0.1:9464')
      .describe('address of /healthz, /readyz and /metrics'),
    logLevel: z.enum(LOG_LEVELS).default('info').describe('level of the JSON log on stderr'),
  })
  .strict()
  .prefault({});

export const configSchema = z
  .object({
    store: storeSection,
    parse: parseSection,
    detect: detectSection,
    sources: sourcesSection,
    server: serverSection,
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** The configuration from `file` (or the defaults when no file is given). */
export function loadConfig(file?: string): Config {
  if (file === undefined) return configSchema.parse({});
  return readYamlFile(file, configSchema);
}
