import type { Command } from 'commander';
import { toEventJson } from '../core/events.js';
import { EventEnricher } from '../components/enrich/enricher.js';
import { DEFAULT_MAX_LINE_BYTES } from '../components/decode/lines.js';
import { EVENT } from '../components/parse/packed.js';
import { ParseService } from '../pipeline/parse-service.js';
import { mergeByTime } from '../pipeline/merge.js';
import { PackedFeed } from '../pipeline/packed-feed.js';
import { ReplayInput, checkInputPaths } from '../components/sources/files/archive-input.js';
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
      const timeZone = checkTimeZone(flags.tz);
      await checkInputPaths(files);
      const enricher = new EventEnricher();
      const service = new ParseService(timeZone, DEFAULT_MAX_LINE_BYTES);
      const out = new Out();
      const inputs = files.map((f) => new ReplayInput(f, () => null));
      try {
        const feeds: PackedFeed[] = [];
        for (const input of inputs) {
          await input.identify();
          feeds.push(new PackedFeed(service, input));
        }
        let events = 0;
        await mergeByTime(
          feeds,
          (feed) => {
            const batch = feed.batch!;
            const i = feed.index++;
            if (batch.kinds[i] !== EVENT) return;
            events++;
            const e = feed.tables.event(batch, i, feed.source.cursor.origin);
            enricher.enrich(e);
            out.line(
              flags.json
                ? JSON.stringify(toEventJson(e))
                : `${e.time}  ${e.type.padEnd(23)} ${printable(e.dn ?? '-')}  ${printable(e.ip ?? '-')}${e.geo ? ' (' + e.geo.country + ')' : ''}  ${printable(e.source)}`,
            );
          },
          () => (out.buffered > 1 << 20 ? out.flush() : undefined),
        );
        await out.flush();
        if (events === 0) process.stderr.write(`ouwatch: warning: no OpenUnison event in ${files.join(', ')}: is this an OpenUnison log?\n`);
      } finally {
        await service.close();
      }
      for (const input of inputs) if (input.warning) process.stderr.write(`ouwatch: warning: ${input.warning}\n`);
    });
}
