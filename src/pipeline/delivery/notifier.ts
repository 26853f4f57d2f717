import type { NotifyConfig } from './config.js';
import { severityRank, toAlertJson, type Severity, type StoredAlert } from '../../core/alerts.js';
import type { CommitEffects, CommitHook, IncidentChanges } from '../../core/ports.js';
import { incidentNotice, noticeSeverity, type Notice } from '../../core/notices.js';
import type { StoredIncident } from '../../core/incidents.js';
import { digestDue } from '../../components/sinks/email/email.js';
import { webhookName } from '../../components/sinks/webhook/webhook.js';
import { BREAKER_RULE } from '../../components/sinks/end-session/responder.js';

export type { NotifyConfig };

interface Sink {
  kind: 'email' | 'webhook' | 'jsonl';
  target: string;
  minSeverity: Severity;
}

/**
 * Notifications as a pipeline CommitHook, written in the transaction that stores what they
 * are about: by default (`notify.on: incidents`) each incident opened, or whose severity rose,
 * at or above a sink's minimum severity becomes one outbox item per sink, carrying the alerts
 * that made the change; with `notify.on: alerts`, each newly raised alert does. Repeats folded
 * into an open alert are never notified again.
 * Runs after the responder's hook, so the alert carries its response (and the breaker's
 * alert, if one was raised, is notified too).
 */
export class Notifier {
  readonly counters = { queued: { email: 0, webhook: 0, jsonl: 0 } };
  private readonly sinks: Sink[] = [];

  constructor(
    private readonly cfg: NotifyConfig,
    private readonly now: () => number = Date.now,
    private readonly nudge?: () => void,
  ) {
    if (cfg.email) this.sinks.push({ kind: 'email', target: 'email', minSeverity: cfg.email.minSeverity });
    cfg.webhooks.forEach((w, i) => this.sinks.push({ kind: 'webhook', target: webhookName(w, i), minSeverity: w.minSeverity }));
    if (cfg.jsonl) this.sinks.push({ kind: 'jsonl', target: 'jsonl', minSeverity: cfg.jsonl.minSeverity });
  }

  readonly hook: CommitHook = { run: (raised, _updated, incidents, effects) => this.notify(raised, incidents, effects) };

  private notify(raised: StoredAlert[], incidents: IncidentChanges, effects: CommitEffects): void {
    if (this.sinks.length === 0) return;
    const now = this.now();
    const notices: Array<{ notice: Notice; alertId: string }> = [];
    if (this.cfg.on === 'alerts') {
      for (const a of raised) notices.push({ notice: toAlertJson(a), alertId: a.id });
    } else {
      // The incident's alerts raised in this commit, by id: a storm's commit opens thousands of
      // incidents among tens of thousands of alerts, and a scan per incident would be quadratic.
      const byId = new Map(raised.map((a) => [a.id, a] as const));
      const of = (i: StoredIncident) => i.alertIds.flatMap((id) => byId.get(id) ?? []);
      for (const i of incidents.opened) notices.push({ notice: incidentNotice('opened', i, of(i), i.alertCount), alertId: i.alertIds[i.alertIds.length - 1] });
      for (const i of incidents.escalated) notices.push({ notice: incidentNotice('escalated', i, of(i), i.alertCount), alertId: i.alertIds[i.alertIds.length - 1] });
      // ouwatch's own alarm (the response budget's breaker) belongs to no incident: always said.
      for (const a of raised) if (a.rule === BREAKER_RULE) notices.push({ notice: toAlertJson(a), alertId: a.id });
    }
    if (notices.length === 0) return;
    const expiresAt = now + this.cfg.expireMinutes * 60_000;
    let queued = false;
    for (const { notice, alertId } of notices) {
      const severity = noticeSeverity(notice);
      for (const s of this.sinks) {
        if (severityRank(severity) < severityRank(s.minSeverity)) continue;
        const dueAt = s.kind === 'email' ? digestDue(now, this.cfg.email!.windowSeconds) : now;
        effects.enqueue({ kind: s.kind, target: s.target, alertId, actionId: null, payload: notice, dueAt, expiresAt }, now);
        this.counters.queued[s.kind]++;
        queued = true;
      }
    }
    if (queued) this.nudge?.();
  }
}
