import { existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as z from 'zod';
import { ConfigError, PARSE_ONCE, configSchema, readYamlFile } from './config.js';
import { SEVERITIES, type StoredAlert } from '../core/alerts.js';
import { errorsOnly, stderrLog } from '../core/log.js';
import { AlertStore } from '../store/sqlite/alerts.js';
import { checkRules, parseRule, type Rule } from '../components/detect/rules.js';
import { replayFiles } from './replay.js';
import { createRuntime } from './runtime.js';
import { warmUpIngestWorker } from './warm-up.js';

/**
 * `ouwatch rules test`: every rule against its fixtures. A rule's fixtures live in
 * `<fixtures>/<rule id>/`: each `<case>.log` beside a `<case>.expect.yaml` that lists exactly
 * the alerts the rule must raise on it (an empty list: it must stay quiet). Each case runs
 * through the real pipeline into a fresh in-memory database, with only that rule loaded.
 */

const expectedAlert = z
  .object({
    dn: z.string().nullable(),
    ip: z.string().nullable(),
    count: z.number().int().min(1).optional().describe('occurrences counted on the alert'),
    severity: z.enum(SEVERITIES).optional().describe('the severity the alert must have (a finding may lower its rule\'s)'),
    reason: z.string().optional().describe('text the reason must contain'),
  })
  .strict();

const expectFile = z
  .object({
    description: z.string().min(1),
    /** Overrides of the rule's params for this case (an allowlist for ip-not-allowed, say). */
    params: z.record(z.string(), z.unknown()).optional(),
    tz: z.string().default('UTC'),
    alerts: z.array(expectedAlert),
  })
  .strict();

export type ExpectedAlert = z.infer<typeof expectedAlert>;

export interface CaseResult {
  rule: string;
  name: string;
  description: string;
  log: string;
  passed: boolean;
  /** What differs from the expectation (empty when passed). */
  problems: string[];
  alerts: StoredAlert[];
}

export interface RuleTestReport {
  cases: CaseResult[];
  /** Rules without the fixtures they need (a firing case and a quiet case). */
  missing: Array<{ rule: string; problem: string }>;
}

/** Where the fixtures of a rules directory live: `fixtures/rules` beside it. */
export function defaultFixturesDir(rulesDir: string): string {
  return resolve(rulesDir, '..', 'fixtures', 'rules');
}

/**
 * Runs every rule (with the overlays of `overlayDir` applied, as a run would) against its
 * fixtures: `<fixturesDir>/<id>/`, or for a rule an overlay adds, `<overlayDir>/fixtures/<id>/`.
 */
export async function runRuleTests(rulesDir: string, fixturesDir = defaultFixturesDir(rulesDir), overlayDir: string | null = null): Promise<RuleTestReport> {
  const report: RuleTestReport = { cases: [], missing: [] };
  const cases: Case[] = [];
  const { rules, errors, docs } = checkRules(rulesDir, overlayDir);
  if (errors.length > 0) throw errors[0];
  for (const rule of rules) {
    const own = overlayDir === null ? null : join(overlayDir, 'fixtures', rule.id);
    const dir = own !== null && existsSync(own) ? own : join(fixturesDir, rule.id);
    const { file, doc } = docs.get(rule.id)!;
    const logs = existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith('.log')).sort() : [];
    if (logs.length === 0) {
      report.missing.push({ rule: rule.id, problem: `no fixtures in ${dir} (expected <case>.log with <case>.expect.yaml)` });
      continue;
    }
    let firing = 0;
    let quiet = 0;
    for (const log of logs) {
      const name = basename(log, '.log');
      const expectPath = join(dir, `${name}.expect.yaml`);
      if (!existsSync(expectPath)) throw new ConfigError(expectPath, ['missing: every fixture log needs its expectations beside it']);
      const expect = readYamlFile(expectPath, expectFile);
      if (expect.alerts.length > 0) firing++;
      else quiet++;
      const caseRule = expect.params ? parseRule(file, doc, expect.params, rule.id) : rule;
      cases.push({ rule: caseRule, name, expect, log: join(dir, log) });
    }
    if (firing === 0) report.missing.push({ rule: rule.id, problem: 'no fixture that must raise an alert' });
    if (quiet === 0) report.missing.push({ rule: rule.id, problem: 'no fixture that must stay quiet (alerts: [])' });
  }
  if (cases.length > 0) warmUpIngestWorker();
  // Each case's run releases the ingest thread to the next: one thread serves every case.
  for (const c of cases) report.cases.push(await runCase(c));
  return report;
}

interface Case {
  rule: Rule;
  name: string;
  expect: z.infer<typeof expectFile>;
  log: string;
}

async function runCase({ rule, name, expect, log }: Case): Promise<CaseResult> {
  const config = configSchema.parse({ store: { path: ':memory:' }, parse: { timeZone: expect.tz }, respond: { mode: 'off' } }, PARSE_ONCE);
  // A rule switched off by its file is still tested: the fixture says what it does when on.
  const runtime = await createRuntime(config, { rules: [{ ...rule, enabled: true }], log: errorsOnly(stderrLog()) });
  try {
    await replayFiles([log], runtime, { fromStart: true });
    const alerts = new AlertStore(runtime.db).list().reverse();
    const problems = compare(expect.alerts, alerts);
    if (rule.inactive !== null && expect.alerts.length > 0) problems.unshift(`the rule is off with these params: ${rule.inactive}`);
    return { rule: rule.id, name, description: expect.description, log, passed: problems.length === 0, problems, alerts };
  } finally {
    await runtime.close();
  }
}

/** Pairs expected and raised alerts one to one; whatever is left over is a problem. */
function compare(expected: ExpectedAlert[], actual: StoredAlert[]): string[] {
  const left = actual.slice();
  const problems: string[] = [];
  for (const want of expected) {
    const i = left.findIndex(
      (a) =>
        a.dn === want.dn &&
        a.ip === want.ip &&
        (want.count === undefined || a.count === want.count) &&
        (want.severity === undefined || a.severity === want.severity) &&
        (want.reason === undefined || a.reason.includes(want.reason)),
    );
    if (i >= 0) {
      left.splice(i, 1);
      continue;
    }
    const near = left.find((a) => a.dn === want.dn && a.ip === want.ip);
    const detail = near ? ` (raised one with count ${near.count}, severity ${near.severity} and reason: ${near.reason})` : '';
    problems.push(
      `missing alert for dn=${JSON.stringify(want.dn)} ip=${JSON.stringify(want.ip)}${want.count ? ` count=${want.count}` : ''}` +
        `${want.severity ? ` severity=${want.severity}` : ''}${want.reason ? ` reason containing ${JSON.stringify(want.reason)}` : ''}${detail}`,
    );
  }
  for (const a of left) problems.push(`unexpected alert for dn=${JSON.stringify(a.dn)} ip=${JSON.stringify(a.ip)} at ${a.time}: ${a.reason}`);
  return problems;
}

/** Every rule file checked on its own, with the overlays applied (for `rules check`). */
export { checkRules };
