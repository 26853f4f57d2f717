import type { Command } from 'commander';
import { ACTION_STATUSES, type ActionRecord, type ActionStatus } from '../core/actions.js';
import { ActionStore } from '../store/sqlite/actions.js';
import { openDatabase } from '../store/sqlite/database.js';
import { quote } from '../core/terminal-text.js';
import { DEFAULT_DB, Out, UsageError, colours } from './common.js';
import { person } from './endsession.js';

interface ListFlags {
  db: string;
  json?: boolean;
  status?: string;
  dn?: string;
  limit: string;
}

export function registerActions(program: Command): void {
  const actions = program.command('actions').description('recorded responses: what, for which alert, by whom, when, and the API answers');

  actions
    .command('list', { isDefault: true })
    .description('recent actions, newest first')
    .option('--db <path>', 'SQLite database', DEFAULT_DB)
    .option('--json', 'one JSON object per line')
    .option('--status <status>', `only this status (${ACTION_STATUSES.join(', ')})`)
    .option('--dn <dn>', 'only actions for this DN (exact)')
    .option('--limit <n>', 'at most this many', '50')
    .action(async (flags: ListFlags) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit expects a positive whole number, got '${flags.limit}'`);
      if (flags.status !== undefined && !ACTION_STATUSES.includes(flags.status as ActionStatus)) {
        throw new UsageError(`--status expects one of ${ACTION_STATUSES.join(', ')}, got '${flags.status}'`);
      }
      const db = openDatabase(flags.db, { readonly: true });
      try {
        const list = new ActionStore(db).list({ status: flags.status as ActionStatus | undefined, dn: flags.dn, limit });
        const out = new Out();
        if (flags.json) for (const a of list) out.line(JSON.stringify(a));
        else out.line(formatList(list).trimEnd());
        await out.flush();
      } finally {
        db.close();
      }
    });

  actions
    .command('show')
    .description('one action with every API answer')
    .argument('<id>', 'action id')
    .option('--db <path>', 'SQLite database', DEFAULT_DB)
    .option('--json', 'print one JSON object')
    .action((id: string, flags: { db: string; json?: boolean }) => {
      const n = Number(id);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`action id must be a positive whole number, got '${id}'`);
      const db = openDatabase(flags.db, { readonly: true });
      try {
        const a = new ActionStore(db).get(n);
        if (a === null) throw new UsageError(`no action ${n} in ${flags.db}`);
        process.stdout.write(flags.json ? JSON.stringify(a) + '\n' : formatOne(a));
      } finally {
        db.close();
      }
    });

  actions
    .command('reset-breaker')
    .description('close the response circuit breaker after review: automatic actions resume')
    .option('--db <path>', 'SQLite database', DEFAULT_DB)
    .option('--by <name>', 'who is resetting it, for the record (default: $USER)')
    .action((flags: { db: string; by?: string }) => {
      const db = openDatabase(flags.db, { readonly: true });
      try {
        const store = new ActionStore(db);
        const open = store.breakerOpenedBy();
        if (open === null) {
          process.stderr.write('ouwatch: the response breaker is not open: nothing to reset\n');
          return;
        }
        const by = person(flags.by);
        const a = store.insert(
          {
            action: 'breaker-reset',
            alertId: open.alertId,
            byKind: 'person',
            by,
            mode: open.mode,
            status: 'done',
            reason: `breaker opened by action ${open.id} at ${open.time} reset by ${by}`,
          },
          Date.now(),
        );
        process.stdout.write(`response breaker reset (action ${a.id}, by ${by}): automatic actions resume\n`);
      } finally {
        db.close();
      }
    });
}

function formatList(list: ActionRecord[]): string {
  const c = colours(process.stdout);
  if (list.length === 0) return 'no actions recorded\n';
  const lines = [c.dim(`${'id'.padStart(5)}  ${'time'.padEnd(24)}  ${'action'.padEnd(13)} ${'mode'.padEnd(8)} ${'status'.padEnd(8)} ${'by'.padEnd(26)} dn / detail`)];
  for (const a of list) {
    const status = a.status === 'failed' ? c.red(a.status.padEnd(8)) : a.status === 'held' ? c.yellow(a.status.padEnd(8)) : a.status.padEnd(8);
    const detail = a.status === 'held' ? `held by ${a.guard}: ${a.reason ?? ''}` : a.error ?? a.name ?? a.reason ?? '';
    lines.push(
      `${String(a.id).padStart(5)}  ${a.time.padEnd(24)}  ${a.action.padEnd(13)} ${a.mode.padEnd(8)} ${status} ${`${a.byKind}:${a.by}`.slice(0, 26).padEnd(26)} ${a.dn === null ? '' : quote(a.dn) + ' '}${detail}`,
    );
  }
  return lines.join('\n') + '\n';
}

function formatOne(a: ActionRecord): string {
  const c = colours(process.stdout);
  const lines = [c.bold(`action ${a.id}: ${a.action} (${a.mode}) ${a.status}`)];
  const row = (k: string, v: string | number | null) => lines.push(`  ${k.padEnd(10)} ${v ?? '-'}`);
  row('by', `${a.byKind} ${quote(a.by)}`);
  row('alert', a.alertId === null ? null : quote(a.alertId));
  row('time', `${a.time} (updated ${a.updated})`);
  row('dn', a.dn === null ? null : quote(a.dn));
  row('dn sha1', a.dnSha1);
  row('object', a.name === null ? null : `EndSession ${a.namespace}/${a.name}`);
  row('context', a.context === null ? '(current)' : quote(a.context));
  if (a.guard) row('guard', a.guard);
  row('reason', a.reason === null ? null : quote(a.reason));
  row('attempts', a.attempts);
  if (a.error) row('error', quote(a.error));
  if (a.steps.length) lines.push('  steps:');
  for (const s of a.steps) lines.push(`    ${s.at}  ${s.step.padEnd(21)} ${s.code ?? '-'}  ${s.outcome.padEnd(14)} ${quote(s.message)}`);
  return lines.join('\n') + '\n';
}
