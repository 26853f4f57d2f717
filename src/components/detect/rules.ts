import { existsSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import * as z from 'zod';
import { cidrSchema } from '../../core/address-set.js';
import { SEVERITIES, type Severity } from '../../core/alerts.js';
import { ConfigError, describeIssues, PARSE_ONCE } from '../../core/config-file.js';
import { durationSchema } from '../../core/duration.js';
import { EVENT_TYPES, type EventType } from '../../core/events.js';
import { yaml } from '../../core/yaml.js';
import type { DetectorFactory } from './detector.js';
import { DETECTORS } from './detectors/index.js';
import { prebuiltDocument, prevalidated } from './rule-documents.js';
import { ruleFiles, ruleIdOf } from './rule-files.js';

/**
 * Rule files: one YAML document per rule, named `<id>.yaml`. A rule names its detector and
 * parameters, the events it looks at, DN include/exclude patterns, address exceptions, its
 * severity and risk, whether it pages at once, its suppression window and whether it may
 * trigger a response. An overlay directory (`rules.d`) adds rules and changes shipped ones by
 * id: a file there with the id of a shipped rule patches it (only the fields it gives; `params`
 * and `dns` field by field), or replaces it with `replace: true`. Anything wrong stops start-up
 * with the file, the field and what was expected.
 */

const ID = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;

function buildRuleFileSchema() {
  return z
    .object({
      id: z.string().regex(ID, 'expected lowercase letters, digits and dashes (like new-country)'),
      description: z.string().min(1, 'expected one sentence saying what the rule finds'),
      detector: z.string().min(1),
      enabled: z.boolean().default(true),
      severity: z.enum(SEVERITIES),
      risk: z.number().int().min(0).max(1000).optional().describe('what one alert adds to its user’s (or network’s) risk'),
      page: z.boolean().default(false).describe('opens an incident at once, whatever the risk'),
      quarantine: z.boolean().optional().describe('an address whose event raised this (medium or worse) is not learnt until the alert is closed as benign'),
      events: z.array(z.enum(EVENT_TYPES)).min(1).optional(),
      params: z.record(z.string(), z.unknown()).nullish(),
      dns: z
        .object({
          include: z.array(z.string().min(1)).default([]),
          exclude: z.array(z.string().min(1)).default([]),
        })
        .strict()
        .default({ include: [], exclude: [] }),
      ipExceptions: z.array(cidrSchema).default([]),
      suppress: durationSchema.prefault('24h'),
      respond: z.boolean().default(false),
    })
    .strict();
}

let ruleFileSchemaBuilt: ReturnType<typeof buildRuleFileSchema> | undefined;

/** Built on first use: a start takes its shipped rules as the build validated them (rule-documents.ts). */
function ruleFileSchema(): ReturnType<typeof buildRuleFileSchema> {
  return (ruleFileSchemaBuilt ??= buildRuleFileSchema());
}

/** A rule file's fields, validated, defaults filled in. */
type RuleFields = z.output<ReturnType<typeof buildRuleFileSchema>>;

/** Default risk by severity, when a rule does not say. */
const RISK_BY_SEVERITY: Record<Severity, number> = { low: 5, medium: 25, high: 40, critical: 100 };

/** A validated rule, ready for the engine. */
export interface Rule {
  id: string;
  description: string;
  /** The file it came from, and the overlay that changed it (for messages). */
  file: string;
  detector: DetectorFactory;
  /** Validated by the detector's schema, defaults filled in. */
  params: unknown;
  enabled: boolean;
  severity: Severity;
  risk: number;
  page: boolean;
  quarantine: boolean;
  events: EventType[];
  dnInclude: string[];
  dnExclude: string[];
  ipExceptions: string[];
  /** A repeat of (rule, DN, address) within this long after the alert is counted on it. */
  suppressMs: number;
  /** May trigger an automatic response (EndSession) when the respond stage is on. */
  respond: boolean;
  /** Why the rule can never fire with its parameters, or null. */
  inactive: string | null;
}

/** Every rule of `dir`, with the overlays of `overlayDir` applied; the first bad file stops it. */
export function loadRules(dir: string, overlayDir: string | null = null): Rule[] {
  const { rules, errors } = checkRules(dir, overlayDir);
  if (errors.length > 0) throw errors[0];
  return rules;
}

/** A rule's document after its overlays, and where it came from (for a fixture's param overrides). */
export interface RuleDocument {
  file: string;
  doc: Record<string, unknown>;
}

/** Every file checked on its own, so `rules check` reports all problems at once. */
export function checkRules(dir: string, overlayDir: string | null = null): { rules: Rule[]; errors: ConfigError[]; docs: Map<string, RuleDocument> } {
  const errors: ConfigError[] = [];
  const docs = new Map<string, RuleDocument>();
  for (const file of ruleFiles(dir)) {
    try {
      const doc = readDocument(file);
      const id = String(doc.id ?? '');
      const other = docs.get(id);
      if (other !== undefined) throw new ConfigError(file, [`id: '${id}' is already the id of ${other.file}; expected a unique id`]);
      docs.set(id, { file, doc });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(err);
    }
  }
  if (overlayDir !== null && existsSync(overlayDir)) {
    for (const file of ruleFiles(overlayDir, true)) {
      try {
        const overlay = readDocument(file);
        const id = String(overlay.id ?? ruleIdOf(file));
        const base = docs.get(id);
        if (base === undefined || overlay.replace === true) {
          const { replace: _replace, ...doc } = overlay;
          docs.set(id, { file, doc });
        } else {
          const { replace: _replace, ...patch } = overlay;
          docs.set(id, { file: `${base.file} (patched by ${file})`, doc: merge(base.doc, patch) });
        }
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        errors.push(err);
      }
    }
  }
  const rules: Rule[] = [];
  for (const [id, { file, doc }] of docs) {
    try {
      rules.push(parseRule(file, doc, undefined, id));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(err);
    }
  }
  return { rules, errors, docs };
}

export function readRuleFile(file: string, paramOverrides?: Record<string, unknown>): Rule {
  return parseRule(file, readDocument(file), paramOverrides);
}

function readDocument(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read: ${(err as Error).message}`]);
  }
  const value = prebuiltDocument(text) ?? parseRuleYaml(file, text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(file, ['(top level): expected a mapping of rule fields']);
  return value as Record<string, unknown>;
}

/** A rule file's YAML as a value; a syntax error names the file. */
export function parseRuleYaml(file: string, text: string): unknown {
  const doc = yaml().parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map((e) => `YAML syntax: ${e.message.split('\n')[0]}`));
  return doc.toJS();
}

/** `patch` over `base`: `params` and `dns` field by field, everything else replaced. */
function merge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const b = base[k];
    if ((k === 'params' || k === 'dns') && isPlain(b) && isPlain(v)) out[k] = { ...b, ...v };
    else out[k] = v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates one rule document; every problem of the file is reported together. */
export function parseRule(file: string, doc: Record<string, unknown>, paramOverrides?: Record<string, unknown>, expectedId?: string): Rule {
  const pre = paramOverrides === undefined ? prevalidated(doc) : undefined;
  let raw: RuleFields;
  if (pre !== undefined) raw = pre.fields as RuleFields;
  else {
    const parsed = ruleFileSchema().safeParse(doc, PARSE_ONCE);
    if (!parsed.success) throw new ConfigError(file, describeIssues(parsed.error.issues));
    raw = parsed.data;
  }
  const problems: string[] = [];
  const wantId = expectedId ?? ruleIdOf(file);
  if (raw.id !== wantId) problems.push(`id: expected '${wantId}' (the file name without .yaml), got '${raw.id}'`);
  const detector = DETECTORS.get(raw.detector);
  if (detector === undefined) {
    problems.push(`detector: unknown detector '${raw.detector}'; expected one of ${[...DETECTORS.keys()].join(', ')}`);
    throw new ConfigError(file, problems);
  }
  if (raw.events === undefined && detector.events.length === EVENT_TYPES.length) {
    problems.push(`events: expected the event types the ${detector.name} detector should count (for example [AuFail])`);
  }
  const events = raw.events ?? [...detector.events];
  for (const t of events) {
    if (!detector.events.includes(t)) problems.push(`events: ${t} is not an event ${detector.name} can use; expected some of ${detector.events.join(', ')}`);
  }
  for (const t of detector.requiredEvents) {
    if (!events.includes(t)) problems.push(`events: ${detector.name} needs ${t}; expected ${detector.requiredEvents.join(', ')} in the list`);
  }
  const params = pre !== undefined ? { success: true as const, data: pre.params } : detector.parseParams({ ...(raw.params ?? {}), ...(paramOverrides ?? {}) });
  if (!params.success) {
    problems.push(...describeIssues(params.error.issues.map((i) => ({ ...i, path: ['params', ...i.path] }))));
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
  return {
    id: raw.id,
    description: raw.description,
    file,
    detector,
    params: params.data,
    enabled: raw.enabled,
    severity: raw.severity,
    risk: raw.risk ?? RISK_BY_SEVERITY[raw.severity],
    page: raw.page,
    quarantine: raw.quarantine ?? true,
    events: [...new Set(events)],
    dnInclude: raw.dns.include,
    dnExclude: raw.dns.exclude,
    ipExceptions: raw.ipExceptions,
    suppressMs: raw.suppress,
    respond: raw.respond,
    inactive: detector.inactive(params.data),
  };
}

/**
 * What validating a shipped rule's document gives, as JSON for the build to keep
 * (rule-documents.ts, prevalidated), or null when it is not valid, or its validated value
 * would not come back the same from JSON: such a rule is validated at every start.
 */
export function prevalidate(doc: Record<string, unknown>): string | null {
  const fields = ruleFileSchema().safeParse(doc, PARSE_ONCE);
  if (!fields.success) return null;
  const detector = DETECTORS.get(fields.data.detector);
  if (detector === undefined) return null;
  const params = detector.parseParams(fields.data.params ?? {});
  if (!params.success) return null;
  const json = JSON.stringify({ fields: fields.data, params: params.data });
  return isDeepStrictEqual(JSON.parse(json), { fields: fields.data, params: params.data }) ? json : null;
}
