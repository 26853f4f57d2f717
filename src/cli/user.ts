import type { Command } from 'commander';
import type { UserHistory } from '../domain.js';
import { openDatabase } from '../store/database.js';
import { readUserHistory, similarDns } from '../store/user-history.js';
import { DEFAULT_DB, UsageError, colours, fmtInt } from './common.js';

export function registerUser(program: Command): void {
  program
    .command('user')
    .description("a user's history: addresses with country, first/last seen, counts, sessions")
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
        process.stdout.write(flags.json ? JSON.stringify(history) + '\n' : formatHistory(history));
      } finally {
        db.close();
      }
    });
}

function formatHistory(h: UserHistory): string {
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
  return lines.join('\n') + '\n';
}
