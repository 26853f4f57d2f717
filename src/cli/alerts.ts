import type { Command } from 'commander';
import { changeAlerts, listAlerts, showAlert, type AlertDetailJson, type AlertListJson, type StatusChange } from '../app/review/alerts.js';
import { flagName, type ListQuery } from '../app/review/query.js';
import { knownRuleIds } from '../app/review/rule-ids.js';
import { withReviewStore } from '../app/review/store.js';
import type { Config } from '../app/config.js';
import type { ReviewStore } from '../core/review-ports.js';
import { confirmationText } from '../core/actions.js';
import { printable } from '../core/terminal-text.js';
import { alertTableHeader, alertTableRow, paint, terminalWidth } from './alert-format.js';
import { colours, fmtInt } from './common.js';
import { printPage } from './listing.js';
import { byOption, configOf, listOptions, outputOptions, person, storeOptions, type ListFlags, type StoreFlags } from './options.js';

interface ChangeFlags extends StoreFlags {
  by?: string;
  comment?: string;
  benign?: boolean;
  json?: boolean;
}

/** The context a listing's flags are checked in (rule ids only when --rule is given). */
export async function reviewContext(config: Config, store: ReviewStore, q: ListQuery) {
  return { now: Date.now(), name: flagName, knownRules: q.rule === undefined ? [] : await knownRuleIds(config, store) };
}

export function registerAlerts(program: Command): void {
  const alerts = program.command('alerts').description('review alerts: list, show, acknowledge, close, reopen');

  listOptions(alerts.command('list', { isDefault: true }).description('alerts, newest first (default: the ones not closed)'), 'open, acknowledged, closed', 'open,acknowledged').action(
    async (flags: ListFlags) => {
      const config = configOf(flags);
      await withReviewStore(config, async (store) => {
        const page = await listAlerts(store, flags, await reviewContext(config, store, flags));
        const c = colours(process.stdout);
        const width = terminalWidth();
        await printPage(page, flags, {
          noun: ['alert', 'alerts'],
          json: (a) => a,
          csv: ALERT_CSV,
          table: (items) => [alertTableHeader(c), ...items.map((a) => alertTableRow(a, c, width))],
          none: `no alerts match in ${config.store.path}${flags.status === undefined ? ' (open and acknowledged; --status all for every one)' : ''}`,
        });
      });
    },
  );

  outputOptions(storeOptions(alerts.command('show').description('one alert: its evidence lines, responses and status history').argument('<id>', 'alert id (or an unambiguous prefix of it)')), false).action(
    async (id: string, flags: StoreFlags & { json?: boolean }) => {
      await withReviewStore(configOf(flags), async (store) => {
        const a = await showAlert(store, id);
        process.stdout.write(flags.json ? JSON.stringify(a) + '\n' : formatDetail(a));
      });
    },
  );

  const change = (name: StatusChange, verb: string, extra?: (cmd: Command) => Command) => {
    let cmd = alerts.command(name).description(`mark alerts ${verb}, recording who, when and why`).argument('<ids...>', 'alert ids (or unambiguous prefixes)');
    cmd = byOption(outputOptions(storeOptions(cmd), false)).option('--comment <text>', 'why');
    if (extra) cmd = extra(cmd);
    cmd.action(async (ids: string[], flags: ChangeFlags) => {
      await withReviewStore(configOf(flags), async (store) => {
        const by = person(flags.by);
        const results = await changeAlerts(store, ids, { change: name, by, comment: flags.comment ?? null, benign: flags.benign === true }, Date.now());
        if (flags.json) {
          for (const r of results) process.stdout.write(JSON.stringify(await showAlert(store, r.id)) + '\n');
          return;
        }
        const how = `${verb}${flags.benign ? ' as benign' : ''}`;
        for (const r of results) {
          const line = r.changed ? `alert ${r.id} (${r.rule}) ${how} by ${printable(by)}${flags.comment ? `: ${printable(flags.comment)}` : ''}` : `alert ${r.id} (${r.rule}) was already ${r.status}: unchanged`;
          process.stdout.write(line + '\n');
        }
      }, { write: true });
    });
  };
  change('ack', 'acknowledged');
  change('close', 'closed', (cmd) => cmd.option('--benign', 'closed as benign (a false positive): detection may learn its address and country'));
  change('reopen', 'reopened');
}

export const ALERT_CSV: Array<[string, (a: AlertListJson) => string | number | null]> = [
  ['id', (a) => a.id],
  ['rule', (a) => a.rule],
  ['severity', (a) => a.severity],
  ['status', (a) => a.status],
  ['time', (a) => a.time],
  ['lastTime', (a) => a.lastTime],
  ['count', (a) => a.count],
  ['dn', (a) => a.dn],
  ['dnSha1', (a) => a.dnSha1],
  ['ip', (a) => a.ip],
  ['country', (a) => a.country],
  ['reason', (a) => a.reason],
  ['evidenceLines', (a) => a.evidenceTotal],
  ['response', (a) => (a.response === null ? null : `${a.response.action} ${a.response.mode} ${a.response.status}`)],
];

function formatDetail(a: AlertDetailJson): string {
  const c = colours(process.stdout);
  const lines: string[] = [];
  lines.push(`${c.bold(a.id)}  ${paint(a.severity, c)(a.severity)}  ${a.rule}  [${a.status}${a.closedBenign ? ', benign' : ''}]`);
  lines.push(`  reason      ${printable(a.reason)}`);
  lines.push(`  time        ${a.time}${a.count > 1 ? `  (${fmtInt(a.count)} occurrences, the last at ${a.lastTime})` : ''}`);
  if (a.dn !== null) lines.push(`  dn          ${printable(a.dn)}`);
  if (a.dnSha1 !== null) lines.push(`  dn sha1     ${a.dnSha1}`);
  lines.push(`  address     ${a.ip ?? '-'}${a.country ? ` (${a.country})` : ''}`);
  lines.push(`  response    ${a.response ? `${a.response.action} ${a.response.mode} ${a.response.name}: ${a.response.status}` : a.respond ? 'eligible (none recorded)' : 'none (the rule does not ask for one)'}`);
  if (a.incidentIds.length) lines.push(`  incidents   ${a.incidentIds.join(', ')}`);
  if (a.userIncidentIds.length) lines.push(`  users' incidents on this address, within a day: ${a.userIncidentIds.join(', ')} (ouwatch incidents show ID)`);
  if (a.dn !== null) {
    lines.push(c.dim(printable(`  end the session: ouwatch endsession ${shellQuote(a.dn)}    history: ouwatch user ${shellQuote(a.dn)}`)));
  }
  lines.push('');
  const kept = a.evidence.length;
  lines.push(c.bold(`  evidence (${kept === a.evidenceTotal ? kept : `${kept} of ${fmtInt(a.evidenceTotal)} lines`})`));
  for (const ev of a.evidence) {
    lines.push(`    ${c.cyan(printable(ev.source))}`);
    lines.push(`      ${printable(ev.line)}`);
  }
  if (a.evidenceTotal > kept) lines.push(`    … ${fmtInt(a.evidenceTotal - kept)} more lines were not kept (raise detect.maxEvidence to keep more)`);
  if (a.actions.length) {
    lines.push('');
    lines.push(c.bold(`  responses (${a.actions.length})`));
    for (const x of a.actions) {
      lines.push(`    ${x.time}  ${x.action} ${x.mode} ${x.status}${x.guard ? ` (held by ${x.guard})` : ''}  by ${printable(x.by)}  (ouwatch actions show ${x.id})`);
      for (const s of x.steps) lines.push(`      ${s.at}  ${s.step} ${s.code ?? '-'} ${s.outcome}: ${printable(s.message)}`);
      const logout = confirmationText(x, Date.now());
      if (logout !== null) lines.push(`      ${printable(logout)}`);
    }
  }
  lines.push('');
  lines.push(c.bold('  history'));
  for (const h of a.history) lines.push(`    ${h.at}  ${h.status.padEnd(12)} by ${printable(h.by)}${h.comment ? `: ${printable(h.comment)}` : ''}`);
  return lines.join('\n') + '\n';
}

/** Single-quoted for a POSIX shell: a DN is data, never shell syntax. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
