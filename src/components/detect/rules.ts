import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { ConfigError, describeIssues, parseYamlWith } from '../../core/config-file.js';
import { EVENT_TYPES, type EventType } from '../../core/events.js';
import { SEVERITIES, type Severity } from '../../core/alerts.js';
import { cidrSchema } from '../../core/address-set.js';
import type { DetectorFactory } from './detector.js';
import { DETECTORS } from './detectors/index.js';
import { durationSchema } from '../../core/duration.js';

/**
 * Rule files: one YAML document per rule in the rules directory, named `<id>.yaml`. A rule
 * names its detector and parameters, the events it looks at, DN include/exclude patterns,
 * address exceptions, its severity, its suppression window and whether it may trigger a
 * response. Anything wrong stops start-up with the file, the field and what was expected.
 */

const ID = /^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$/;

const ruleFileSchema = z
  .object({
    id: z.string().regex(ID, 'expected lowercase letters, digits and dashes (like new-country)'),
    description: z.string().min(1, 'expected one sentence saying what the rule finds'),
    detector: z.string().min(1),
    enabled: z.boolean().default(true),
    severity: z.enum(SEVERITIES),
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

/** A validated rule, ready for the engine. */
export interface Rule {
  id: string;
  description: string;
  /** The file it came from (for messages). */
  file: string;
  detector: DetectorFactory;
  /** Validated by the detector's schema, defaults filled in. */
  params: unknown;
  enabled: boolean;
  severity: Severity;
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

export const RULE_EXTENSIONS = ['.yaml', '.yml'];

/** The rule files of a directory, sorted (a missing or empty directory is a ConfigError). */
export function ruleFiles(dir: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new ConfigError(dir, ['expected a directory of rule files (*.yaml)']);
    names = readdirSync(dir);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(dir, [`cannot read the rules directory: ${(err as Error).message}`]);
  }
  const files = names.filter((n) => RULE_EXTENSIONS.some((x) => n.endsWith(x)) && !n.startsWith('.')).sort();
  if (files.length === 0) throw new ConfigError(dir, ['no rule files (*.yaml) in this directory']);
  return files.map((n) => join(dir, n));
}

/** Every rule of `dir`; the first bad file stops it (ConfigError). */
export function loadRules(dir: string): Rule[] {
  const rules = ruleFiles(dir).map((f) => readRuleFile(f));
  const seen = new Map<string, string>();
  for (const r of rules) {
    const other = seen.get(r.id);
    if (other !== undefined) throw new ConfigError(r.file, [`id: '${r.id}' is already the id of ${other}; expected a unique id`]);
    seen.set(r.id, r.file);
  }
  return rules;
}

/** Every file of `dir` checked on its own, so `rules check` reports all problems at once. */
export function checkRules(dir: string): { rules: Rule[]; errors: ConfigError[] } {
  const rules: Rule[] = [];
  const errors: ConfigError[] = [];
  for (const file of ruleFiles(dir)) {
    try {
      rules.push(readRuleFile(file));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(err);
    }
  }
  return { rules, errors };
}

export function readRuleFile(file: string, paramOverrides?: Record<string, unknown>): Rule {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read: ${(err as Error).message}`]);
  }
  return parseRule(file, text, paramOverrides);
}

/** Validates one rule document; every problem of the file is reported together. */
export function parseRule(file: string, text: string, paramOverrides?: Record<string, unknown>): Rule {
  const raw = parseYamlWith(file, text, ruleFileSchema);
  const problems: string[] = [];
  const expectedId = basename(file).replace(/\.ya?ml$/, '');
  if (raw.id !== expectedId) problems.push(`id: expected '${expectedId}' (the file name without .yaml), got '${raw.id}'`);
  const detector = DETECTORS.get(raw.detector);
  if (detector === undefined) {
    problems.push(`detector: unknown detector '${raw.detector}'; expected one of ${[...DETECTORS.keys()].join(', ')}`);
    throw new ConfigError(file, problems);
  }
  const events = raw.events ?? [...detector.events];
  for (const t of events) {
    if (!detector.events.includes(t)) problems.push(`events: ${t} is not an event ${detector.name} can use; expected some of ${detector.events.join(', ')}`);
  }
  for (const t of detector.requiredEvents) {
    if (!events.includes(t)) problems.push(`events: ${detector.name} needs ${t}; expected ${detector.requiredEvents.join(', ')} in the list`);
  }
  const params = detector.parseParams({ ...(raw.params ?? {}), ...(paramOverrides ?? {}) });
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
    events: [...new Set(events)],
    dnInclude: raw.dns.include,
    dnExclude: raw.dns.exclude,
    ipExceptions: raw.ipExceptions,
    suppressMs: raw.suppress,
    respond: raw.respond,
    inactive: detector.inactive(params.data),
  };
}
