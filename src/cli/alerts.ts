import type { Command } from 'commander';
import { userInfo } from 'node:os';
import type { AlertDetail, AlertFilter, AlertStatus, Severity, StoredAlert } from '../core/alerts.js';
import { ALERT_STATUSES, SEVERITIES, toAlertJson } from '../core/alerts.js';
import { isCidr } from '../core/address-set.js';
import { AlertStore } from '../store/sqlite/alerts.js';
import { openDatabase } from '../store/sqlite/database.js';
import { alertTableHeader, alertTableRow, paint, printable, terminalWidth } from './alert-format.js';
import { DEFAULT_DB, UsageError, colours, fmtInt } from './common.js';

interface ListFlags {
  db: string;
  rule?: string;
  severity?: string;
  dn?: string;
  ip?: string;
  status?: string;
  since?: string;
  limit?: string;
  json?: boolean;
}

interface ChangeFlags {
  db: string;
  by?: string;
  comment?: string;
  json?: boolean;
}

export function registerAlerts(program: Command): void {
  const alerts = program.command('alerts').description('review alerts: list, show, acknowledge, close');

  alerts
    .command('list', { isDefault: true })
    .description('alerts, newest first (default: the ones not closed)')
    .option('--db <path>', 'SQLite database', DEFAULT_DB)
    .option('--rule <ids>', 'only these rules (comma-separated)')
    .option('--severity <levels>', 'only these severities (comma-separated), or LEVEL+ for that level and above')
    .option('--dn <dn>', 'only this DN (exact; * is a wildcard)')
    .option('--ip <addr>', 'only this address or CIDR block')
    .option('--status <statuses>', 'open, acknowledged, closed (comma-separated) or all', 'open,acknowledged')
    .option('--since <when>', 'latest occurrence at or after this log time (ISO date/time) or within this long before now (24h, 7d)')
    .option('--limit <n>', 'at most this many')
    .option('--json', 'one alert JSON object per line')
    .action((flags: ListFlags) => {
      const filter = filterOf(flags);
      withStore(flags.db, 'read', (store) => {
        const list = store.list(filter);
        if (flags.json) {
          process.stdout.write(list.map((a) => JSON.stringify(listJson(a)) + '\n').join(''));
          return;
        }
        const c = colours(process.stdout);
        if (list.length === 0) {
          process.stderr.write(`no alerts match in ${flags.db}${flags.status === undefined ? '' : ` (status ${flags.status})`}\n`);
          return;
        }
        const width = terminalWidth();
        process.stdout.write([alertTableHeader(c), ...list.map((a) => alertTableRow(a, c, width))].join('\n') + '\n');
        process.stderr.write(`${fmtInt(list.length)} alert${list.length === 1 ? '' : 's'}; details: ouwatch alerts show ID${flags.db === DEFAULT_DB ? '' : ` --db ${flags.db}`}\n`);
      });
    });

  alerts
    .command('show')
    .description('one alert with its evidence and status history')
    .argument('<id>', 'alert id (or an unambiguous prefix of it)')
    .option('--db <path>', 'SQLite database', DEFAULT_DB)
    .option('--json', 'one JSON object')
    .action((id: string, flags: { db: string; json?: boolean }) => {
      withStore(flags.db, 'read', (store) => {
        const a = find(store, id);
        const detail = store.detail(a.id)!;
        process.stdout.write(flags.json ? JSON.stringify(detailJson(detail)) + '\n' : formatDetail(detail));
      });
    });

  const change = (name: string, status: AlertStatus, verb: string) =>
    alerts
      .command(name)
      .description(`mark an alert ${verb}, recording who and why`)
      .argument('<id>', 'alert id (or an unambiguous prefix of it)')
      .option('--db <path>', 'SQLite database', DEFAULT_DB)
      .option('--by <name>', 'who (default: $USER)')
      .option('--comment <text>', 'why')
      .option('--json', 'print the alert afterwards as one JSON object')
      .action((id: string, flags: ChangeFlags) => {
        // A status change beside a running daemon: no writer lease, no migration.
        withStore(flags.db, 'annotate', (store) => {
          const a = find(store, id);
          if (a.status === status) throw new UsageError(`alert ${a.id} is already ${status}`);
          if (status === 'acknowledged' && a.status === 'closed') throw new UsageError(`alert ${a.id} is closed; reopen it first`);
          const by = flags.by ?? defaultActor();
          store.setStatus(a.id, status, by, flags.comment ?? null);
          const detail = store.detail(a.id)!;
          if (flags.json) process.stdout.write(JSON.stringify(detailJson(detail)) + '\n');
          else process.stdout.write(`alert ${a.id} (${a.rule}) ${verb} by ${printable(by)}${flags.comment ? `: ${printable(flags.comment)}` : ''}\n`);
        });
      });
  change('ack', 'acknowledged', 'acknowledged');
  change('close', 'closed', 'closed');
  change('reopen', 'open', 'reopened');
}

function withStore(path: string, mode: 'read' | 'annotate', run: (store: AlertStore) => void): void {
  const db = openDatabase(path, { mode });
  try {
    run(new AlertStore(db));
  } finally {
    db.close();
  }
}

function find(store: AlertStore, id: string): StoredAlert {
  if (!/^[0-9a-f]{4,}$/.test(id)) throw new UsageError(`alert ids are hexadecimal (at least the first 4 characters), got '${id}'`);
  const found = store.withPrefix(id);
  if (found.length === 0) throw new UsageError(`no alert ${id} (list them with: ouwatch alerts list --status all)`);
  if (found.length > 1) throw new UsageError(`${id} is ambiguous: ${found.map((a) => a.id).join(', ')}`);
  return found[0];
}

function defaultActor(): string {
  if (process.env.USER) return process.env.USER;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Flags -> filter, with a one-line UsageError for anything malformed. */
export function filterOf(flags: ListFlags, now = Date.now()): AlertFilter {
  const filter: AlertFilter = {};
  const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
  if (flags.rule) filter.rules = list(flags.rule);
  if (flags.severity) {
    const spec = flags.severity.trim();
    if (spec.endsWith('+')) {
      const from = spec.slice(0, -1) as Severity;
      if (!SEVERITIES.includes(from)) throw new UsageError(`--severity expects one of ${SEVERITIES.join(', ')} (or LEVEL+), got '${flags.severity}'`);
      filter.severities = SEVERITIES.slice(SEVERITIES.indexOf(from));
    } else {
      const levels = list(spec);
      for (const l of levels) if (!SEVERITIES.includes(l as Severity)) throw new UsageError(`--severity expects ${SEVERITIES.join(', ')}, got '${l}'`);
      filter.severities = levels as Severity[];
    }
  }
  if (flags.status && flags.status !== 'all') {
    const statuses = list(flags.status);
    for (const s of statuses) if (!ALERT_STATUSES.includes(s as AlertStatus)) throw new UsageError(`--status expects ${ALERT_STATUSES.join(', ')} or all, got '${s}'`);
    filter.statuses = statuses as AlertStatus[];
  }
  if (flags.dn !== undefined) {
    if (flags.dn.includes('*')) filter.dnPattern = flags.dn;
    else filter.dn = flags.dn;
  }
  if (flags.ip !== undefined) {
    if (!isCidr(flags.ip)) throw new UsageError(`--ip expects an address or a CIDR block, got '${flags.ip}'`);
    filter.ip = flags.ip;
  }
  if (flags.since !== undefined) filter.since = sinceOf(flags.since, now);
  if (flags.limit !== undefined) {
    const n = Number(flags.limit);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--limit expects a positive whole number, got '${flags.limit}'`);
    filter.limit = n;
  }
  return filter;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

function sinceOf(spec: string, now: number): number {
  const rel = /^(\d+)([mhdw])$/.exec(spec);
  if (rel) return now - Number(rel[1]) * UNITS[rel[2]];
  // A date without a zone is UTC, like the log times it is compared with.
  const text = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(spec) ? spec + (spec.length === 10 ? 'T00:00:00Z' : 'Z') : spec;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`--since expects an ISO date/time (2026-03-02, 2026-03-02T10:00Z) or a duration (90m, 24h, 7d), got '${spec}'`);
  return t;
}

/** The DESIGN.md alert shape, plus how often it repeated and when last. */
function listJson(a: StoredAlert) {
  return { ...toAlertJson(a), count: a.count, lastTime: a.lastTime };
}

function detailJson(a: AlertDetail) {
  return { ...listJson(a), respond: a.respond, history: a.history };
}

function formatDetail(a: AlertDetail): string {
  const c = colours(process.stdout);
  const lines: string[] = [];
  lines.push(`${c.bold(a.id)}  ${paint(a.severity, c)(a.severity)}  ${a.rule}  [${a.status}]`);
  lines.push(`  reason      ${printable(a.reason)}`);
  lines.push(`  time        ${a.time}${a.count > 1 ? `  (${fmtInt(a.count)} occurrences, the last at ${a.lastTime})` : ''}`);
  if (a.dn !== null) lines.push(`  dn          ${printable(a.dn)}`);
  if (a.dnSha1 !== null) lines.push(`  dn sha1     ${a.dnSha1}`);
  lines.push(`  address     ${a.ip ?? '-'}${a.country ? ` (${a.country})` : ''}`);
  lines.push(`  response    ${a.response ? `${a.response.action} ${a.response.mode} ${a.response.name}: ${a.response.status}` : a.respond ? 'eligible (none recorded)' : 'none (the rule does not ask for one)'}`);
  if (a.dn !== null) {
    lines.push(c.dim(printable(`  end the session: ouwatch endsession ${shellQuote(a.dn)}    history: ouwatch user ${shellQuote(a.dn)}`)));
  }
  lines.push('');
  lines.push(c.bold(`  evidence (${a.evidence.length})`));
  for (const ev of a.evidence) {
    lines.push(`    ${c.cyan(printable(ev.source))}`);
    lines.push(`      ${printable(ev.line)}`);
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
