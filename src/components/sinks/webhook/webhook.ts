import { createHmac } from 'node:crypto';
import { webhookUrl, type WebhookConfig } from './config.js';
import { redactUrls } from '../../../core/redact.js';
import type { Alert } from '../../../core/alerts.js';
import { alertCountOf, isIncidentNotice, noticeJson, type IncidentNotice, type Notice } from '../../../core/notices.js';
import type { DeliveryResult, Deliverer } from '../../../core/delivery.js';
import type { OutboxItem } from '../../../core/delivery.js';
import { printable, quote } from '../../../core/terminal-text.js';

export type { WebhookConfig };

/**
 * Webhooks: each alert POSTed as JSON (the Alert contract) or as a Slack-compatible
 * `{text}` body. Signed requests carry
 *   X-Ouwatch-Timestamp: <unix seconds>
 *   X-Ouwatch-Signature-256: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
 *   X-Ouwatch-Delivery: <outbox id>  (the same on every retry: receivers de-duplicate on it)
 * The timestamp inside the signature lets a receiver refuse replayed requests.
 */

export const SIGNATURE_HEADER = 'x-ouwatch-signature-256';
export const TIMESTAMP_HEADER = 'x-ouwatch-timestamp';
export const DELIVERY_HEADER = 'x-ouwatch-delivery';

export function webhookName(w: WebhookConfig, index: number): string {
  return w.name ?? `webhook-${index + 1}`;
}

export function sign(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/**
 * Log values in a Slack message: controls, bidi overrides and separators shown as visible
 * escapes (the one terminal-text sanitizer), then Slack mrkdwn's &, < and > (they start
 * entities, links and mentions).
 */
function slackEscape(s: string): string {
  return printable(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackBody(a: Alert): { text: string } {
  const who = a.dn === null ? '' : ` for ${slackEscape(quote(a.dn))}`;
  const from = a.ip === null ? '' : ` from ${slackEscape(a.ip)}${a.country ? ` (${slackEscape(a.country)})` : ''}`;
  const resp = a.response ? `\nresponse: ${a.response.action} ${a.response.mode} ${slackEscape(a.response.status)}` : '';
  return { text: `*${a.severity.toUpperCase()}* \`${a.rule}\`${who}${from}\n${slackEscape(a.reason)}\nalert ${slackEscape(a.id)} at ${a.time}${resp}` };
}

export function slackIncidentBody(n: IncidentNotice): { text: string } {
  const i = n.incident;
  const count = alertCountOf(n);
  const who = i.dn !== null ? ` for ${slackEscape(quote(i.dn))}` : i.ip !== null ? ` from ${slackEscape(i.ip)}` : '';
  const lines = n.alerts.map((a) => `• *${a.severity}* \`${a.rule}\`: ${slackEscape(a.reason)}`);
  return {
    text:
      `*${i.severity.toUpperCase()}* incident ${n.change}${who}: risk ${i.risk}, ${count} alert${count === 1 ? '' : 's'} (${i.rules.map((r) => `\`${r}\``).join(', ')})\n` +
      (lines.length ? lines.join('\n') + '\n' : '') +
      `incident ${slackEscape(i.id)}, ${i.firstTime} to ${i.lastTime}`,
  };
}

export class WebhookDeliverer implements Deliverer {
  readonly kind = 'webhook' as const;
  readonly batch = false;
  private readonly hooks = new Map<string, { cfg: WebhookConfig; url: string; secret: string | null }>();

  constructor(
    webhooks: WebhookConfig[],
    private readonly now: () => number = Date.now,
  ) {
    webhooks.forEach((w, i) => {
      const secret = w.secretEnv ? (process.env[w.secretEnv] ?? null) : (w.secret ?? null);
      this.hooks.set(webhookName(w, i), { cfg: w, url: webhookUrl(w), secret });
    });
  }

  async deliver(target: string, [item]: OutboxItem[]): Promise<DeliveryResult> {
    const hook = this.hooks.get(target);
    if (hook === undefined) return { ok: false, retryable: false, error: `no webhook named ${target} is configured any more` };
    const notice = item.payload as Notice;
    const slack = hook.cfg.format === 'slack';
    const body = JSON.stringify(isIncidentNotice(notice) ? (slack ? slackIncidentBody(notice) : noticeJson(notice)) : slack ? slackBody(notice) : notice);
    const timestamp = String(Math.floor(this.now() / 1000));
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'ouwatch',
      [DELIVERY_HEADER]: String(item.id),
      [TIMESTAMP_HEADER]: timestamp,
    };
    if (hook.secret) headers[SIGNATURE_HEADER] = sign(hook.secret, timestamp, body);
    let res: Response;
    try {
      // no redirects: a signed alert goes to the configured URL or nowhere
      res = await fetch(hook.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(hook.cfg.timeoutMs) });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const detail = e.name === 'TimeoutError' ? `no answer within ${hook.cfg.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
      return { ok: false, retryable: true, error: redactUrls(`POST ${target}: ${detail}`) };
    }
    const answer = (await res.text().catch(() => '')).slice(0, 200);
    if (res.ok) return { ok: true };
    const retryable = res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500;
    const hint = res.status >= 300 && res.status < 400 ? ` (redirect to ${res.headers.get('location') ?? '?'}: configure the final URL)` : '';
    // The answer and a redirect's target may quote URLs with tokens: never stored or logged as they are.
    return { ok: false, retryable, error: redactUrls(`POST ${target}: HTTP ${res.status}${hint}${answer ? `: ${answer}` : ''}`) };
  }
}
