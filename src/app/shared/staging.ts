import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { LogEvent } from '../../core/log-event.js';
import type { LiveSource } from '../../core/live-source.js';
import type { SourceStatus } from '../../core/runtime.js';
import type { CommitScope, Committer } from '../../pipeline/commit-policy.js';
import type { Feed } from '../../pipeline/feed.js';
import { Ingest, type EventProcessor } from '../../pipeline/ingest.js';
import { IngestWorker } from '../../pipeline/worker-client.js';
import { openPool, type PgLocation } from '../../store/postgres/connection.js';
import { migratePostgres } from '../../store/postgres/database.js';
import { PgPipelineStore } from '../../store/postgres/pipeline-store.js';
import { PgStaging, type StagedLine } from '../../store/postgres/staging.js';
import { pgStorageFaultOf } from '../../store/postgres/storage-fault.js';
import type { Config } from '../config.js';
import { buildSources } from '../run/sources.js';

/** How often an idle reader says it is alive (and whether it has bytes left to read). */
const REPORT_MS = 1_000;

/**
 * The event lines read since the last staging commit. Evidence names them `<reader>:<origin>`:
 * every sidecar reads the same path in its own pod, and the reader (the pod) tells them apart.
 */
class StagingProcessor implements EventProcessor {
  lines: StagedLine[] = [];

  constructor(
    private readonly reader: string,
    private readonly feeds: () => readonly Feed[],
  ) {}

  prepare(): void {}

  event(e: LogEvent): void {
    const feed = this.feeds().find((f) => f.id === e.input);
    const id = feed?.reg.identity;
    const input = id?.kind === 'file' ? id.fingerprint : id?.kind === 'stream' ? id.key : null;
    // An input without an identity (too short to know yet) is not staged: its position is not stored either.
    if (input === null) return;
    this.lines.push({ input, origin: `${this.reader}:${e.origin}`, lineNo: e.lineNo, time: e.ts, line: e.raw() });
  }

  get pending(): number {
    return this.lines.length;
  }

  /** The lines held in memory until the next commit (a large backlog commits early). */
  get backlog(): number {
    return this.lines.length;
  }

  /** Staging keeps no history and detects nothing: the readers' lines are judged where they are merged. */
  readonly newUsers = 0;
  readonly heldAlerts = 0;
  readonly heldRows = 0;
}

/** Whether any input has bytes the reader has not processed yet (lines older than others' may still come). */
function behind(feeds: readonly Feed[]): boolean {
  return feeds.some((f) => {
    if (f.done) return false;
    if (!f.settled || f.batches.length > 0) return true;
    const id = f.reg.identity;
    if (id.kind !== 'file') return false;
    try {
      return statSync(id.path).size > f.position.offset;
    } catch {
      return false;
    }
  });
}

/** Writes the staged lines with the positions of the inputs they came from, in one transaction. */
class StagingCommitter implements Committer {
  constructor(
    private readonly staging: PgStaging,
    private readonly processor: StagingProcessor,
    private readonly feeds: () => readonly Feed[],
  ) {}

  async commit(scope: CommitScope): Promise<void> {
    const lines = this.processor.lines.slice();
    const positions = scope.feeds.filter((f) => f.reg.identity.kind !== 'none').map((f) => ({ identity: f.reg.identity, origin: f.origin, position: f.current() }));
    const stagedTo = lines.length === 0 ? null : Math.max(...lines.map((l) => l.time));
    await this.staging.stage(lines, positions, { stagedTo, behind: behind(this.feeds()) });
    // Nothing is processed while a commit is made (the loop waits for it): these are the lines written.
    this.processor.lines.splice(0, lines.length);
  }
}

/** One reader's side of shared reading: its own sources, parsed, their event lines staged. */
export interface StagingPipeline {
  readonly reader: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): SourceStatus[];
}

/**
 * Reads this reader's logs (the configured sources: its replica's files) and stages their
 * event lines with their positions, whoever detects. A store it cannot reach pauses the
 * reading (the pipeline holds a failed commit) and is retried with backoff.
 */
export async function openStaging(config: Config, loc: PgLocation, reader: string, log: Logger, configFile: string): Promise<StagingPipeline> {
  const pool = openPool(loc);
  await migratePostgres(pool);
  const staging = new PgStaging(pool, reader);
  const reads = new PgPipelineStore(pool, null, '');
  const worker = new IngestWorker({ timeZone: config.parse.timeZone, maxLineBytes: config.parse.maxLineBytes, networkBits: config.detect.networks });
  let ingest: Ingest | null = null;
  const feeds = () => ingest?.inputs ?? [];
  const processor = new StagingProcessor(reader, feeds);
  let retry: NodeJS.Timeout | null = null;
  let delay = 1_000;
  const resume = () => {
    retry = setTimeout(() => {
      retry = null;
      ingest!.resumeAfterFault().then(
        () => {
          delay = 1_000;
          log.info({ reader }, 'staging: the database takes writes again: reading resumed');
        },
        () => {
          delay = Math.min(delay * 2, 30_000);
          resume();
        },
      );
    }, delay);
  };
  ingest = new Ingest({
    worker,
    processor,
    committer: new StagingCommitter(staging, processor, feeds),
    mergeWindowMs: config.sources.mergeWindowMs,
    commitEveryLines: config.store.commitEvery,
    commitIntervalMs: config.sources.commitIntervalMs,
    onFailure: (err) => log.fatal({ err: (err as Error).message }, 'staging failed'),
    storageFault: {
      classify: (err) => pgStorageFaultOf(err, loc.url),
      onFault: (fault) => {
        log.error({ reader, err: fault.message }, 'staging: storage fault: reading paused, retrying with backoff');
        resume();
      },
    },
  });
  const sources: LiveSource[] = buildSources(config, { ingest, store: reads }, log, configFile);
  let reporting: NodeJS.Timeout | null = null;
  return {
    reader,
    async start() {
      await staging.report(true);
      for (const s of sources) await s.start();
      reporting = setInterval(() => {
        staging.report(behind(feeds())).catch(() => undefined);
      }, REPORT_MS);
      reporting.unref();
      log.info({ reader, sources: sources.map((s) => s.name) }, 'staging: reading this replica\'s logs into the shared database');
    },
    async stop() {
      if (reporting) clearInterval(reporting);
      if (retry) clearTimeout(retry);
      await Promise.all(sources.map((s) => s.stop().catch(() => undefined)));
      await ingest!.stop().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'staging: the last commit failed (read again after a restart)'));
      await worker.terminate();
      await pool.end().catch(() => undefined);
    },
    status: () => sources.map((s) => s.status()),
  };
}
