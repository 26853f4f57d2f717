import type { Command } from 'commander';
import { resolveConfig } from '../app/config.js';
import { OUTBOX_KINDS, OUTBOX_STATUSES, listOutbox, retryOutbox, type OutboxView } from '../app/outbox.js';
import type { OutboxKind } from '../core/actions.js';
import type { OutboxStatus } from '../core/delivery.js';
import { quote } from '../core/terminal-text.js';
import { Out, UsageError, colours } from './common.js';
import { DEFAULT_DB } from './options.js';

interface ListFlags {
  db: string;
  status: string;
  kind?: string;
  limit: string;
  json?: boolean;
}

/** `ouwatch outbox list|retry`: queued, delivered and failed deliveries; failed ones requeued by hand. */
export function registerOutbox(program: Command): void {
  const outbox = program.command('outbox').description('deliveries (EndSession actions, email, webhooks, JSONL): list them, requeue failed ones');

  outbox
    .command('list', { isDefault: true })
    .description('outbox items, newest first (default: pending and failed)')
    .option('--db <path|url>', 'SQLite database file or postgres://user@host:port/database', DEFAULT_DB)
    .option('--status <statuses>', `${OUTBOX_STATUSES.join(', ')} (comma-separated) or all`, 'pending,failed')
    .option('--kind <kind>', `only this kind (${OUTBOX_KINDS.join(', ')})`)
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'one JSON object per line')
    .action(async (flags: ListFlags) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit expects a positive whole number, got '${flags.limit}'`);
      let statuses: OutboxStatus[] | undefined;
      if (flags.status !== 'all') {
        statuses = flags.status.split(',').map((s) => s.trim()).filter(Boolean) as OutboxStatus[];
        for (const s of statuses) if (!OUTBOX_STATUSES.includes(s)) throw new UsageError(`--status expects ${OUTBOX_STATUSES.join(', ')} or all, got '${s}'`);
      }
      if (flags.kind !== undefined && !OUTBOX_KINDS.includes(flags.kind as OutboxKind)) {
        throw new UsageError(`--kind expects one of ${OUTBOX_KINDS.join(', ')}, got '${flags.kind}'`);
      }
      const items = await listOutbox(resolveConfig({ db: flags.db }), { statuses, kind: flags.kind as OutboxKind | undefined, limit });
      const out = new Out();
      if (flags.json) for (const it of items) out.line(JSON.stringify(it));
      else if (items.length === 0) process.stderr.write(`no outbox items match in ${flags.db} (status ${flags.status})\n`);
      else out.line(table(items));
      await out.flush();
    });

  outbox
    .command('retry')
    .description('requeue failed items once their cause is fixed: attempts start over, a new expiry (a running daemon delivers them)')
    .argument('<ids...>', 'outbox item ids (ouwatch outbox list --status failed)')
    .option('--db <path|url>', 'SQLite database file or postgres://user@host:port/database', DEFAULT_DB)
    .option('--config <file>', 'configuration file (YAML): the expiry of requeued items')
    .action(async (ids: string[], flags: { db: string; config?: string }) => {
      const numbers = ids.map((id) => {
        const n = Number(id);
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`outbox ids are positive whole numbers, got '${id}'`);
        return n;
      });
      const outcomes = await retryOutbox(resolveConfig(flags), numbers);
      let refused = 0;
      for (const o of outcomes) {
        if (o.requeued) process.stdout.write(`outbox item ${o.id} (${o.kind}) requeued: due now, expires ${o.expiresAt}\n`);
        else {
          refused++;
          process.stderr.write(`ouwatch: outbox item ${o.id} not requeued: ${o.why}\n`);
        }
      }
      if (refused > 0) process.exitCode = 2;
    });
}

function table(items: OutboxView[]): string {
  const c = colours(process.stdout);
  const lines = [c.dim(`${'id'.padStart(6)}  ${'kind'.padEnd(11)} ${'target'.padEnd(16)} ${'status'.padEnd(9)} ${'tries'.padStart(5)}  ${'created'.padEnd(24)}  alert / last error`)];
  for (const it of items) {
    const status = it.status === 'failed' ? c.red(it.status.padEnd(9)) : it.status === 'pending' ? c.yellow(it.status.padEnd(9)) : it.status.padEnd(9);
    const detail = [it.alertId === null ? null : `alert ${it.alertId}`, it.lastError === null ? null : quote(it.lastError)].filter(Boolean).join('  ');
    lines.push(`${String(it.id).padStart(6)}  ${it.kind.padEnd(11)} ${it.target.slice(0, 16).padEnd(16)} ${status} ${String(it.attempts).padStart(5)}  ${it.createdAt.padEnd(24)}  ${detail}`);
  }
  return lines.join('\n');
}
