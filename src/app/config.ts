import * as z from 'zod';
import { PARSE_ONCE, readYamlFile } from '../core/config-file.js';
import { prebuiltDefaults } from './config-defaults.js';
import { parseListen } from '../core/listen.js';
import { detectSchema } from '../components/detect/config.js';
import { durationText } from '../core/duration.js';
import { respondSchema } from '../components/sinks/end-session/config.js';
import { kubernetesSourceSchema } from '../components/sources/kubernetes/config.js';
import { nodeSourceSchema } from '../components/sources/node/config.js';
import { notifySchema } from '../pipeline/delivery/config.js';
import { consoleSchema } from './console/config.js';

export { ConfigError, describeIssues, parseYamlWith, PARSE_ONCE, readYamlFile } from '../core/config-file.js';
export { kubernetesSourceSchema, nodeSourceSchema };

/**
 * The configuration file (YAML), validated with zod. Every section has defaults, so an empty
 * file (or none) is a valid configuration; flags override the file. An invalid file stops
 * start-up with the file, the field and what was expected (`ConfigError`).
 *
 * The schemas are built on first use (`z.lazy`, sections as functions): a command run without
 * a file takes the defaults the build computed (`config-defaults.ts`) and never builds them.
 *
 * Components own their sections (their `config.ts`, each schema inside `z.lazy`); this file
 * composes them. Add fields there, always with a default and a `.describe()`.
 */

/** A duration (`90d`), or null: keep forever. */
const keepFor = (text: string, what: string) => durationText.nullable().default(text).describe(what);

const retentionSection = () =>
  z
    .object({
      events: keepFor('90d', "per-user history (addresses, countries, sessions) not seen for this long, in log time; null keeps it"),
      alerts: keepFor('365d', 'closed alerts last seen this long ago (log time), and delivered notifications and finished actions this old (wall clock); null keeps them'),
      incidents: keepFor('365d', 'closed incidents last seen this long ago (log time); null keeps them'),
      every: durationText.default('1h').describe('how often retention runs: each this much log time (an hour at least) in replay and daemon, and of wall-clock time too in the daemon (ouwatch prune applies it once)'),
    })
    .strict()
    .prefault({})
    .describe('what the store deletes, by age; open and acknowledged alerts and incidents are never deleted');

const storeSection = () =>
  z
    .object({
      path: z.string().min(1).default('./ouwatch.db').describe('SQLite database file (or, as with --db, a postgres:// URL)'),
      url: z
        .string()
        .refine((u) => /^postgres(ql)?:\/\//i.test(u), { message: 'expected postgres://user@host:port/database' })
        .refine((u) => !hasPassword(u), { message: 'must not carry a password: give it in store.passwordEnv or store.passwordFile' })
        .optional()
        .describe('PostgreSQL instead of SQLite: postgres://user@host:port/database (several processes, one history)'),
      passwordEnv: z.string().min(1).optional().describe("environment variable holding the PostgreSQL password (else libpq's PGPASSWORD or ~/.pgpass)"),
      passwordFile: z.string().min(1).optional().describe('file holding the PostgreSQL password (a mounted Secret)'),
      commitEvery: z
        .number()
        .int()
        .min(1000)
        .default(1_000_000)
        .describe('replay commits after this many lines: smaller redoes less after a crash, larger is faster'),
      retention: retentionSection(),
    })
    .strict()
    .prefault({});

const parseSection = () =>
  z
    .object({
      timeZone: z.string().default('UTC').describe("IANA zone the logs were written in (OpenUnison's log4j layout writes no zone; a stamp with its own zone ignores this)"),
      maxLineBytes: z.number().int().min(1024).default(1024 * 1024).describe('longer lines are counted as oversized and skipped'),
    })
    .strict()
    .prefault({});

const sourcesSection = () =>
  z
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
      shared: z
        .boolean()
        .default(false)
        .describe('PostgreSQL: one of several readers (a sidecar per replica) of one database; each stages what it reads, the writer lease holder detects over all of them'),
      reader: z.string().min(1).optional().describe("this reader's name in a shared database (default: the host name, the pod's name in Kubernetes)"),
    })
    .strict()
    .prefault({});

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

const serverSection = () =>
  z
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

const outboxSection = () =>
  z
    .object({
      baseDelayMs: z.number().int().min(1).default(1_000).describe('first retry delay; doubles each attempt, with jitter'),
      maxDelayMs: z.number().int().min(1).default(5 * 60_000),
      pollMs: z.number().int().min(10).default(1_000).describe('how often the worker looks for due items'),
      replayDrainSeconds: z.number().min(0).default(15).describe('at the end of a replay, deliver what is due for at most this long'),
      keepDeliveredDays: z.number().min(0).default(7),
    })
    .strict()
    .prefault({});

export const configSchema = z.lazy(() =>
  z
    .object({
      store: storeSection(),
      parse: parseSection(),
      detect: detectSchema,
      sources: sourcesSection(),
      server: serverSection(),
      respond: respondSchema.prefault({}),
      notify: notifySchema,
      outbox: outboxSection(),
      console: consoleSchema,
    })
    .strict(),
);

export type Config = z.infer<typeof configSchema>;

/**
 * The settings every command shares, resolved once: the configuration file (if any), then
 * `--db` over `store.path`. Commands with more flags apply them on the result.
 */
export function resolveConfig(flags: { config?: string; db?: string }): Config {
  const config = loadConfig(flags.config);
  if (flags.db !== undefined) applyDbFlag(config, flags.db);
  return config;
}

/**
 * `--db` over the file: a path selects SQLite, a postgres:// URL PostgreSQL. Either way
 * `store.path` holds what names the store in messages (the URL has no password).
 */
export function applyDbFlag(config: Config, db: string): void {
  config.store.path = db;
  config.store.url = undefined;
}

/** The configuration from `file` (or the defaults when no file is given). */
export function loadConfig(file?: string): Config {
  const config = file === undefined ? ((prebuiltDefaults() as Config | null) ?? configSchema.parse({}, PARSE_ONCE)) : readYamlFile(file, configSchema);
  // store.url names the store from here on (messages print store.path).
  if (config.store.url !== undefined) config.store.path = config.store.url;
  return config;
}

/** Whether a URL carries a password (`user:secret@`). */
export function hasPassword(url: string): boolean {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url);
  return m !== null && m[1].includes(':');
}
