import type { Config } from '../config.js';
import type { Severity } from '../../core/alerts.js';
import type { ReviewStore } from '../../core/review-ports.js';
import { checkRules } from '../../components/detect/rules.js';
import { overlayDirOf, rulesDirOf } from '../rule-dirs.js';

const HOUR_MS = 3_600_000;

/** One rule as `ouwatch rules list --json` and `/api/rules` show it. */
export interface RuleRow {
  id: string;
  description: string;
  severity: Severity;
  detector: string;
  /** The parameters in words. */
  params: string;
  enabled: boolean;
  /** Why it can never fire with its parameters, or null. */
  inactive: string | null;
  respond: boolean;
  /** Alerts raised in the last 24 h and 7 d (log time against the wall clock), and in all. */
  alerts24h: number;
  alerts7d: number;
  alertsTotal: number;
  /** Log time of its latest alert, or null. */
  latest: string | null;
}

/** Every rule of the configured directory with its hit counts; invalid files are listed apart. */
export async function ruleTable(config: Config, store: ReviewStore | null, now: number): Promise<{ rules: RuleRow[]; invalid: string[]; dir: string }> {
  const dir = rulesDirOf(config);
  const { rules, errors } = checkRules(dir, overlayDirOf(config));
  const counts = store === null ? [] : await store.alerts.ruleCounts([now - 24 * HOUR_MS, now - 7 * 24 * HOUR_MS]);
  const byRule = new Map(counts.map((c) => [c.rule, c]));
  const rows: RuleRow[] = rules.map((r) => {
    const c = byRule.get(r.id);
    return {
      id: r.id,
      description: r.description,
      severity: r.severity,
      detector: r.detector.name,
      params: r.detector.describe(r.params),
      enabled: r.enabled,
      inactive: r.inactive,
      respond: r.respond,
      alerts24h: c?.since[0] ?? 0,
      alerts7d: c?.since[1] ?? 0,
      alertsTotal: c?.total ?? 0,
      latest: c?.latest ?? null,
    };
  });
  return { rules: rows, invalid: errors.map((e) => e.message), dir };
}
