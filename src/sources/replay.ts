import type { CommitResult, Pipeline } from '../pipeline.js';
import { mergeByTime } from './merge.js';
import { ReplayInput, checkInputPaths } from './replay-input.js';

export interface ReplayOptions {
  /** Ignore checkpoints and read every input from its first byte. */
  fromStart?: boolean;
  /** Commit after this many lines (bounded memory, bounded loss on a crash). */
  commitEvery?: number;
  /** Called after each commit with what it committed (alerts to print). */
  onCommit?: (result: CommitResult) => void;
  maxLineBytes?: number;
}

export interface ReplayReport {
  /** Lines per input processed in this run. */
  inputs: Array<{ origin: string; format: string | null; resumedAt: number; linesRead: number; bytesRead: number; warning: string | null }>;
  warnings: string[];
  elapsedMs: number;
}

/**
 * Replays files (plain, .gz, docker json-file, CRI; `-` = stdin) through the pipeline in time
 * order, resuming each input after its checkpoint. Throws InputError before reading anything
 * if an argument cannot be used.
 */
export async function replay(paths: string[], pipeline: Pipeline, opts: ReplayOptions = {}): Promise<ReplayReport> {
  await checkInputPaths(paths);
  const started = performance.now();
  const commitEvery = opts.commitEvery ?? 250_000;
  const lookup = opts.fromStart ? () => null : (fp: string) => pipeline.checkpointFor(fp);
  const inputs = paths.map((p) => new ReplayInput(p, lookup, opts.maxLineBytes));
  const warnings: string[] = [];
  const resumedAt = new Map<ReplayInput, number>();
  const linesAtStart = new Map<ReplayInput, number>();

  // Identify every input first: the same log given twice (or a copy) is read once.
  const running: ReplayInput[] = [];
  const byFingerprint = new Map<string, ReplayInput>();
  for (const input of inputs) {
    await input.fill();
    const fp = input.cursor.fingerprint;
    const twin = fp === null ? undefined : byFingerprint.get(fp);
    if (twin !== undefined) {
      warnings.push(`${input.cursor.origin} is the same log as ${twin.cursor.origin} (same first line): read once`);
      input.close();
      continue;
    }
    if (fp !== null) byFingerprint.set(fp, input);
    resumedAt.set(input, input.cursor.offset);
    linesAtStart.set(input, input.cursor.lineNo);
    running.push(input);
  }

  const consume = (input: ReplayInput): void => {
    const q = input.queue;
    const i = q.head++;
    const text = q.texts[i];
    if (text !== null) pipeline.process(input.cursor, text, q.lineNos[i], q.resumes[i]);
    else pipeline.skip(input.cursor, q.reasons[i]!, q.lineNos[i], q.resumes[i]);
  };
  const commit = (): void => {
    const result = pipeline.commit(); // not inside `onCommit?.()`: that would skip the commit
    opts.onCommit?.(result);
  };
  await mergeByTime(running, consume, () => {
    if (pipeline.pending >= commitEvery) commit();
  });
  commit();

  for (const input of inputs) if (input.warning) warnings.push(input.warning);
  return {
    inputs: inputs
      .filter((i) => resumedAt.has(i))
      .map((i) => ({
        origin: i.cursor.origin,
        format: i.decoder?.format ?? null,
        resumedAt: resumedAt.get(i) ?? 0,
        linesRead: i.cursor.lineNo - (linesAtStart.get(i) ?? 0),
        bytesRead: i.cursor.offset - (resumedAt.get(i) ?? 0),
        warning: i.warning,
      })),
    warnings,
    elapsedMs: performance.now() - started,
  };
}
