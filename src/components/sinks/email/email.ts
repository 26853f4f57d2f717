import type { Transporter } from 'nodemailer';
import type { EmailConfig } from './config.js';
import type { DeliveryResult, Deliverer } from '../../../core/delivery.js';
import type { OutboxItem } from '../../../core/delivery.js';
import { composeNoticeDigest } from './digest.js';
import type { Notice } from '../../../core/notices.js';

export type { EmailConfig };

/**
 * The email digest over SMTP (nodemailer). The outbox holds one item per alert; every item
 * due at once goes into one message, and all are marked delivered only when the server has
 * accepted it, so an SMTP outage delays the digest but loses nothing.
 */
export class EmailDeliverer implements Deliverer {
  readonly kind = 'email' as const;
  readonly batch = true;
  /** Made at the first delivery: nodemailer (35 modules) is loaded only by runs that send email. */
  private transport: Promise<Transporter> | null = null;

  constructor(
    private readonly cfg: EmailConfig,
    /** Names this installation's database in Message-IDs (two installations never share one). */
    private readonly instance: string,
  ) {}

  private async connect(): Promise<Transporter> {
    const { default: nodemailer } = await import('nodemailer');
    const cfg = this.cfg;
    const password = cfg.passwordEnv ? process.env[cfg.passwordEnv] : cfg.password;
    return nodemailer.createTransport({
      host: cfg.host,
      port: cfg.port,
      secure: cfg.security === 'tls',
      requireTLS: cfg.security === 'starttls',
      auth: cfg.user ? { user: cfg.user, pass: password ?? '' } : undefined,
      tls: { rejectUnauthorized: cfg.rejectUnauthorized },
      connectionTimeout: cfg.connectTimeoutMs,
      greetingTimeout: cfg.connectTimeoutMs,
      socketTimeout: cfg.timeoutMs,
    });
  }

  async deliver(_target: string, items: OutboxItem[]): Promise<DeliveryResult> {
    const d = composeNoticeDigest(items.map((i) => i.payload as Notice), this.cfg.subjectPrefix);
    try {
      const transport = await (this.transport ??= this.connect().catch((err: unknown) => {
        this.transport = null;
        throw err;
      }));
      await transport.sendMail({
        messageId: digestMessageId(items[0].batchId ?? items[0].id, this.instance, this.cfg.from),
        from: this.cfg.from,
        to: this.cfg.to,
        subject: d.subject,
        text: d.text,
        html: d.html,
        // base64 parts: long evidence lines and non-ASCII DNs arrive intact through any relay
        textEncoding: 'base64',
        attachments: [{ filename: d.attachment, content: d.json, contentType: 'application/json; charset=utf-8', contentTransferEncoding: 'base64' }],
      });
      return { ok: true };
    } catch (err) {
      const e = err as Error & { responseCode?: number; code?: string };
      // 5xx: the server refuses for good (bad recipient, bad credentials): retrying will not help
      const permanent = e.responseCode !== undefined && e.responseCode >= 500;
      return { ok: false, retryable: !permanent, error: `SMTP ${this.cfg.host}:${this.cfg.port}: ${e.code ? e.code + ' ' : ''}${e.message}` };
    }
  }

  close(): void {
    void this.transport?.then(
      (t) => t.close(),
      () => {},
    );
  }
}

/**
 * The Message-ID of a digest: the same for every attempt to send it (the worker resends the
 * same items together), so a copy that arrives twice after a timeout is recognisably one
 * message, and mail systems that de-duplicate by Message-ID drop it.
 */
export function digestMessageId(batchId: number, instance: string, from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'ouwatch.invalid';
  return `<ouwatch.digest.${batchId}.${instance}@${domain}>`;
}

/** Email items wait for the end of their digest window (windows aligned on the clock). */
export function digestDue(now: number, windowSeconds: number): number {
  const w = windowSeconds * 1000;
  return Math.floor(now / w) * w + w;
}
