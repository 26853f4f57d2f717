import type { NotifyConfig } from './config.js';
import { severityRank, toAlertJson, type Severity, type StoredAlert } from '../../core/alerts.js';
import type { CommitEffects, CommitHook } from '../../core/ports.js';
import { digestDue } from '../../components/sinks/email/email.js';
import { webhookName } from '../../components/sinks/webhook/webhook.js';

export type { NotifyConfig };

interface Sink {
  kind: 'email' | 'webhook' | 'jsonl';
  target: string;
  minSeverity: Severity;
}

/**
 * Notifications as a pipeline CommitHook: each newly raised alert at or above a sink's
 * minimum severity becomes one outbox item per sink, written in the transaction that stores
 * the alert. Repeats folded into an open alert (`updated`) are not notified again.
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

  get enabled(): boolean {
    return this.sinks.length > 0;
  }

  readonly hook: CommitHook = { run: (raised, _updated, effects) => this.notify(raised, effects) };

  private notify(raised: StoredAlert[], effects: CommitEffects): void {
    if (this.sinks.length === 0 || raised.length === 0) return;
    const now = this.now();
    const expiresAt = now + this.cfg.expireMinutes * 60_000;
    let queued = false;
    for (const alert of raised) {
      const payload = toAlertJson(alert);
      for (const s of this.sinks) {
        if (severityRank(alert.severity) < severityRank(s.minSeverity)) continue;
        const dueAt = s.kind === 'email' ? digestDue(now, this.cfg.email!.windowSeconds) : now;
        effects.enqueue({ kind: s.kind, target: s.target, alertId: alert.id, actionId: null, payload, dueAt, expiresAt }, now);
        this.counters.queued[s.kind]++;
        queued = true;
      }
    }
    if (queued) this.nudge?.();
  }
}
