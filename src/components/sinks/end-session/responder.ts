import picomatch from 'picomatch';
import type { RespondConfig } from './config.js';
import type { AlertResponse, ResponseMode, StoredAlert } from '../../../core/alerts.js';
import type { GuardName } from '../../../core/actions.js';
import { GUARDS } from '../../../core/actions.js';
import { isUserDn } from '../../../core/events.js';
import { dnSha1 } from '../../../core/identity.js';
import type { CommitEffects, CommitHook } from '../../../core/ports.js';
import type { Log } from '../../../core/log.js';
import { Guards } from './guards.js';
import type { EndSessionTarget } from './manifest.js';
import { endSessionNameForAlert } from './names.js';

/**
 * The automatic response, as a pipeline CommitHook: in the commit, each newly raised alert
 * whose rule asks for it passes the guards, and the planned action is recorded and queued in
 * the outbox (or recorded as held), all written in the commit's transaction. Nothing is called
 * here: the outbox worker carries actions out after the commit, so a crash can neither lose
 * nor half-do one.
 */

export type { RespondConfig };

/** The outbox payload of an end-session action. */
export interface EndSessionPayload {
  mode: ResponseMode;
  manifestDir: string | null;
  target: EndSessionTarget;
}

export interface ResponderOptions {
  config: RespondConfig;
  log: Log;
  now?: () => number;
  /** Wakes the delivery worker once the commit is done. */
  nudge?: () => void;
}

export const BREAKER_RULE = 'response-budget-exceeded';

/** Held actions logged one by one per guard before the log only samples them. */
const HELD_LOGGED = 20;

export class Responder {
  readonly counters = {
    /** Alerts whose rule asked for a response. */
    requested: 0,
    planned: 0,
    queued: 0,
    held: Object.fromEntries(GUARDS.map((g) => [g, 0])) as Record<GuardName, number>,
    breakerOpened: 0,
  };
  private readonly guards: Guards;
  private readonly routes: Array<{ match: (s: string) => boolean; context: string | null; namespace: string | null }>;
  private readonly now: () => number;

  constructor(private readonly o: ResponderOptions) {
    this.guards = new Guards(o.config.guards);
    this.routes = o.config.routes.map((r) => ({
      match: picomatch(r.source, { bash: true, dot: true }),
      context: r.context ?? null,
      namespace: r.namespace ?? null,
    }));
    this.now = o.now ?? Date.now;
  }

  get mode(): ResponseMode {
    return this.o.config.mode;
  }

  /**
   * The CommitHook. It may append the breaker's alert to `raised` (stored, notified, printed).
   * `plan`: one action per alert that asks for a response and per incident that may reach
   * `incidentRisk`, one more for the breaker, and the cooldown of each of their DNs.
   */
  readonly hook: CommitHook = {
    plan: (raised, incidents) => {
      if (this.mode === 'off') return { actions: 0, dns: [], since: null };
      const dns = raised.filter((a) => isUserDn(a.dn) && this.guards.requested(a)).map((a) => a.dn!);
      const threshold = this.o.config.incidentRisk;
      if (threshold !== null) for (const i of [...incidents.opened, ...incidents.escalated]) if (i.dn !== null && isUserDn(i.dn) && i.risk >= threshold) dns.push(i.dn);
      if (dns.length === 0) return { actions: 0, dns: [], since: null };
      // The budget counts the hour before now (the guards' clock); a little earlier covers the commit's own duration.
      return { actions: dns.length + 1, dns: [...new Set(dns)], since: this.now() - 2 * 3_600_000 };
    },
    run: (raised, _updated, incidents, effects) => {
      if (this.mode === 'off') return;
      const candidates = raised.slice();
      const answered = new Set<string>();
      let queued = false;
      for (const alert of candidates) {
        if (!isUserDn(alert.dn) || !this.guards.requested(alert)) continue;
        this.counters.requested++;
        answered.add(alert.dn);
        if (this.respondTo(alert as StoredAlert & { dn: string }, raised, effects)) queued = true;
      }
      const threshold = this.o.config.incidentRisk;
      if (threshold !== null) {
        const byId = new Map(raised.map((a) => [a.id, a] as const));
        for (const i of [...incidents.opened, ...incidents.escalated]) {
          if (i.dn === null || !isUserDn(i.dn) || i.risk < threshold || answered.has(i.dn) || this.incidentsAnswered.has(i.id)) continue;
          // The incident's newest alert in this commit is what the action is recorded against.
          let trigger: StoredAlert | undefined;
          for (let k = i.alertIds.length - 1; k >= 0 && trigger === undefined; k--) trigger = byId.get(i.alertIds[k]);
          if (trigger === undefined) continue;
          this.incidentsAnswered.add(i.id);
          if (this.incidentsAnswered.size > 10_000) this.incidentsAnswered.delete(this.incidentsAnswered.values().next().value as string);
          answered.add(i.dn);
          this.counters.requested++;
          // Judged at the incident's severity (the guards' minimum applies to it), recorded on the alert.
          const asIncident = { ...trigger, dn: i.dn, severity: i.severity };
          if (this.respondTo(asIncident, raised, effects, `${trigger.rule} (incident ${i.id}, risk ${i.risk})`)) queued = true;
          trigger.response = asIncident.response;
        }
      }
      if (queued) this.o.nudge?.();
    },
  };

  /** Incidents already answered by `incidentRisk` (an escalation does not act twice). */
  private readonly incidentsAnswered = new Set<string>();

  /** Records (and queues) the response to one alert; true when something was queued. */
  private respondTo(alert: StoredAlert & { dn: string }, raised: StoredAlert[], effects: CommitEffects, by: string = alert.rule): boolean {
    const now = this.now();
    const mode = this.mode;
    const config = this.o.config;
    const target = this.targetFor(alert);
    const verdict = this.guards.check(alert, now, effects.actions);
    const base = {
      action: 'end-session' as const,
      alertId: alert.id,
      byKind: 'rule' as const,
      by,
      mode,
      dn: alert.dn,
      dnSha1: target.dnSha1,
      name: target.name,
      namespace: target.namespace,
      context: target.context,
    };
    if (!verdict.ok) {
      const action = effects.recordAction({ ...base, status: 'held', guard: verdict.guard, reason: verdict.reason }, now);
      const times = ++this.counters.held[verdict.guard];
      // a replay of an archive can hold thousands back (stale): every one is recorded, the log says it once in a while
      if (times <= HELD_LOGGED || times % 1000 === 0) {
        const more = times === HELD_LOGGED ? ` (further actions held by the ${verdict.guard} guard are recorded but logged only every 1000th: 'ouwatch actions list --status held')` : '';
        this.o.log.warn(`response to alert ${alert.id} (${alert.rule}) held back by the ${verdict.guard} guard: ${verdict.reason}${more}`, { action: action.id, dn: alert.dn });
      }
      this.setResponse(alert, { action: 'end-session', mode, name: target.name, status: `held:${verdict.guard}` }, effects);
      if (verdict.opensBreaker) this.openBreaker(alert, verdict.opensBreaker, raised, now, effects);
      return false;
    }
    const status = mode === 'dry-run' ? 'planned' : 'queued';
    const action = effects.recordAction({ ...base, status }, now);
    const payload: EndSessionPayload = { mode, manifestDir: config.manifestDir ?? null, target };
    effects.enqueue(
      { kind: 'end-session', target: mode, alertId: alert.id, actionId: action.id, payload, dueAt: now, expiresAt: now + config.expireMinutes * 60_000 },
      now,
    );
    this.counters[status]++;
    this.setResponse(alert, { action: 'end-session', mode, name: target.name, status }, effects);
    return true;
  }

  /** The cluster and namespace of the logs that showed the session (first matching route). */
  private targetFor(alert: StoredAlert & { dn: string }): EndSessionTarget {
    const cfg = this.o.config;
    const origin = alert.evidence[0]?.source.replace(/:\d+$/, '') ?? '';
    const route = this.routes.find((r) => r.match(origin));
    return {
      dn: alert.dn,
      dnSha1: alert.dnSha1 ?? dnSha1(alert.dn),
      name: endSessionNameForAlert(alert.id, alert.dn),
      namespace: route?.namespace ?? cfg.namespace,
      context: route?.context ?? cfg.context ?? null,
      alertId: alert.id,
    };
  }

  private setResponse(alert: StoredAlert, r: AlertResponse, effects: CommitEffects): void {
    alert.response = r;
    effects.setResponse(alert.id, r);
  }

  /** Latches the breaker (until a person resets it) and raises a critical alert saying so. */
  private openBreaker(trigger: StoredAlert, b: { count: number; budget: number }, raised: StoredAlert[], now: number, effects: CommitEffects): void {
    const action = effects.recordAction(
      {
        action: 'breaker-open',
        alertId: trigger.id,
        byKind: 'ouwatch',
        by: 'budget',
        mode: this.mode,
        status: 'done',
        reason: `${b.count} automatic actions in the last hour reached the budget of ${b.budget} per hour`,
      },
      now,
    );
    this.counters.breakerOpened++;
    const time = new Date(now).toISOString();
    const alert: StoredAlert = {
      id: `breaker-${action.id}`,
      rule: BREAKER_RULE,
      severity: 'critical',
      time,
      dn: null,
      dnSha1: null,
      ip: null,
      country: null,
      reason:
        `Automatic responses stopped: ${b.count} EndSession actions${this.mode === 'apply' ? '' : ` (${this.mode}: nothing was called)`} in the last hour reached the budget of ${b.budget}; ` +
        `the response to alert ${trigger.id} and every later one are held until a person reviews them and runs 'ouwatch actions reset-breaker'.`,
      evidence: [{ source: `ouwatch:actions/${action.id}`, line: `breaker-open after ${b.count} actions within 1 h (budget ${b.budget}), triggered by alert ${trigger.id} (${trigger.rule})` }],
      risk: 0,
      evidenceTotal: 1,
      status: 'open',
      response: null,
      count: 1,
      lastTime: time,
      respond: false,
    };
    effects.raise(alert);
    raised.push(alert);
    this.o.log.error(`response breaker opened: ${alert.reason}`, { action: action.id, alert: alert.id });
  }
}
