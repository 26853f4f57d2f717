import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { noticeJson, type Notice } from '../../../core/notices.js';
import type { DeliveryResult, Deliverer } from '../../../core/delivery.js';
import type { OutboxItem } from '../../../core/delivery.js';

/**
 * The JSONL sink: each notice (an incident opened or escalated, or an alert) appended to a file as one JSON line (O_APPEND, synced before the
 * item counts as delivered), for log shippers and SIEM agents that tail files.
 */
export class JsonlDeliverer implements Deliverer {
  readonly kind = 'jsonl' as const;
  readonly batch = false;

  constructor(private readonly path: string) {}

  async deliver(_target: string, [item]: OutboxItem[]): Promise<DeliveryResult> {
    const line = JSON.stringify(noticeJson(item.payload as Notice)) + '\n';
    try {
      await mkdir(dirname(this.path), { recursive: true });
      // Alerts carry DNs and evidence: created 0600 (a mode is reduced by the umask, never widened).
      const fh = await open(this.path, 'a', 0o600);
      try {
        await fh.appendFile(line, 'utf8');
        await fh.datasync();
      } finally {
        await fh.close();
      }
      return { ok: true };
    } catch (err) {
      return { ok: false, retryable: true, error: `append to ${this.path}: ${(err as Error).message}` };
    }
  }
}
