import type { Command } from 'commander';
import { toEventJson } from '../domain.js';
import { EventEnricher } from '../enrich/enricher.js';
import { OpenUnisonParser } from '../parse/openunison.js';
import { LogClock } from '../parse/time.js';
import { mergeByTime } from '../sources/merge.js';
import { ReplayInput, checkInputPaths } from '../sources/replay-input.js';
import { Out, UsageError, checkTimeZone } from './common.js';

interface ParseFlags {
  json?: boolean;
  tz?: string;
}

export function registerParse(program: Command): void {
  program
    .command('parse')
    .description('print the events in log files (no database, no detection)')
    .argument('<files...>', 'log files, archives, or - for stdin')
    .option('--json', 'one Event JSON object per line')
    .option('--tz <zone>', 'time zone the logs were written in (IANA name)', 'UTC')
    .action(async (files: string[], flags: ParseFlags) => {
      if (files.length === 0) throw new UsageError('parse needs at least one file (or - for stdin)');
      const parser = new OpenUnisonParser(new LogClock(checkTimeZone(flags.tz)));
      const enricher = new EventEnricher();
      await checkInputPaths(files);
      const inputs = files.map((f) => new ReplayInput(f, () => null));
      const out = new Out();
      await mergeByTime(
        inputs,
        (input) => {
          const q = input.queue;
          const i = q.head++;
          const text = q.texts[i];
          if (text === null) return;
          const e = parser.parse(text, input.cursor.origin, q.lineNos[i]);
          if (typeof e === 'string') return;
          enricher.enrich(e);
          out.line(flags.json ? JSON.stringify(toEventJson(e)) : `${e.time}  ${e.type.padEnd(23)} ${e.dn ?? '-'}  ${e.ip ?? '-'}${e.geo ? ' (' + e.geo.country + ')' : ''}  ${e.source}`);
        },
        () => (out.buffered > 1 << 20 ? out.flush() : undefined),
      );
      await out.flush();
      for (const input of inputs) if (input.warning) process.stderr.write(`ouwatch: warning: ${input.warning}\n`);
    });
}
