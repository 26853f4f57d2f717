import type { Command } from 'commander';
import type { RuleVerdict } from '../app/explain.js';
import { alreadyProcessed, explainLine, readRecordAt, type Explanation } from '../app/explain.js';
import { paint, printable } from './alert-format.js';
import { UsageError, checkTimeZone, colours, fmtInt } from './common.js';
import { configOf, storeOptions } from './options.js';

interface ExplainFlags {
  file?: string;
  line?: string;
  db?: string;
  rules?: string;
  config?: string;
  tz?: string;
  json?: boolean;
}

export function registerExplain(program: Command): void {
  const explain = program
    .command('explain')
    .description('how a log line parses, which rules it reaches, and why each fires or stays quiet against the db (read-only)')
    .argument('[line]', 'the log line (quote it), or use --file and --line')
    .option('--file <path>', 'a log file (plain, .gz, docker json-file or CRI)')
    .option('--line <n>', 'the line number in --file')
    .option('--rules <dir>', 'rules directory (default: the configured or shipped rules)')
    .option('--tz <zone>', 'time zone the logs were written in (IANA name; default: UTC)')
    .option('--json', 'one JSON object')
    .action(async (arg: string | undefined, flags: ExplainFlags) => {
      const config = configOf(flags);
      if (flags.rules) config.detect.rulesDir = flags.rules;
      config.parse.timeZone = checkTimeZone(flags.tz ?? config.parse.timeZone);
      let line: string;
      let origin = 'argument';
      let lineNo = 1;
      let fingerprint: string | null = null;
      if (flags.file !== undefined || flags.line !== undefined) {
        if (arg !== undefined) throw new UsageError('give either a line or --file with --line, not both');
        if (flags.file === undefined || flags.line === undefined) throw new UsageError('--file and --line go together');
        lineNo = Number(flags.line);
        if (!Number.isInteger(lineNo) || lineNo < 1) throw new UsageError(`--line expects a line number (1 or more), got '${flags.line}'`);
        const found = await readRecordAt(flags.file, lineNo, config.parse.timeZone);
        if ('problem' in found) throw new UsageError(found.problem);
        line = found.text;
        lineNo = found.lineNo;
        origin = flags.file;
        fingerprint = found.fingerprint;
      } else {
        if (arg === undefined) throw new UsageError('explain needs a log line (quoted) or --file F --line N');
        line = arg.replace(/\r?\n$/, '');
      }
      const x = await explainLine(config, line, origin, lineNo);
      if (fingerprint !== null) {
        const at = await alreadyProcessed(config, fingerprint, lineNo);
        if (at !== null) x.note = `${config.store.path} has already processed this line (checkpoint at line ${fmtInt(at)}): the state shown includes it`;
      }
      process.stdout.write(flags.json ? JSON.stringify(x) + '\n' : format(x, config.store.path, x.note));
    });
  storeOptions(explain);
}

const OUTCOME: Record<RuleVerdict['outcome'], string> = {
  fires: 'FIRES',
  repeat: 'repeat',
  quiet: 'quiet',
  excluded: 'excluded',
  'not-reached': 'not reached',
  disabled: 'disabled',
  off: 'off',
};

function format(x: Explanation, db: string, note: string | null): string {
  const c = colours(process.stdout);
  const out: string[] = [];
  out.push(`${c.bold('line')}      ${printable(x.line)}`);
  out.push(`${c.bold('source')}    ${printable(x.source)}`);
  if (x.notAnEvent !== null) {
    out.push(`${c.bold('parsed')}    not an event (${x.notAnEvent.kind}): ${x.notAnEvent.meaning}`);
    out.push(`${c.bold('rules')}     none: rules only see events`);
    return out.join('\n') + '\n';
  }
  const e = x.event!;
  out.push(`${c.bold('parsed')}    ${e.type} at ${e.time} (${e.level} ${e.logger}, thread '${printable(e.thread)}')`);
  out.push(`  dn        ${e.dn === null ? '-' : printable(e.dn)}${e.dnSha1 ? c.dim(`  (sha1 ${e.dnSha1})`) : ''}`);
  const a = x.address;
  // The radius is what impossible-travel allows for inside one country (1000 km: located only to the country).
  const country = a === null || a.country === null ? null : a.radiusKm === null ? a.country : `${a.country} within ${fmtInt(a.radiusKm)} km`;
  const place = a === null ? '' : [a.network, country, a.asn === null ? null : `AS${a.asn}${a.asOrg ? ` ${printable(a.asOrg)}` : ''}`].filter((p) => p !== null).join(', ');
  out.push(`  address   ${e.ip ?? '-'}${place ? ` (${place})` : ''}${a !== null && !a.public ? c.dim('  (not public: no location)') : ''}`);
  if (e.app !== null) out.push(`  app       ${printable(e.app)}`);
  if (e.url !== null) out.push(`  url       ${printable(e.url)}`);
  if (e.sessionId !== null) out.push(`  session   ${printable(e.sessionId)}`);
  if (e.message) out.push(`  message   ${printable(e.message)}`);
  if (x.user !== null) {
    const u = x.user;
    out.push(
      `${c.bold('history')}   in ${db} before this line: ${fmtInt(u.successCount)} successful events` +
        `${u.firstSuccess ? ` from ${u.firstSuccess} to ${u.lastSuccess}` : ''}, ${fmtInt(u.addresses)} address${u.addresses === 1 ? '' : 'es'}` +
        `${u.countries.length ? `, countries ${u.countries.join(', ')}` : ''}`,
    );
    if (e.ip !== null) {
      out.push(
        u.thisAddress
          ? `            ${e.ip}: seen since ${u.thisAddress.firstSeen}, ${fmtInt(u.thisAddress.count)} events, ${fmtInt(u.thisAddress.successCount)} successful, ` +
              (u.thisAddress.learnt ? 'learnt as theirs' : u.thisAddress.quarantinedBy ? `not learnt (alert ${u.thisAddress.quarantinedBy} is not closed as benign)` : 'not learnt')
          : `            ${e.ip}: never seen for this user`,
      );
    }
  } else if (e.dn !== null) {
    out.push(`${c.bold('history')}   ${e.dn === 'cn=none' || e.dn === 'uid=Anonymous,o=Tremolo' ? 'not a user: no history is kept' : `none in ${db} for this DN`}`);
  }
  if (note !== null) out.push(c.yellow(`note      ${note}`));
  out.push(c.bold('rules'));
  const reached = x.verdicts.filter((v) => v.outcome !== 'not-reached');
  for (const v of reached) {
    const label = OUTCOME[v.outcome].padEnd(9);
    const sev = v.alert?.severity ?? v.severity;
    const head = `  ${v.outcome === 'fires' ? c.bold(paint(sev, c)(label)) : v.outcome === 'quiet' ? c.green(label) : c.dim(label)} ${v.rule} (${sev}, risk ${v.alert?.risk ?? v.risk})`;
    out.push(head);
    if (v.alert !== null) {
      out.push(`            ${printable(v.alert.reason)}`);
      out.push(
        c.dim(
          v.outcome === 'fires'
            ? `            would raise alert ${v.alert.id}`
            : `            counted on open alert ${v.alert.id} (occurrence ${fmtInt(v.alert.count ?? 0)})`,
        ),
      );
    }
    for (const n of v.notes) out.push(`            ${printable(n)}`);
  }
  const unreached = x.verdicts.filter((v) => v.outcome === 'not-reached');
  if (unreached.length) out.push(c.dim(`  not reached (they look at other events): ${unreached.map((v) => v.rule).join(', ')}`));
  return out.join('\n') + '\n';
}
