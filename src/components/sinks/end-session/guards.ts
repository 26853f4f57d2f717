import picomatch from 'picomatch';
import type { GuardConfig } from './config.js';
import type { ActionRecord, GuardName } from '../../../core/actions.js';
import type { StoredAlert } from '../../../core/alerts.js';
import { severityRank } from '../../../core/alerts.js';
import type { ActionLedger } from '../../../core/ports.js';

/**
 * The safety guards in front of every automatic action, all on by default. Each one that
 * holds an action back says which and why (the action is recorded as `held`). Times here are
 * the wall clock: they limit what ouwatch does now, whatever the log time of the alert.
 */

export type { GuardConfig };

export type Verdict =
  | { ok: true }
  | {
      ok: false;
      guard: GuardName;
      reason: string;
      /** Set when this verdict opens the circuit breaker (the budget was just reached). */
      opensBreaker?: { count: number; budget: number };
    };

const HOUR = 3_600_000;

export class Guards {
  private readonly exact: Set<string>;
  private readonly patterns: Array<{ pattern: string; match: (s: string) => boolean }>;

  constructor(
    private readonly cfg: GuardConfig,
    /** The ledger `check` reads when it is given none (outside a commit). */
    private readonly ledger: ActionLedger | null = null,
  ) {
    // Case-insensitive: missing a break-glass admin because of case would lock them out.
    this.exact = new Set(cfg.neverEnd.dns.map((d) => d.toLowerCase()));
    // bash: `*` also matches `/` (DNs are not paths); nocase as above.
    this.patterns = cfg.neverEnd.patterns.map((p) => ({ pattern: p, match: picomatch(p, { bash: true, nocase: true, dot: true }) }));
  }

  /** Whether the rule behind `alert` asked for a response (or the opt-in guard is off). */
  requested(alert: StoredAlert): boolean {
    return alert.respond || !this.cfg.requireRuleOptIn;
  }

  /** The never-end entry that protects `dn`, or null. */
  protectedBy(dn: string): string | null {
    if (this.exact.has(dn.toLowerCase())) return 'the never-end list';
    const hit = this.patterns.find((p) => p.match(dn));
    return hit ? `never-end pattern ${JSON.stringify(hit.pattern)}` : null;
  }

  /** `actions`: the action log as of the commit being made (the budget, cooldown and breaker). */
  check(alert: StoredAlert & { dn: string }, now: number, actions: ActionLedger | null = this.ledger): Verdict {
    const min = this.cfg.minSeverity;
    if (severityRank(alert.severity) < severityRank(min)) {
      return { ok: false, guard: 'min-severity', reason: `severity ${alert.severity} is below the minimum for a response (${min})` };
    }
    const protectedBy = this.protectedBy(alert.dn);
    if (protectedBy) return { ok: false, guard: 'never-end', reason: `the DN is protected by ${protectedBy} (break-glass)` };
    const maxAge = this.cfg.maxAlertAgeMinutes;
    const age = now - Date.parse(alert.time);
    // A log time ahead of the clock is not fresh: the archive's clock was skewed or its time
    // zone (--tz) is wrong, and the line may be hours or days old.
    const skew = this.cfg.maxFutureSkewMinutes;
    if (skew !== null && -age > skew * 60_000) {
      return {
        ok: false,
        guard: 'stale',
        reason: `the alert's log time is ${minutes(-age)} in the future (more than ${skew} min ahead of this clock): a skewed clock or a wrong time zone (--tz), so its age is unknown`,
      };
    }
    if (maxAge !== null && age > maxAge * 60_000) {
      return { ok: false, guard: 'stale', reason: `the alert's log time is ${minutes(age)} old (more than ${maxAge} min): its sessions are gone or it is a replay` };
    }
    if (actions === null) throw new Error('Guards.check needs the action ledger of the commit');
    const cooldown = this.cfg.cooldownMinutes;
    if (cooldown > 0) {
      const last = actions.lastEndSession(alert.dn);
      const since = last === null ? Infinity : now - Date.parse(last.time);
      if (last !== null && since < cooldown * 60_000) {
        return { ok: false, guard: 'cooldown', reason: `action ${last.id} ended this DN's sessions ${minutes(since)} ago (cooldown ${cooldown} min)` };
      }
    }
    const open = actions.breakerOpenedBy();
    if (open !== null) return { ok: false, guard: 'budget', reason: breakerReason(open) };
    const budget = this.cfg.budgetPerHour;
    if (budget !== null) {
      const count = actions.automaticSince(now - HOUR);
      if (count >= budget) {
        return {
          ok: false,
          guard: 'budget',
          reason: `${count} automatic actions in the last hour reached the budget of ${budget}: the breaker opens`,
          opensBreaker: { count, budget },
        };
      }
    }
    return { ok: true };
  }
}

function breakerReason(open: ActionRecord): string {
  return `the response breaker is open since ${open.time} (action ${open.id}); a person resets it with 'ouwatch actions reset-breaker'`;
}

function minutes(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (ms < 2 * HOUR) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / HOUR).toFixed(1)} h`;
}
