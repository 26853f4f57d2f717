import type { Command } from 'commander';
import type { ActionRecord } from '../core/actions.js';
import type { StoredAlert } from '../core/alerts.js';
import type { UserHistory } from '../core/history.js';
import { ActionStore } from '../store/sqlite/actions.js';
import { AlertStore } from '../store/sqlite/alerts.js';
import { openDatabase } from '../store/sqlite/database.js';
import { readUserHistory, similarDns } from '../store/sqlite/user-history.js';
import { DEFAULT_DB, UsageError, colours, fmtInt } from './common.js';

export function registerUser(program: Command): void {
  program
    .command('user')
    .description("a user's history: addresses with country, first/last seen, counts, sessions, alerts and responses")
    .argument('<dn>', 'the DN exactly as logged (quote it in the shell)')
    .option('--db <path>', 'SQLite database', DEFAULT_DB)
    .option('--json', 'print one JSON object')
    .option('--sessions <n>', 'how many recent sessions to show', '20')
    .action((dn: string, flags: { db: string; json?: boolean; sessions: string }) => {
      const max = Number(flags.sessions);
      if (!Number.isInteger(max) || max < 0) throw new UsageError(`--sessions expects a whole number, got '${flags.sessions}'`);
      const db = openDatabase(flags.db, { readonly: true });
      try {
        const history = readUserHistory(db, dn, max);
        if (history === null) {
          const similar = similarDns(db, dn);
          const hint = similar.length ? `; similar: ${similar.map((s) => JSON.stringify(s)).join(', ')}` : '';
          throw new UsageError(`no history for DN ${JSON.stringify(dn)} in ${flags.db}${hint}`);
        }
        const alerts = new AlertStore(db).list({ dn: history.dn, limit: MAX_ALERTS });
        const actions = new ActionStore(db).list({ dn: history.dn, limit: MAX_ACTIONS });
        const view: UserView = {
          ...history,
          alerts: alerts.map((a) => ({ id: a.id, rule: a.rule, severity: a.severity, time: a.time, lastTime: a.lastTime, count: a.count, ip: a.ip, country: a.country, status: a.status })),
          actions: actions.map((x) => ({ id: x.id, action: x.action, time: x.time, mode: x.mode, status: x.status, by: x.by, alertId: x.alertId, guard: x.guard })),
        };
        process.stdout.write(flags.json ? JSON.stringify(view) + '\n' : formatHistory(view));
      } finally {
        db.close();
      }
    });
}

const MAX_ALERTS = 20;
const MAX_ACTIONS = 10;

/** The history, with the user's latest alerts (any status) and response actions. */
interface UserView extends UserHistory {
  alerts: Array<Pick<StoredAlert, 'id' | 'rule' | 'severity' | 'time' | 'lastTime' | 'count' | 'ip' | 'country' | 'status'>>;
  actions: Array<Pick<ActionRecord, 'id' | 'action' | 'time' | 'mode' | 'status' | 'by' | 'alertId' | 'guard'>>;
}

function formatHistory(h: UserView): string {
  const c = colours(process.stdout);
  const lines: string[] = [];
  lines.push(c.bold(h.dn));
  lines.push(`  sha1        ${h.dnSha1}   (kubectl delete oidc-sessions -l tremolo.io/user-dn=${h.dnSha1} -n openunison)`);
  lines.push(`  seen        ${h.firstSeen} .. ${h.lastSeen}`);
  lines.push(`  events      ${Object.entries(h.counts).map(([t, n]) => `${t} ${fmtInt(n ?? 0)}`).join(', ')}`);
  lines.push('');
  lines.push(c.bold(`  addresses (${h.ips.length})`));
  lines.push(c.dim(`    ${'ip'.padEnd(40)} ${'country'.padEnd(8)} ${'first seen'.padEnd(25)} ${'last seen'.padEnd(25)} events`));
  for (const ip of h.ips) {
    lines.push(`    ${ip.ip.padEnd(40)} ${(ip.country ?? '-').padEnd(8)} ${ip.firstSeen.padEnd(25)} ${ip.lastSeen.padEnd(25)} ${fmtInt(ip.count)}`);
  }
  if (h.countries.length) {
    lines.push('');
    lines.push(c.bold(`  countries (${h.countries.length})`));
    for (const k of h.countries) lines.push(`    ${k.country.padEnd(8)} ${k.firstSeen} .. ${k.lastSeen}  ${fmtInt(k.count)} events`);
  }
  lines.push('');
  lines.push(c.bold(`  recent sessions (${h.sessions.length})`));
  for (const s of h.sessions) {
    lines.push(`    ${s.sessionId}  ${s.firstSeen} .. ${s.lastSeen}  ${fmtInt(s.count)} events  from ${s.ips.join(', ') || '-'}`);
  }
  lines.push('');
  lines.push(c.bold(`  alerts (${h.alerts.length === MAX_ALERTS ? `latest ${MAX_ALERTS}` : h.alerts.length})`));
  for (const a of h.alerts) {
    const where = a.ip === null ? '' : `  from ${a.ip}${a.country ? ` (${a.country})` : ''}`;
    const times = a.count > 1 ? ` x${fmtInt(a.count)}` : '';
    lines.push(`    ${a.time}  ${a.severity.padEnd(8)}  ${a.rule.padEnd(26)} ${a.status.padEnd(12)} ${a.id}${times}${where}`);
  }
  if (h.actions.length) {
    lines.push('');
    lines.push(c.bold(`  responses (${h.actions.length})`));
    for (const x of h.actions) {
      const held = x.guard ? ` by ${x.guard}` : '';
      lines.push(`    ${x.time}  ${x.action} ${x.mode} ${x.status}${held}  by ${x.by}${x.alertId ? `  alert ${x.alertId}` : ''}  (ouwatch actions show ${x.id})`);
    }
  }
  return lines.join('\n') + '\n';
}
