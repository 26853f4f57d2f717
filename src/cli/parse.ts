import type { Command } from 'commander';
import { loadConfig } from '../app/config.js';
import { parseFiles } from '../app/parse.js';
import { foreignLayoutHint } from '../app/no-event-warning.js';
import { eventJson, sourceOf } from '../core/log-event.js';
import { Out, UsageError, checkTimeZone } from './common.js';
import { printable } from '../core/terminal-text.js';

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
    .option('--tz <zone>', 'time zone the logs were written in (IANA name; default: UTC)')
    .action(async (files: string[], flags: ParseFlags) => {
      if (files.length === 0) throw new UsageError('parse needs at least one file (or - for stdin)');
      const config = loadConfig();
      config.parse.timeZone = checkTimeZone(flags.tz);
      const out = new Out();
      let events = 0;
      const warnings = await parseFiles(
        config,
        files,
        (e) => {
          events++;
          if (flags.json) out.line(JSON.stringify(eventJson(e)));
          else {
            const a = e.address;
            out.line(`${new Date(e.ts).toISOString()}  ${e.typeName.padEnd(23)} ${printable(e.dn?.dn ?? '-')}  ${printable(a?.ip ?? '-')}${a?.country ? ' (' + a.country + ')' : ''}  ${printable(sourceOf(e))}`);
          }
        },
        () => out.flush(),
      );
      if (events === 0) process.stderr.write(`ouwatch: warning: no OpenUnison event in ${files.join(', ')}: ${(await foreignLayoutHint(files)) ?? 'is this an OpenUnison log?'}\n`);
      for (const w of warnings) process.stderr.write(`ouwatch: warning: ${printable(w)}\n`);
    });
}
