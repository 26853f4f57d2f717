import type { Runtime } from './runtime.js';
import type { ArchiveInput } from '../components/sources/files/archive-input.js';
import { InputError } from '../components/sources/files/archive-input.js';
import { checkInputPaths, replayInputs } from '../components/sources/files/replay-inputs.js';
import { RetentionSchedule } from './retention-schedule.js';

export interface ReplayOptions {
  /** Ignore checkpoints and read every input from its first byte. */
  fromStart?: boolean;
  /** Called once reading starts, with a function telling how far the inputs are (for a progress line). */
  watch?(progress: () => ReplayProgress): void;
}

/** Bytes of the input files consumed and to consume; `total` is null when an input's size is unknown (stdin). */
export interface ReplayProgress {
  done: number;
  total: number | null;
}

export interface ReplayedInput {
  origin: string;
  /** The pod, when the input is one pod's lines of a `kubectl logs --prefix` file. */
  part: string | null;
  format: string | null;
  resumedAt: number;
  linesRead: number;
  bytesRead: number;
  /** Of those, bytes passed over as unreadable. */
  skippedBytes: number;
  warning: string | null;
}

export interface ReplayReport {
  inputs: ReplayedInput[];
  warnings: string[];
  /** Logs recognised by their beginning whose bytes before the checkpoint differ: read from the start. */
  notices: string[];
  /** store.retention's passes during the replay (one per `every` of log time) and the rows they deleted, by table. */
  retention: { passes: number; deleted: Record<string, number> };
  elapsedMs: number;
}

/**
 * Replays files (plain, .gz, docker json-file, CRI, kubectl --timestamps and --prefix, stern, JSON exports; `-` = stdin) through
 * the runtime's ingest pipeline in log-time order, each resuming after its checkpoint, applying
 * store.retention at each `every` of log time as the daemon would. Throws
 * InputError before reading anything if an argument cannot be used.
 */
export async function replayFiles(paths: string[], runtime: Runtime, opts: ReplayOptions = {}): Promise<ReplayReport> {
  await checkInputPaths(paths);
  const started = performance.now();
  const lookup = opts.fromStart ? null : (fp: string) => runtime.store.checkpoint(fp);
  // Files are looked at (pods of a --prefix file, identity, checkpoint) several at a time:
  // one after the other, a thousand rotated files took three seconds of waiting for the disk.
  const inputs = (await inTurn(paths, (p) => replayInputs(p, { timeOrder: true }))).flat();
  try {
    await inTurn(inputs, (input) => input.identify(lookup));
  } catch (err) {
    for (const input of inputs) input.close();
    throw tooManyOpen(err, inputs.length) ?? err;
  }
  const warnings: string[] = [];
  const notices: string[] = [];
  const opened: Array<{ input: ArchiveInput; feed: ReturnType<Runtime['ingest']['open']> }> = [];
  const byFingerprint = new Map<string, ArchiveInput>();
  // Every input is identified first: the same log given twice (or a copy) is read once.
  for (const input of inputs) {
    const fp = input.fingerprint;
    const twin = fp === null ? undefined : byFingerprint.get(fp);
    if (twin !== undefined) {
      warnings.push(`${input.origin} is the same log as ${twin.origin} (same first record line): read once`);
      input.close();
      continue;
    }
    if (fp !== null) byFingerprint.set(fp, input);
    if (input.notice !== null) notices.push(input.notice);
    opened.push({ input, feed: runtime.ingest.open(input.registration()) });
  }
  opts.watch?.(() => {
    let done = 0;
    let total: number | null = 0;
    for (const { input } of opened) {
      const p = input.progress();
      if (p === null) total = null;
      else {
        done += p.done;
        if (total !== null) total += p.total;
      }
    }
    return { done, total };
  });
  // store.retention by log time, as the daemon applies it (a replay of months forgets what it would have).
  const retention = new RetentionSchedule(runtime, runtime.log, { wallClock: false, announce: false });
  runtime.onCommit((r) => retention.committed(r));
  runtime.ingest.wantTicks(() => retention.wanted());
  const pumps = opened.map(({ input, feed }) => input.pump(feed));
  try {
    await runtime.ingest.finish();
  } finally {
    for (const { input } of opened) input.close();
  }
  await Promise.all(pumps);
  for (const input of inputs) if (input.warning) warnings.push(input.warning);
  for (const { input, feed } of opened) {
    // A file is split by pod before it is read; a stream cannot be.
    if (feed.format === 'kubectl-prefix' && input.path === '-') notices.push('stdin is `kubectl logs --prefix` output, read in the order it came: if it holds several pods one after another, save it to a file first (replay reads each pod of a file as its own input, merged by log time)');
  }
  return {
    inputs: opened.map(({ input, feed }) => ({
      origin: input.origin,
      part: input.part,
      format: feed.format,
      resumedAt: input.resumedAt,
      linesRead: feed.linesRead,
      bytesRead: feed.bytesRead,
      skippedBytes: feed.skippedBytes,
      warning: input.warning,
    })),
    warnings,
    notices,
    retention: retention.totals,
    elapsedMs: performance.now() - started,
  };
}

/** Files looked at, at most this many at a time. */
const LOOKUPS_AT_ONCE = 16;

/** `fn` of every item, at most LOOKUPS_AT_ONCE at a time; the results in the items' order, the first failure thrown. */
async function inTurn<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(LOOKUPS_AT_ONCE, items.length) }, worker));
  return out;
}

/**
 * Each input's file stays open from identifying to its end (a log rotated or deleted during
 * the replay is still the one read): more inputs than the process may hold open is a limit
 * to raise or a replay to split, said before anything is read.
 */
function tooManyOpen(err: unknown, inputs: number): InputError | null {
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== 'EMFILE' && code !== 'ENFILE') return null;
  const limit = code === 'EMFILE' ? "this process's limit on open files" : "the system's limit on open files";
  return new InputError(
    `cannot hold ${inputs} inputs open at once: ${limit} was reached (each input's file stays open until it is read); raise it (\`ulimit -n ${Math.max(1024, 2 * inputs + 256)}\`) or replay the files in several runs (each resumes after its checkpoint)`,
  );
}
