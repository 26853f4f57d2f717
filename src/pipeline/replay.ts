import type { CommitResult, Pipeline } from './pipeline.js';
import { ParseService } from './parse-service.js';
import { DEFAULT_MAX_LINE_BYTES } from '../components/decode/lines.js';
import type { InputFormat } from '../components/decode/wrappers.js';
import { collectGarbage } from './heap.js';
import { mergeByTime } from './merge.js';
import { PackedFeed } from './packed-feed.js';
import { ReplayInput, checkInputPaths } from '../components/sources/files/archive-input.js';

export interface ReplayOptions {
  /** Ignore checkpoints and read every input from its first byte. */
  fromStart?: boolean;
  /** Commit after this many lines (bounded memory, bounded loss on a crash). */
  commitEvery?: number;
  /** Called after each commit with what it committed (alerts to print). */
  onCommit?: (result: CommitResult) => unknown;
  maxLineBytes?: number;
  /** Before each commit: throws (a StorageFault) when the store cannot be written now. */
  beforeCommit?: () => void;
}

export interface ReplayReport {
  inputs: Array<{ origin: string; format: InputFormat | null; resumedAt: number; linesRead: number; bytesRead: number; warning: string | null }>;
  warnings: string[];
  elapsedMs: number;
}

/**
 * Replays files (plain, .gz, docker json-file, CRI; `-` = stdin) through the pipeline in time
 * order, resuming each input after its checkpoint. Parsing runs on a worker thread. Throws
 * InputError before reading anything if an argument cannot be used.
 */
/** Lines between two full garbage collections (see util/heap.ts). */
const GC_EVERY_LINES = 200_000;

export async function replay(paths: string[], pipeline: Pipeline, opts: ReplayOptions = {}): Promise<ReplayReport> {
  await checkInputPaths(paths);
  const started = performance.now();
  const commitEvery = opts.commitEvery ?? 1_000_000;
  const lookup = opts.fromStart ? () => null : (fp: string) => pipeline.checkpointFor(fp);
  const inputs = paths.map((p) => new ReplayInput(p, lookup));
  const warnings: string[] = [];
  const start = new Map<ReplayInput, { offset: number; lineNo: number }>();
  const feedOf = new Map<ReplayInput, PackedFeed>();
  const service = new ParseService(pipeline.clock.timeZone, opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  try {
    // Identify every input first: the same log given twice (or a copy) is read once.
    const feeds: PackedFeed[] = [];
    const byFingerprint = new Map<string, ReplayInput>();
    for (const input of inputs) {
      await input.identify();
      const fp = input.cursor.fingerprint;
      const twin = fp === null ? undefined : byFingerprint.get(fp);
      if (twin !== undefined) {
        warnings.push(`${input.cursor.origin} is the same log as ${twin.cursor.origin} (same first line): read once`);
        input.close();
        continue;
      }
      if (fp !== null) byFingerprint.set(fp, input);
      start.set(input, { offset: input.cursor.offset, lineNo: input.cursor.lineNo });
      const feed = new PackedFeed(service, input);
      feeds.push(feed);
      feedOf.set(input, feed);
    }

    const consume = (feed: PackedFeed): void => {
      pipeline.processPacked(feed.source.cursor, feed.batch!, feed.index++, feed.tables);
    };
    const commit = async (): Promise<void> => {
      opts.beforeCommit?.();
      const result = pipeline.commit(); // not inside `onCommit?.()`: that would skip the commit
      await opts.onCommit?.(result);
    };
    let collectAt = GC_EVERY_LINES;
    await mergeByTime(feeds, consume, async () => {
      if (pipeline.pending >= commitEvery) await commit();
      if (pipeline.stats.linesRead >= collectAt) {
        collectAt = pipeline.stats.linesRead + GC_EVERY_LINES;
        collectGarbage();
      }
    });
    await commit();
  } finally {
    await service.close();
  }

  for (const input of inputs) if (input.warning) warnings.push(input.warning);
  return {
    inputs: inputs
      .filter((i) => start.has(i))
      .map((i) => {
        const s = start.get(i)!;
        return {
          origin: i.cursor.origin,
          format: feedOf.get(i)?.format ?? null,
          resumedAt: s.offset,
          linesRead: i.cursor.lineNo - s.lineNo,
          bytesRead: i.cursor.offset - s.offset,
          warning: i.warning,
        };
      }),
    warnings,
    elapsedMs: performance.now() - started,
  };
}
