import type { Command } from 'commander';
import { ACTION_STATUSES, confirmationState, confirmationText, type ActionRecord } from '../core/actions.js';
import { listActions, resetBreaker, showAction } from '../app/review/actions.js';
import { flagName } from '../app/review/query.js';
import { withReviewStore } from '../app/review/store.js';
import { withStoreWriter } from '../app/store-access.js';
import { stderrLog } from '../core/log.js';
import { printable, quote } from '../core/terminal-text.js';
import { colours } from './common.js';
import { printPage } from './listing.js';
import { byOption, configOf, listOptions, outputOptions, person, storeOptions, type ListFlags, type StoreFlags } from './options.js';

export function registerActions(program: Command): void {
  const actions = program.command('actions').description('recorded responses: what, for which alert, by whom, when, and the API answers');

  listOptions(actions.command('list', { isDefault: true }).description('recorded actions, newest first'), ACTION_STATUSES.join(', '), 'all', { severity: false, rule: false, ip: false }).action(
    async (flags: ListFlags) => {
      const config = configOf(flags);
      await withReviewStore(config, async (store) => {
        const page = await listActions(store, flags, { now: Date.now(), name: flagName, knownRules: [] });
        await printPage(page, flags, { noun: ['action', 'actions'], json: (a) => a, csv: ACTION_CSV, table: formatList, none: `no actions recorded in ${config.store.path}${flags.status || flags.dn || flags.since || flags.until ? ' match' : ''}` });
      });
    },
  );

  outputOptions(storeOptions(actions.command('show').description('one action with every API answer').argument('<id>', 'action id')), false).action(
    async (id: string, flags: StoreFlags & { json?: boolean }) => {
      await withReviewStore(configOf(flags), async (store) => {
        const a = await showAction(store, id);
        process.stdout.write(flags.json ? JSON.stringify(a) + '\n' : formatOne(a));
      });
    },
  );

  byOption(outputOptions(storeOptions(actions.command('reset-breaker').description('close the response circuit breaker after review: automatic actions resume')), false)).action(
    async (flags: StoreFlags & { by?: string; json?: boolean }) => {
      const config = configOf(flags);
      // Resetting the breaker changes what the writer does: it takes the writer lease.
      await withStoreWriter(config, 'actions reset-breaker', stderrLog(), () =>
        withReviewStore(
          config,
          async (store) => {
            const by = person(flags.by);
            const a = await resetBreaker(store, by, Date.now());
            if (flags.json) process.stdout.write(JSON.stringify(a) + '\n');
            else if (a === null) process.stderr.write('ouwatch: the response breaker is not open: nothing to reset\n');
            else process.stdout.write(`response breaker reset (action ${a.id}, by ${printable(by)}): automatic actions resume\n`);
          },
          { write: true },
        ),
      );
    },
  );
}

const ACTION_CSV: Array<[string, (a: ActionRecord) => string | number | null]> = [
  ['id', (a) => a.id],
  ['time', (a) => a.time],
  ['action', (a) => a.action],
  ['mode', (a) => a.mode],
  ['status', (a) => a.status],
  ['byKind', (a) => a.byKind],
  ['by', (a) => a.by],
  ['alertId', (a) => a.alertId],
  ['dn', (a) => a.dn],
  ['name', (a) => a.name],
  ['namespace', (a) => a.namespace],
  ['context', (a) => a.context],
  ['guard', (a) => a.guard],
  ['reason', (a) => a.reason],
  ['error', (a) => a.error],
  ['confirmed', (a) => a.confirmed?.time ?? null],
];

function formatList(list: ActionRecord[], now = Date.now()): string[] {
  const c = colours(process.stdout);
  const lines = [c.dim(`${'id'.padStart(5)}  ${'time'.padEnd(24)}  ${'action'.padEnd(13)} ${'mode'.padEnd(8)} ${'status'.padEnd(8)} ${'by'.padEnd(26)} dn / detail`)];
  for (const a of list) {
    const status = a.status === 'failed' ? c.red(a.status.padEnd(8)) : a.status === 'held' ? c.yellow(a.status.padEnd(8)) : a.status.padEnd(8);
    const detail = a.status === 'held' ? `held by ${a.guard}: ${a.reason ?? ''}` : a.error ?? a.name ?? a.reason ?? '';
    const state = confirmationState(a, now);
    const logout = state === 'confirmed' ? ` (logged out ${a.confirmed!.time})` : state === 'unconfirmed' ? c.yellow(' (no logout seen)') : '';
    lines.push(
      `${String(a.id).padStart(5)}  ${a.time.padEnd(24)}  ${a.action.padEnd(13)} ${a.mode.padEnd(8)} ${status} ${printable(`${a.byKind}:${a.by}`).slice(0, 26).padEnd(26)} ${a.dn === null ? '' : quote(a.dn) + ' '}${printable(detail)}${logout}`,
    );
  }
  return lines;
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
  const logout = confirmationText(a, Date.now());
  if (logout !== null) row('logout', printable(logout));
  if (a.confirmed !== null) row('', quote(a.confirmed.line));
  if (a.steps.length) lines.push('  steps:');
  for (const s of a.steps) lines.push(`    ${s.at}  ${s.step.padEnd(21)} ${s.code ?? '-'}  ${s.outcome.padEnd(14)} ${quote(s.message)}`);
  return lines.join('\n') + '\n';
}
