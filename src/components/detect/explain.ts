import type { Severity } from '../../core/alerts.js';
import type { LogEvent } from '../../core/log-event.js';
import type { User } from '../history/user.js';
import type { Finding } from './detector.js';
import type { IncidentTracker } from './incidents.js';
import type { RuleRunner } from './rule-runner.js';
import type { Rule } from './rules.js';
import { alertId, type AlertTracker } from './tracker.js';

/** How one rule judged one event, for `ouwatch explain`. */
export interface RuleVerdict {
  rule: string;
  detector: string;
  severity: Severity;
  risk: number;
  outcome: 'fires' | 'repeat' | 'quiet' | 'excluded' | 'not-reached' | 'disabled' | 'off';
  notes: string[];
  /** For `fires`: the alert it would raise; for `repeat`: the open alert it would count on. */
  alert: { id: string; reason: string; count?: number; severity: Severity; risk: number } | null;
}

/** The parts of the engine an explanation reads. */
export interface ExplainSetting {
  /** Every rule, the disabled and inactive ones too. */
  rules: readonly Rule[];
  runners: readonly RuleRunner[];
  /** Why the global allowlist covers the event, or null. */
  allowlisted: string | null;
  tracker: AlertTracker;
  incidents: IncidentTracker;
  /** Summed risk that opens an incident. */
  threshold: number;
}

/**
 * How every rule judges `e` against the current state, without recording anything. It moves
 * detectors' windows like a real event would (see DetectionEngine.explain).
 */
export function explainEvent(e: LogEvent, user: User | null, s: ExplainSetting): RuleVerdict[] {
  const out: RuleVerdict[] = [];
  const byId = new Map(s.runners.map((r) => [r.rule.id, r]));
  for (const rule of s.rules) {
    const v: RuleVerdict = { rule: rule.id, detector: rule.detector.name, severity: rule.severity, risk: rule.risk, outcome: 'quiet', notes: [], alert: null };
    out.push(v);
    const runner = byId.get(rule.id);
    if (!rule.enabled) {
      v.outcome = 'disabled';
      v.notes.push('enabled: false in its rule file');
      continue;
    }
    if (rule.inactive !== null || runner === undefined) {
      v.outcome = 'off';
      v.notes.push(rule.inactive ?? 'not running');
      continue;
    }
    if (!rule.events.includes(e.typeName)) {
      v.outcome = 'not-reached';
      v.notes.push(`looks at ${rule.events.join(', ')}`);
      continue;
    }
    const why = s.allowlisted ?? runner.whyNot(e);
    if (why !== null) {
      v.outcome = 'excluded';
      v.notes.push(why);
      continue;
    }
    const f: Finding | null = runner.detector.check(e, user, (note) => v.notes.push(note));
    if (f === null) continue;
    const severity = f.severity ?? rule.severity;
    const risk = f.risk ?? rule.risk;
    const open = s.tracker.suppressing(rule, f, e.ts);
    if (open !== null) {
      v.outcome = 'repeat';
      const same = f.suppressKey === undefined ? '(rule, DN, address)' : `(rule, DN, ${f.suppressKey})`;
      v.notes.push(`same ${same} as open alert ${open.id} raised ${open.time}: counted on it (suppression window ${rule.suppressMs / 3_600_000} h)`);
      v.alert = { id: open.id, reason: f.reason(), count: open.count + 1, severity: open.severity, risk: open.risk };
      continue;
    }
    v.outcome = 'fires';
    v.alert = { id: alertId(rule.id, f.dn, f.ip, e.ts, e.raw()), reason: f.reason(), severity, risk };
    const net = f.dn === null ? e.address?.net ?? f.ip : null;
    const incident = s.incidents.openFor(f.dn, net);
    const before = s.incidents.riskOf(f.dn, net, e.ts);
    const threshold = s.threshold;
    if (incident !== null) v.notes.push(`risk ${risk}: joins open incident ${incident.id} (risk ${incident.risk} so far)`);
    else if (rule.page) v.notes.push(`risk ${risk}: the rule pages, so it opens an incident at once`);
    else if (before + risk >= threshold) v.notes.push(`risk ${risk}: with ${before} already in the window it reaches ${before + risk} of ${threshold} and opens an incident`);
    else v.notes.push(`risk ${risk}: ${before + risk} of the ${threshold} that open an incident for ${f.dn ?? net} within the window`);
  }
  return out;
}
