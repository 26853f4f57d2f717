import type { Command } from 'commander';
import type { StatusChange } from '../app/review/alerts.js';
import { ADDRESS_ALERTS_SHOWN } from '../app/review/alerts.js';
import { changeIncidents, listIncidents, showIncident, type IncidentDetailJson } from '../app/review/incidents.js';
import { withReviewStore } from '../app/review/store.js';
import type { Incident } from '../core/incidents.js';
import { printable } from '../core/terminal-text.js';
import { paint, terminalWidth } from './alert-format.js';
import { reviewContext } from './alerts.js';
import { RULE_WIDTH, colours, fmtInt } from './common.js';
import { printPage } from './listing.js';
import { byOption, configOf, listOptions, outputOptions, person, storeOptions, type ListFlags, type StoreFlags } from './options.js';

export function registerIncidents(program: Command): void {
  const incidents = program.command('incidents').description("review incidents (a user's or a network's alerts grouped by risk): list, show, acknowledge, close, reopen");

  listOptions(incidents.command('list', { isDefault: true }).description('incidents, latest activity first (default: the ones not closed)'), 'open, acknowledged, closed', 'open,acknowledged').action(
    async (flags: ListFlags) => {
      const config = configOf(flags);
      await withReviewStore(config, async (store) => {
        const page = await listIncidents(store, flags, await reviewContext(config, store, flags));
        await printPage(page, flags, {
          noun: ['incident', 'incidents'],
          json: (i) => i,
          csv: INCIDENT_CSV,
          table: formatTable,
          none: `no incidents match in ${config.store.path}${flags.status === undefined ? ' (open and acknowledged; --status all for every one)' : ''}`,
        });
      });
    },
  );

  outputOptions(storeOptions(incidents.command('show').description('one incident with its alerts and status history').argument('<id>', 'incident id (or an unambiguous prefix of it)')), false).action(
    async (id: string, flags: StoreFlags & { json?: boolean }) => {
      await withReviewStore(configOf(flags), async (store) => {
        const i = await showIncident(store, id);
        process.stdout.write(flags.json ? JSON.stringify(i) + '\n' : formatDetail(i));
      });
    },
  );

  const change = (name: StatusChange, verb: string, extra?: (cmd: Command) => Command) => {
    let cmd = incidents.command(name).description(`mark incidents ${verb}, recording who, when and why`).argument('<ids...>', 'incident ids (or unambiguous prefixes)');
    cmd = byOption(outputOptions(storeOptions(cmd), false)).option('--comment <text>', 'why');
    if (extra) cmd = extra(cmd);
    cmd.action(async (ids: string[], flags: StoreFlags & { by?: string; comment?: string; benign?: boolean; json?: boolean }) => {
      await withReviewStore(configOf(flags), async (store) => {
        const by = person(flags.by);
        const results = await changeIncidents(store, ids, { change: name, by, comment: flags.comment ?? null, benign: flags.benign === true }, Date.now());
        for (const r of results) {
          if (flags.json) process.stdout.write(JSON.stringify(await showIncident(store, r.id)) + '\n');
          else if (r.changed) process.stdout.write(`incident ${r.id} ${verb}${flags.benign ? ' as benign, with its alerts' : name === 'close' ? ', with its alerts' : ''} by ${printable(by)}${flags.comment ? `: ${printable(flags.comment)}` : ''}\n`);
          else process.stdout.write(`incident ${r.id} was already ${r.status}: unchanged\n`);
        }
      }, { write: true });
    });
  };
  change('ack', 'acknowledged');
  change('close', 'closed', (cmd) => cmd.option('--benign', 'closed as benign (a false positive): its alerts are closed as benign too'));
  change('reopen', 'reopened');
}

const INCIDENT_CSV: Array<[string, (i: Incident) => string | number | null]> = [
  ['id', (i) => i.id],
  ['status', (i) => i.status],
  ['severity', (i) => i.severity],
  ['risk', (i) => i.risk],
  ['dn', (i) => i.dn],
  ['ip', (i) => i.ip],
  ['firstTime', (i) => i.firstTime],
  ['lastTime', (i) => i.lastTime],
  ['rules', (i) => i.rules.join(' ')],
  ['alerts', (i) => i.alertIds.length],
];

function formatTable(items: Incident[]): string[] {
  const c = colours(process.stdout);
  const width = terminalWidth() ?? 160;
  const lines = [c.dim(`${'last alert (log)'.padEnd(24)}  ${'severity'.padEnd(8)}  ${'risk'.padStart(5)}  ${'status'.padEnd(12)}  ${'alerts'.padStart(6)}  ${'user / network'.padEnd(38)}  id`)];
  for (const i of items) {
    const who = printable(i.dn ?? i.ip ?? '-');
    lines.push(
      `${i.lastTime.padEnd(24)}  ${paint(i.severity, c)(i.severity.padEnd(8))}  ${String(i.risk).padStart(5)}  ${i.status.padEnd(12)}  ${String(i.alertIds.length).padStart(6)}  ${who.padEnd(38)}  ${c.bold(i.id)}`,
    );
    lines.push(c.dim(`    ${i.rules.join(', ')}`.slice(0, width)));
  }
  return lines;
}

function alertLine(a: IncidentDetailJson['alerts'][number]): string {
  return `    ${a.time}  ${a.severity.padEnd(8)}  ${a.rule.padEnd(RULE_WIDTH)} ${a.status.padEnd(12)} ${a.id}  ${printable(a.reason)}`;
}

function formatDetail(i: IncidentDetailJson): string {
  const c = colours(process.stdout);
  const lines: string[] = [];
  lines.push(`${c.bold(i.id)}  ${paint(i.severity, c)(i.severity)}  risk ${i.risk}  [${i.status}${i.closedBenign ? ', benign' : ''}]`);
  if (i.dn !== null) lines.push(`  dn          ${printable(i.dn)}`);
  if (i.ip !== null) lines.push(`  address     ${printable(i.ip)}`);
  lines.push(`  key         ${printable(i.key)}`);
  lines.push(`  time        ${i.firstTime} .. ${i.lastTime}`);
  lines.push(`  rules       ${i.rules.join(', ')}`);
  lines.push('');
  lines.push(c.bold(`  alerts (${fmtInt(i.alerts.length)})`));
  for (const a of i.alerts) lines.push(alertLine(a));
  if (i.addressAlerts.length > 0) {
    lines.push('');
    const most = i.addressAlerts.length === ADDRESS_ALERTS_SHOWN ? `, the latest ${ADDRESS_ALERTS_SHOWN}` : '';
    lines.push(c.bold(`  alerts without a user from these addresses, within a day (${fmtInt(i.addressAlerts.length)}${most})`));
    for (const a of i.addressAlerts) lines.push(alertLine(a));
  }
  lines.push('');
  lines.push(c.bold('  history'));
  for (const h of i.history) lines.push(`    ${h.at}  ${h.status.padEnd(12)} by ${printable(h.by)}${h.comment ? `: ${printable(h.comment)}` : ''}`);
  return lines.join('\n') + '\n';
}
