import pino from 'pino';
import { assemble, type Runtime } from '../../src/app/runtime.js';
import { loadConfig } from '../../src/app/config.js';
import { LiveIngest, type CommitReport } from '../../src/pipeline/live-ingest.js';
import type { RecordConsumer } from '../../src/pipeline/live-input.js';
import type { LiveSource } from '../../src/core/live-source.js';

/** A real runtime (SQLite file in `dir`) with the daemon's ingest loop, recording every line it processes. */
export interface LiveHarness {
  runtime: Runtime;
  ingest: LiveIngest;
  /** Texts handed to pipeline.process, in order. */
  processed: string[];
  /** `origin:line` of each processed text. */
  sources: string[];
  commits: CommitReport[];
  /** Stops the source, drains, commits and closes the db. */
  close(source?: LiveSource): Promise<void>;
}

export function liveHarness(dbPath: string, opts: { mergeWindowMs?: number; commitIntervalMs?: number } = {}): LiveHarness {
  const config = loadConfig();
  config.store.path = dbPath;
  const runtime = assemble(config);
  const processed: string[] = [];
  const sources: string[] = [];
  const commits: CommitReport[] = [];
  const pipeline = runtime.pipeline;
  const consumer: RecordConsumer = {
    process: (cursor, text, lineNo, resume) => {
      processed.push(text);
      sources.push(`${cursor.origin}:${lineNo}`);
      return pipeline.process(cursor, text, lineNo, resume);
    },
    skip: (cursor, reason, lineNo, resume) => pipeline.skip(cursor, reason, lineNo, resume),
  };
  const ingest = new LiveIngest({
    pipeline,
    log: pino({ level: process.env.OUWATCH_TEST_LOG ?? 'silent' }),
    mergeWindowMs: opts.mergeWindowMs ?? 100,
    commitIntervalMs: opts.commitIntervalMs ?? 50,
    consumer,
    onCommit: (r) => commits.push(r),
    onFatal: (err) => {
      throw err;
    },
  });
  return {
    runtime,
    ingest,
    processed,
    sources,
    commits,
    async close(source) {
      await source?.stop();
      ingest.finish();
      await runtime.close();
    },
  };
}
