import type { Command } from 'commander';
import { createRuntime } from '../app/runtime.js';
import { replayFiles } from '../app/replay.js';
import type { Severity, StoredAlert } from '../core/alerts.js';
import { toAlertJson } from '../core/alerts.js';
import { describeDrain } from '../app/delivery.js';
import { errorsOnly, stderrLog, type Log } from '../core/log.js';
import { alertCounts, alertTableHeader, alertTableRow, terminalWidth } from './alert-format.js';
import { UsageError, checkTimeZone, colours, fmtInt } from './common.js';
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
    .description('replay archived logs (plain, .gz, docker json-file, CRI, kubectl --timestamps and --prefix, Loki and Elasticsearch/OpenSearch exports, log4j2 JSON; - = stdin) into the history db and show the alerts they raise')
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
      const runtime = await createRuntime(config, { log, command: 'replay', onCommit: (r) => shown.committed(r.raised) });
      shown.printed = () => void runtime.output.printedAll().catch(() => undefined);
      try {
        // Alerts a killed replay committed and did not print: printed first (at least once).
        void shown.committed(await runtime.output.unprinted());
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
          const warnings = [runtime.detection.visibility.warning(), noEventWarning(runtime.counters)].filter((w): w is string => w !== null);
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

/** Said when an input held no OpenUnison event at all: a wrong file should not pass in silence. */
export function noEventWarning(stats: { linesRead: number; events: Partial<Record<string, number>> }): string | null {
  const events = Object.values(stats.events).reduce<number>((n, k) => n + (k ?? 0), 0);
  if (events > 0 || stats.linesRead === 0) return null;
  return `no OpenUnison event in ${fmtInt(stats.linesRead)} line${stats.linesRead === 1 ? '' : 's'}: is this an OpenUnison log?`;
}

/** Alerts formatted and written at a time. */
const PRINT_CHUNK = 500;

/** Prints the alerts of each commit as they are committed: NDJSON, or a table. */
class AlertPrinter {
  private readonly bySeverity: Partial<Record<Severity, number>> = {};
  raised = 0;
  private headerShown = false;
  private readonly c = colours(process.stdout);

  constructor(private readonly json: boolean) {}

  /** Records that what was committed has reached stdout. */
  printed: () => void = () => undefined;
  /** Commits' alerts not yet written, oldest first, and how far into the first one. */
  private readonly queue: StoredAlert[][] = [];
  private at = 0;
  private writing = false;
  private idle: Array<() => void> = [];
  /** Commits waiting for the alerts of earlier commits to be written (backpressure). */
  private room: Array<() => void> = [];

  /** Resolves once everything written so far has reached stdout (and the cursor says so). */
  flushed(): Promise<void> {
    return this.writing ? new Promise((done) => this.idle.push(done)) : Promise.resolve();
  }

  /** Called before alerts are written (a progress line on the terminal is cleared first). */
  beforeWrite: () => void = () => undefined;

  /**
   * Queues a commit's alerts; resolves once the alerts of earlier commits are written. The
   * replay waits for it before its next commit, so a reader slower than the replay (`--json`
   * into a pipe read slowly) holds the replay back: at most one commit's alerts wait in memory,
   * however long the input.
   */
  committed(raised: StoredAlert[]): Promise<void> {
    if (raised.length === 0) return Promise.resolve();
    for (const a of raised) {
      this.raised++;
      this.bySeverity[a.severity] = (this.bySeverity[a.severity] ?? 0) + 1;
    }
    this.queue.push(raised);
    if (!this.writing) {
      this.writing = true;
      this.writeNext();
    }
    return this.queue.length <= 1 ? Promise.resolve() : new Promise((done) => this.room.push(done));
  }

  /**
   * Formats and writes at most PRINT_CHUNK alerts, then the next chunk once stdout took them:
   * a storm's hundred thousand alerts never sit in memory as text, and a slow reader holds
   * back only what it has not read yet.
   */
  private writeNext(): void {
    const batch = this.queue[0];
    if (batch === undefined) {
      this.writing = false;
      // Only now is every committed alert on stdout: the cursor may say so.
      this.printed();
      for (const done of this.idle.splice(0)) done();
      return;
    }
    const end = Math.min(batch.length, this.at + PRINT_CHUNK);
    let text = '';
    for (let i = this.at; i < end; i++) text += (this.json ? JSON.stringify(toAlertJson(batch[i])) : this.row(batch[i])) + '\n';
    if (end === batch.length) {
      this.queue.shift();
      this.at = 0;
      // The last one queued is being written: the commit that queued it may go on.
      if (this.queue.length <= 1) for (const go of this.room.splice(0)) go();
    } else this.at = end;
    this.beforeWrite();
    process.stdout.write(text, (err) => {
      if (err) {
        // The reader went away (a closed pipe): nothing more can be shown, and the cursor keeps
        // these alerts unprinted for the next run.
        this.queue.length = 0;
        this.writing = false;
        for (const done of this.idle.splice(0)) done();
        for (const go of this.room.splice(0)) go();
        return;
      }
      this.writeNext();
    });
  }

  counts(repeats: number): string {
    return alertCounts(this.bySeverity, repeats);
  }

  private row(a: StoredAlert): string {
    const head = this.headerShown ? '' : alertTableHeader(this.c) + '\n';
    this.headerShown = true;
    return head + alertTableRow(a, this.c, terminalWidth());
  }
}
