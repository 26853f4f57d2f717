import type { Command } from 'commander';
import { loadConfig } from '../app/config.js';
import { parseFiles } from '../app/parse.js';
import { eventJson, sourceOf } from '../core/log-event.js';
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
      const config = loadConfig();
      config.parse.timeZone = checkTimeZone(flags.tz);
      const out = new Out();
      const warnings = await parseFiles(
        config,
        files,
        (e) => {
          if (flags.json) out.line(JSON.stringify(eventJson(e)));
          else {
            const a = e.address;
            out.line(`${new Date(e.ts).toISOString()}  ${e.typeName.padEnd(23)} ${e.dn?.dn ?? '-'}  ${a?.ip ?? '-'}${a?.country ? ' (' + a.country + ')' : ''}  ${sourceOf(e)}`);
          }
        },
        () => out.flush(),
      );
      for (const w of warnings) process.stderr.write(`ouwatch: warning: ${w}\n`);
    });
}
