import type { ActionStatus } from '../../../core/actions.js';
import type { ResponseMode } from '../../../core/alerts.js';
import type { DeliveryResult, Deliverer } from '../../../core/delivery.js';
import type { ActionRepository } from '../../../core/ports.js';
import type { AlertResponses } from '../../../core/ports.js';
import type { OutboxItem } from '../../../core/delivery.js';
import type { Log } from '../../../core/log.js';
import { carryOut, type EndSessionDeps } from './end-session.js';
import { redactUrls } from '../../../core/redact.js';
import type { EndSessionPayload } from './responder.js';

/**
 * Carries out queued end-session actions for the outbox worker and keeps the action record
 * and the alert's `response` up to date with every attempt.
 */
export class EndSessionDeliverer implements Deliverer {
  readonly kind = 'end-session' as const;
  readonly batch = false;

  constructor(
    private readonly deps: EndSessionDeps & {
      actions: ActionRepository;
      alertResponses: AlertResponses;
      log: Log;
      /** The configured mode now: an operator who turns responses down also stops what is queued. */
      mode: ResponseMode;
    },
  ) {}

  async deliver(_target: string, [item]: OutboxItem[]): Promise<DeliveryResult> {
    const p = item.payload as EndSessionPayload;
    const now = this.deps.mode;
    if (now === 'off' || (p.mode === 'apply' && now !== 'apply') || (p.mode === 'manifest' && now !== 'manifest')) {
      return { ok: false, retryable: false, error: `not carried out: respond.mode is now ${now} (it was ${p.mode} when the action was queued)` };
    }
    const action = item.actionId === null ? null : await this.deps.actions.get(item.actionId);
    const out = await carryOut(p.mode, p.target, action?.steps ?? [], this.deps);
    const status: ActionStatus = out.status === 'retry' ? 'retrying' : out.status;
    // An API error may quote a URL (a proxy's, with a token): the action record keeps it redacted.
    const error = out.error === null ? null : redactUrls(out.error);
    if (item.actionId !== null) await this.deps.actions.update(item.actionId, { status, steps: out.steps, error, attempts: item.attempts }, this.deps.now());
    if (out.status !== 'retry') await this.respond(item, p, status);
    const who = `alert ${item.alertId ?? '-'} (action ${item.actionId ?? '-'})`;
    if (out.status === 'done') this.deps.log.info(`${who}: ${out.summary}`, { dn: p.target.dn });
    if (out.status === 'failed') this.deps.log.error(`${who}: ending the sessions failed: ${out.summary}`, { dn: p.target.dn });
    if (out.status === 'retry') return { ok: false, retryable: true, error: out.error ?? out.summary };
    if (out.status === 'failed') return { ok: false, retryable: false, error: out.error ?? out.summary };
    return { ok: true };
  }

  /** Expired or failed for good: the action says so too. */
  async failed(item: OutboxItem, error: string): Promise<void> {
    if (item.actionId === null) return;
    const now = this.deps.now();
    const action = await this.deps.actions.get(item.actionId);
    if (action && action.status !== 'failed') await this.deps.actions.update(item.actionId, { status: 'failed', error }, now);
    await this.respond(item, item.payload as EndSessionPayload, 'failed');
  }

  private async respond(item: OutboxItem, p: EndSessionPayload, status: ActionStatus): Promise<void> {
    if (item.alertId !== null) await this.deps.alertResponses.set(item.alertId, { action: 'end-session', mode: p.mode, name: p.target.name, status });
  }
}
