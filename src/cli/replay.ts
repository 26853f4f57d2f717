import type { Command } from 'commander';
import { createRuntime } from '../app/runtime.js';
import { replayFiles } from '../app/replay.js';
import { describeDrain } from '../app/delivery.js';
import { noEventWarning } from '../app/no-event-warning.js';
import { errorsOnly, stderrLog, type Log } from '../core/log.js';
import { AlertPrinter } from './alert-printer.js';
import { UsageError, checkTimeZone } from './common.js';
import { formatResponses, formatSummary } from './summary.js';
import { configOf, storeOptions } from './options.js';
import { ProgressLine } from './progress.js';

interface ReplayFlags {
  db?: string;
  json?: boolean;
  tz?: string;
  fromStart?: boolean;
  rules?: string;
  config?: string;
  quiet?: boolean;
  commitEvery?: string;
}

export function registerReplay(program: Command): void {
  const cmd = program
    .command('replay')
    .description('replay archived logs (plain, .gz, docker json-file, CRI, kubectl --timestamps and --prefix, stern, Loki, Elasticsearch/OpenSearch, Cloud Logging, Splunk and CloudWatch Logs exports, log4j2 JSON; - = stdin) into the history db and show the alerts they raise')
    .argument('<files...>', 'log files, archives, or - for stdin')
    .option('--json', 'print each alert as one JSON line on stdout (nothing else goes to stdout)')
    .option('--tz <zone>', 'time zone the logs were written in (IANA name; default: UTC)')
    .option('--from-start', 'ignore checkpoints and read every input from its first byte')
    .option('--rules <dir>', 'rules directory (default: the shipped rules)')
    .option('-q, --quiet', 'no progress line, summary or warnings on stderr (errors still show)')
    .option('--commit-every <lines>', 'commit after this many lines (default: 1000000)')
    .action(async (files: string[], flags: ReplayFlags) => {
      if (files.length === 0) throw new UsageError('replay needs at least one file (or - for stdin)');
      const config = configOf(flags);
      if (flags.tz) config.parse.timeZone = flags.tz;
      if (flags.rules) config.detect.rulesDir = flags.rules;
      if (flags.commitEvery !== undefined) {
        const n = Number(flags.commitEvery);
        if (!Number.isInteger(n) || n < 1000) throw new UsageError(`--commit-every expects a whole number of lines >= 1000, got '${flags.commitEvery}'`);
        config.store.commitEvery = n;
      }
      checkTimeZone(config.parse.timeZone);
      let progress: ProgressLine | null = null;
      const log = flags.quiet ? errorsOnly(stderrLog()) : clearingFirst(stderrLog(), () => progress?.clear());
      const shown = new AlertPrinter(flags.json === true);
      shown.beforeWrite = () => progress?.clear();
      // Commits wait for this listener: the newest alert stored is then the commit's last one.
      const runtime = await createRuntime(config, {
        log,
        command: 'replay',
        onCommit: async (r) => shown.committed(r.raised, r.raised.length > 0 ? await runtime.output.newest() : null),
        // A slow reader of stdout: what waits for it and for the next commit stays smaller.
        outputBehind: () => shown.behind,
      });
      shown.printed = (through) => void runtime.output.printedThrough(through).catch(() => undefined);
      try {
        // Alerts a killed replay committed and did not print: printed first (at least once).
        const missed = await runtime.output.unprinted();
        void shown.committed(missed, await runtime.output.newest());
        await runtime.delivery.verify();
        const report = await replayFiles(files, runtime, {
          fromStart: flags.fromStart,
          watch: (bytes) => {
            if (flags.quiet) return;
            progress = new ProgressLine({ lines: () => runtime.counters.linesRead, alerts: () => shown.raised, bytes });
            progress.start();
          },
        }).finally(() => progress?.stop());
        for (const n of report.notices) log.warn(n);
        if (!flags.quiet) {
          const noEvent = await noEventWarning(runtime.counters, files);
          const warnings = [runtime.detection.visibility.warning(), noEvent].filter((w): w is string => w !== null);
          const alerts = `${shown.counts(runtime.detection.repeats)}${shown.raised > 0 ? ` (ouwatch alerts list --db ${config.store.path})` : ''}`;
          const responses = formatResponses(runtime.delivery.responder.counters, config.respond.mode);
          const withHint = responses === null ? null : `${responses} (ouwatch actions list --db ${config.store.path})`;
          process.stderr.write(formatSummary(runtime.counters, report, { alerts, responses: withHint, warnings }) + '\n');
        }
        const drained = await runtime.delivery.worker.drain(config.outbox.replayDrainSeconds * 1000);
        const note = describeDrain(drained);
        if (note && (!flags.quiet || Object.keys(drained.pending).length > 0 || drained.failed > 0)) process.stderr.write(note + '\n');
      } catch (err) {
        // A full disk or a read-only store is not a bug: one line (main.ts), exit 1. What was
        // committed, checkpoints included, is consistent: a later replay resumes from it.
        throw runtime.storageFault(err) ?? err;
      } finally {
        // The cursor is written when stdout took the alerts: the store must still be open then.
        await shown.flushed();
        await runtime.close();
      }
    });
  storeOptions(cmd);
}

/** A log that clears the progress line before each message. */
function clearingFirst(log: Log, clear: () => void): Log {
  return {
    info: (m, f) => (clear(), log.info(m, f)),
    warn: (m, f) => (clear(), log.warn(m, f)),
    error: (m, f) => (clear(), log.error(m, f)),
  };
}
