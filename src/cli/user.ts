import type { Command } from 'commander';
import { ADDRESS_ALERTS_SHOWN } from '../app/review/alerts.js';
import { userView, USER_MAX_ALERTS, type UserView } from '../app/review/users.js';
import { withReviewStore } from '../app/review/store.js';
import { confirmationText } from '../core/actions.js';
import { printable } from '../core/terminal-text.js';
import { RULE_WIDTH, UsageError, colours, fmtInt } from './common.js';
import { configOf, outputOptions, storeOptions, type StoreFlags } from './options.js';

export function registerUser(program: Command): void {
  const cmd = program
    .command('user')
    .description("a user's history: addresses with country, first/last seen, counts, sessions, alerts, incidents and responses")
    .argument('<dn>', 'the DN exactly as logged (quote it in the shell)')
    .option('--sessions <n>', 'how many recent sessions to show (default: 20)');
  outputOptions(storeOptions(cmd), false).action(async (dn: string, flags: StoreFlags & { json?: boolean; sessions?: string }) => {
    const max = Number(flags.sessions ?? '20');
    if (!/^\d+$/.test(flags.sessions ?? '20')) throw new UsageError(`--sessions expects a whole number, got '${flags.sessions}'`);
    await withReviewStore(configOf(flags), async (store) => {
      const view = await userView(store, dn, max);
      process.stdout.write(flags.json ? JSON.stringify(view) + '\n' : formatHistory(view));
    });
  });
}

function formatHistory(h: UserView): string {
  const c = colours(process.stdout);
  const p = printable;
  const lines: string[] = [];
  lines.push(c.bold(p(h.dn)));
  lines.push(`  sha1        ${h.dnSha1}   (kubectl delete oidc-sessions -l tremolo.io/user-dn=${h.dnSha1} -n openunison)`);
  lines.push(`  seen        ${h.firstSeen} .. ${h.lastSeen}`);
  lines.push(`  events      ${Object.entries(h.counts).map(([t, n]) => `${t} ${fmtInt(n ?? 0)}`).join(', ')}`);
  lines.push('');
  lines.push(c.bold(`  addresses (${h.ips.length})`));
  lines.push(c.dim(`    ${'ip'.padEnd(40)} ${'country'.padEnd(8)} ${'first seen'.padEnd(25)} ${'last seen'.padEnd(25)} events`));
  for (const ip of h.ips) {
    const asn = ip.asn === undefined || ip.asn === null ? '' : `  AS${ip.asn}${ip.asOrg ? ` ${p(ip.asOrg)}` : ''}`;
    lines.push(`    ${p(ip.ip).padEnd(40)} ${(ip.country ?? '-').padEnd(8)} ${ip.firstSeen.padEnd(25)} ${ip.lastSeen.padEnd(25)} ${fmtInt(ip.count)}${asn}`);
  }
  if (h.countries.length) {
    lines.push('');
    lines.push(c.bold(`  countries (${h.countries.length})`));
    for (const k of h.countries) lines.push(`    ${p(k.country).padEnd(8)} ${k.firstSeen} .. ${k.lastSeen}  ${fmtInt(k.count)} events`);
  }
  lines.push('');
  lines.push(c.bold(`  recent sessions (${h.sessions.length})`));
  for (const s of h.sessions) {
    lines.push(`    ${p(s.sessionId)}  ${s.firstSeen} .. ${s.lastSeen}  ${fmtInt(s.count)} events  from ${s.ips.map(p).join(', ') || '-'}`);
  }
  if (h.incidents.length) {
    lines.push('');
    lines.push(c.bold(`  incidents (${h.incidents.length})`));
    for (const i of h.incidents) lines.push(`    ${i.lastTime}  ${i.severity.padEnd(8)}  risk ${String(i.risk).padEnd(5)} ${i.status.padEnd(12)} ${i.id}  ${i.rules.join(', ')}`);
  }
  lines.push('');
  lines.push(c.bold(`  alerts (${h.alerts.length === USER_MAX_ALERTS ? `latest ${USER_MAX_ALERTS}` : h.alerts.length})`));
  for (const a of h.alerts) lines.push(alertLine(a));
  if (h.addressAlerts.length) {
    lines.push('');
    lines.push(c.bold(`  alerts without a user from these addresses, within a day (${h.addressAlerts.length === ADDRESS_ALERTS_SHOWN ? `latest ${ADDRESS_ALERTS_SHOWN}` : h.addressAlerts.length})`));
    for (const a of h.addressAlerts) lines.push(alertLine(a));
  }
  if (h.actions.length) {
    lines.push('');
    lines.push(c.bold(`  responses (${h.actions.length})`));
    for (const x of h.actions) {
      const held = x.guard ? ` by ${x.guard}` : '';
      lines.push(`    ${x.time}  ${x.action} ${x.mode} ${x.status}${held}  by ${p(x.by)}${x.alertId ? `  alert ${x.alertId}` : ''}  (ouwatch actions show ${x.id})`);
      const logout = confirmationText(x, Date.now());
      if (logout !== null) lines.push(`      ${p(logout)}`);
    }
  }
  return lines.join('\n') + '\n';
}

function alertLine(a: UserView['alerts'][number]): string {
  const where = a.ip === null ? '' : `  from ${a.ip}${a.country ? ` (${a.country})` : ''}`;
  const times = a.count > 1 ? ` x${fmtInt(a.count)}` : '';
  return `    ${a.time}  ${a.severity.padEnd(8)}  ${a.rule.padEnd(RULE_WIDTH)} ${a.status.padEnd(12)} ${a.id}${times}${where}`;
}
