import type { Command } from 'commander';
import { assemble } from '../assemble.js';
import { loadConfig } from '../config.js';
import { describeDrain } from '../outbox/worker.js';
import { replay } from '../sources/replay.js';
import { UsageError, checkTimeZone } from './common.js';
import { formatSummary } from './summary.js';

interface ReplayFlags {
  db?: string;
  json?: boolean;
  tz?: string;
  fromStart?: boolean;
  rules?: string;
  config?: string;
  quiet?: boolean;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('replay archived logs (plain, .gz, docker json-file, CRI; - = stdin) into the history db')
    .argument('<files...>', 'log files, archives, or - for stdin')
    .option('--db <path>', 'SQLite database (default ./ouwatch.db)')
    .option('--json', 'print each alert as one JSON line on stdout')
    .option('--tz <zone>', 'time zone the logs were written in (IANA name; default UTC)')
    .option('--from-start', 'ignore checkpoints and read every input from its first byte')
    .option('--rules <dir>', 'rules directory (default: the shipped rules)')
    .option('--config <file>', 'configuration file (YAML)')
    .option('-q, --quiet', 'no summary on stderr')
    .action(async (files: string[], flags: ReplayFlags) => {
      if (files.length === 0) throw new UsageError('replay needs at least one file (or - for stdin)');
      const config = loadConfig(flags.config);
      if (flags.db) config.store.path = flags.db;
      if (flags.tz) config.parse.timeZone = flags.tz;
      if (flags.rules) config.detect.rulesDir = flags.rules;
      checkTimeZone(config.parse.timeZone);
      const runtime = assemble(config);
      try {
        await runtime.delivery.verify();
        const report = await replay(files, runtime.pipeline, { fromStart: flags.fromStart, maxLineBytes: config.parse.maxLineBytes });
        if (!flags.quiet) process.stderr.write(formatSummary(runtime.pipeline.stats, report) + '\n');
        const drained = await runtime.delivery.worker.drain(config.outbox.replayDrainSeconds * 1000);
        const note = describeDrain(drained);
        if (note && (!flags.quiet || Object.keys(drained.pending).length > 0 || drained.failed > 0)) process.stderr.write(note + '\n');
      } finally {
        await runtime.close();
      }
    });
}
