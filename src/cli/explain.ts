import type { Command } from 'commander';
import { rulesDirOf } from '../app/runtime.js';
import type { RuleVerdict } from '../components/detect/engine.js';
import { explainLine, type Explanation } from '../app/explain.js';
import { loadRules } from '../components/detect/rules.js';
import { ReplayInput, checkInputPaths } from '../components/sources/files/archive-input.js';
import { StreamDecoder } from '../components/decode/stream-decoder.js';
import { CheckpointStore } from '../store/sqlite/checkpoints.js';
import { openDatabase } from '../store/sqlite/database.js';
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
      const tz = checkTimeZone(flags.tz ?? config.parse.timeZone);
      const rules = loadRules(rulesDirOf(config));
      let line: string;
      let origin = 'argument';
      let lineNo = 1;
      let fingerprint: string | null = null;
      if (flags.file !== undefined || flags.line !== undefined) {
        if (arg !== undefined) throw new UsageError('give either a line or --file with --line, not both');
        if (flags.file === undefined || flags.line === undefined) throw new UsageError('--file and --line go together');
        lineNo = Number(flags.line);
        if (!Number.isInteger(lineNo) || lineNo < 1) throw new UsageError(`--line expects a line number (1 or more), got '${flags.line}'`);
        const found = await readLine(flags.file, lineNo);
        line = found.text;
        lineNo = found.lineNo;
        origin = flags.file;
        fingerprint = found.fingerprint;
      } else {
        if (arg === undefined) throw new UsageError('explain needs a log line (quoted) or --file F --line N');
        line = arg.replace(/\r?\n$/, '');
      }
      const db = openDatabase(config.store.path, { readonly: true });
      try {
        const x = explainLine(db, rules, line, origin, lineNo, tz);
        let note: string | null = null;
        if (fingerprint !== null) {
          const cp = new CheckpointStore(db).get(fingerprint);
          if (cp !== null && cp.lineNo >= lineNo) note = `${config.store.path} has already processed this line (checkpoint at line ${fmtInt(cp.lineNo)}): the state shown includes it`;
        }
        process.stdout.write(flags.json ? JSON.stringify({ ...x, note }) + '\n' : format(x, config.store.path, note));
      } finally {
        db.close();
      }
    });
  storeOptions(explain);
}

/** The decoded record ending at (or first after) physical line `n` of `path`. */
async function readLine(path: string, n: number): Promise<{ text: string; lineNo: number; fingerprint: string | null }> {
  await checkInputPaths([path]);
  const input = new ReplayInput(path, () => null);
  try {
    await input.identify();
    const decoder = new StreamDecoder();
    const q = decoder.queue;
    for (let chunk = await input.next(), ended = false; !ended; ) {
      if (chunk === null) {
        decoder.end();
        ended = true;
      } else {
        decoder.write(chunk);
      }
      while (q.size > 0) {
        const i = q.head++;
        if (q.lineNos[i] < n) continue;
        const text = q.texts[i];
        if (text === null) throw new UsageError(`line ${n} of ${path} cannot be read (${q.reasons[i]})`);
        return { text, lineNo: q.lineNos[i], fingerprint: input.cursor.fingerprint };
      }
      q.compact();
      if (!ended) chunk = await input.next();
    }
  } finally {
    input.close();
  }
  throw new UsageError(`${path} has fewer than ${n} lines`);
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
  out.push(`  address   ${e.ip ?? '-'}${x.geo ? ` (${x.geo.country}, ${x.geo.lat}, ${x.geo.lon})` : e.ip ? c.dim('  (no location: private, reserved or not in the geoip database)') : ''}`);
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
          ? `            ${e.ip}: seen since ${u.thisAddress.firstSeen}, ${fmtInt(u.thisAddress.count)} events, ${fmtInt(u.thisAddress.successCount)} successful`
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
    const head = `  ${v.outcome === 'fires' ? c.bold(paint(v.severity, c)(label)) : v.outcome === 'quiet' ? c.green(label) : c.dim(label)} ${v.rule} (${v.severity})`;
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
