import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { parseListen } from './server/listen.js';
import { RESPONSE_MODES, SEVERITIES } from './domain.js';

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
  .prefault({});

const parseSection = z
  .object({
    timeZone: z.string().default('UTC').describe('IANA zone the logs were written in (log4j writes no zone)'),
    maxLineBytes: z.number().int().min(1024).default(1024 * 1024).describe('longer lines are counted as oversized and skipped'),
  })
  .strict()
  .prefault({});

const detectSection = z
  .object({
    rulesDir: z.string().min(1).optional().describe('directory of rule YAML files (default: the rules shipped with ouwatch)'),
    maxEvidence: z.number().int().min(1).max(1000).default(10).describe('log lines kept as evidence per alert'),
  })
  .strict()
  .prefault({});

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

const severity = z.enum(SEVERITIES);
const rfc1123Label = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected a Kubernetes namespace (RFC 1123 label: lowercase letters, digits, -)');
const noControl = (what: string) => z.string().min(1).regex(/^[^\u0000-\u001f\u007f]+$/, `expected ${what} without control characters`);
/** The name of an environment variable that holds a secret; it must be set when the config loads. */
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
  .refine((n) => (process.env[n] ?? '') !== '', { error: (i) => `environment variable ${String(i.input)} is not set (or empty)` });

const respondSection = z
  .object({
    mode: z.enum(RESPONSE_MODES).default('dry-run').describe('off | dry-run (record and print, call nothing) | manifest (write YAML to manifestDir) | apply'),
    manifestDir: z.string().min(1).optional().describe('manifest mode: directory (a GitOps working copy) for EndSession YAML'),
    namespace: rfc1123Label.default('openunison').describe("OpenUnison's namespace"),
    context: noControl('a kubeconfig context').optional().describe('kubeconfig context (default: the current one)'),
    kubeconfig: z.string().min(1).optional().describe('kubeconfig file (default: KUBECONFIG, then in-cluster, then ~/.kube/config)'),
    routes: z
      .array(
        z
          .object({
            source: z.string().min(1).describe('glob on the path of the alert evidence (file or stream name)'),
            context: noControl('a kubeconfig context').optional(),
            namespace: rfc1123Label.optional(),
          })
          .strict(),
      )
      .default([])
      .describe('multi-cluster: send the action to the cluster whose logs showed the session; first match wins'),
    requestTimeoutMs: z.number().int().min(100).default(10_000).describe('per Kubernetes API call'),
    expireMinutes: z.number().positive().default(60).describe('an action not carried out by then fails (visibly)'),
    guards: z
      .object({
        requireRuleOptIn: z.boolean().default(true).describe('only alerts of rules whose YAML asks for a response'),
        minSeverity: severity.default('high').describe('only alerts at or above this severity'),
        neverEnd: z
          .object({
            dns: z.array(z.string().min(1)).default([]).describe('DNs never ended automatically (break-glass administrators); case-insensitive'),
            patterns: z.array(z.string().min(1)).default([]).describe('DN globs (picomatch, * matches any text) never ended automatically'),
          })
          .strict()
          .prefault({}),
        cooldownMinutes: z.number().min(0).default(60).describe('at most one action per DN in this time (0 = off)'),
        budgetPerHour: z.number().int().min(1).nullable().default(10).describe('automatic actions per hour; past it the breaker opens (null = off)'),
        maxAlertAgeMinutes: z.number().positive().nullable().default(60).describe('never act on alerts whose log time is older (replays of archives); null = off'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.mode === 'manifest' && !r.manifestDir) ctx.addIssue({ code: 'custom', path: ['manifestDir'], message: 'expected a directory when mode is manifest' });
  });

const emailSection = z
  .object({
    host: z.string().min(1).describe('SMTP server'),
    port: z.number().int().min(1).max(65535).default(587),
    security: z.enum(['starttls', 'tls', 'none']).default('starttls').describe('starttls (required), tls (implicit, port 465), none (STARTTLS only if offered)'),
    user: z.string().min(1).optional(),
    password: z.string().min(1).optional().describe('prefer passwordEnv'),
    passwordEnv: envName.optional().describe('environment variable holding the SMTP password'),
    rejectUnauthorized: z.boolean().default(true).describe("verify the server's certificate"),
    from: noControl('an address').regex(/@/, 'expected an email address'),
    to: z.array(noControl('an address').regex(/@/, 'expected an email address')).min(1),
    minSeverity: severity.default('high'),
    windowSeconds: z.number().min(1).default(60).describe('one digest per window'),
    subjectPrefix: noControl('a subject prefix').default('[ouwatch]'),
    timeoutMs: z.number().int().min(100).default(30_000),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (e.user && !e.password && !e.passwordEnv) ctx.addIssue({ code: 'custom', path: ['passwordEnv'], message: 'expected password or passwordEnv when user is set' });
    if (!e.user && (e.password || e.passwordEnv)) ctx.addIssue({ code: 'custom', path: ['user'], message: 'expected user when a password is set' });
  });

const webhookSection = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected letters, digits, _ . -').optional().describe('shown in logs and the outbox (default webhook-N)'),
    url: z.url({ protocol: /^https?$/ }),
    secret: z.string().min(16).optional().describe('HMAC-SHA256 key (prefer secretEnv)'),
    secretEnv: envName.optional().describe('environment variable holding the HMAC-SHA256 key'),
    format: z.enum(['json', 'slack']).default('json').describe('json: the alert; slack: a Slack-compatible {text} body'),
    minSeverity: severity.default('medium'),
    timeoutMs: z.number().int().min(100).default(5_000),
  })
  .strict()
  .superRefine((w, ctx) => {
    if (w.format === 'json' && !w.secret && !w.secretEnv) ctx.addIssue({ code: 'custom', path: ['secretEnv'], message: 'expected secret or secretEnv: json webhooks are signed' });
  });

const notifySection = z
  .object({
    email: emailSection.optional().describe('off unless set'),
    webhooks: z
      .array(webhookSection)
      .default([])
      .superRefine((ws, ctx) => {
        const seen = new Set<string>();
        ws.forEach((w, i) => {
          const name = w.name ?? `webhook-${i + 1}`;
          if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `expected a unique name, '${name}' is used twice` });
          seen.add(name);
        });
      }),
    jsonl: z
      .object({ path: z.string().min(1), minSeverity: severity.default('low') })
      .strict()
      .optional()
      .describe('append each alert as one JSON line'),
    expireMinutes: z.number().positive().default(24 * 60).describe('a notification not delivered by then fails (visibly)'),
  })
  .strict()
  .prefault({});

const outboxSection = z
  .object({
    baseDelayMs: z.number().int().min(1).default(1_000).describe('first retry delay; doubles each attempt, with jitter'),
    maxDelayMs: z.number().int().min(1).default(5 * 60_000),
    pollMs: z.number().int().min(10).default(1_000).describe('how often the worker looks for due items'),
    replayDrainSeconds: z.number().min(0).default(15).describe('at the end of a replay, deliver what is due for at most this long'),
    keepDeliveredDays: z.number().min(0).default(7),
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
    respond: respondSection.prefault({}),
    notify: notifySection,
    outbox: outboxSection,
  })
  .strict();

export type Config = z.infer<typeof configSchema>;

/** The configuration from `file` (or the defaults when no file is given). */
export function loadConfig(file?: string): Config {
  if (file === undefined) return configSchema.parse({});
  return readYamlFile(file, configSchema);
}
