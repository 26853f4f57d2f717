import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/app/config.js';
import { createRuntime, type Runtime } from '../../src/app/runtime.js';
import { buildSources } from '../../src/app/run/sources.js';
import { silentLog } from '../../src/core/log.js';
import { sourceOf } from '../../src/core/log-event.js';
import type { LiveSource } from '../../src/core/live-source.js';
import { accessLine } from './lines.js';
import { waitFor } from './wait.js';

/**
 * The daemon's ingest in-process: a real runtime (SQLite file, ingest worker, detection and
 * history) fed by the live sources the configuration asks for, built by the daemon's own
 * wiring. It records every event processed, in processing order, and the sources' log.
 */
export interface LiveHarness {
  runtime: Runtime;
  sources: LiveSource[];
  /** The line of each event processed, in order. */
  processed: string[];
  /** `origin:line` of each processed event. */
  origins: string[];
  /** The sources' log records (pino JSON), every level from info up. */
  logs: Array<{ level: number; msg: string; [key: string]: unknown }>;
  /** Stops the sources, processes and commits what was read, closes the store. */
  close(): Promise<void>;
}

export interface LiveOptions {
  mergeWindowMs?: number;
  commitIntervalMs?: number;
  /** Changes to the configuration (sources, start position, poll intervals). */
  configure(config: Config): void;
  /** Called with the runtime before the sources start (to watch or wrap what they call). */
  beforeStart?(runtime: Runtime): void;
}

export async function liveHarness(dbPath: string, opts: LiveOptions): Promise<LiveHarness> {
  const config = loadConfig();
  config.store.path = dbPath;
  config.sources.pollIntervalMs = 20;
  config.sources.rescanIntervalMs = 100;
  opts.configure(config);
  const runtime = await createRuntime(config, {
    log: silentLog,
    command: 'test',
    commitIntervalMs: opts.commitIntervalMs ?? 50,
    mergeWindowMs: opts.mergeWindowMs ?? 100,
    onFailure: (err) => {
      throw err;
    },
  });
  const processed: string[] = [];
  const origins: string[] = [];
  // Every event passes detection exactly once, in processing order: record it on its way.
  const detection = runtime.detection;
  const judge = detection.event.bind(detection);
  detection.event = (e, user) => {
    processed.push(e.raw());
    origins.push(sourceOf(e));
    return judge(e, user);
  };
  await loadAddressTables(runtime);
  const logs: LiveHarness['logs'] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line) as LiveHarness['logs'][number]);
      done();
    },
  });
  const log = pino({ level: 'info' }, sink);
  const sources = buildSources(config, runtime, log, 'test configuration');
  opts.beforeStart?.(runtime);
  // As the daemon starts them: nothing is processed until every source opened what it found.
  runtime.ingest.hold();
  try {
    for (const s of sources) await s.start();
  } finally {
    runtime.ingest.resume();
  }
  let closed: Promise<void> | null = null;
  return {
    runtime,
    sources,
    processed,
    origins,
    logs,
    close() {
      closed ??= (async () => {
        await Promise.all(sources.map((s) => s.stop()));
        await runtime.ingest.stop();
        await runtime.close();
      })();
      return closed;
    },
  };
}

/**
 * The ingest worker loads its offline address tables (about a second) when it meets its first
 * public address. The merge window is counted from when bytes arrive, not from when they are
 * parsed, so a first batch that waits for the tables lets one input's first events out before
 * another input's bytes that arrived with them (a known fault of the merge). A daemon pays that
 * once at start-up; the tests pay it here, on a line that is parsed and then dropped unseen.
 */
async function loadAddressTables(runtime: Runtime): Promise<void> {
  const feed = runtime.ingest.open({ origin: 'address tables', identity: { kind: 'none' }, startOffset: 0, startLineNo: 0, live: true });
  feed.push(Buffer.from(accessLine({ ip: '81.2.69.142' }) + '\n'));
  feed.abandon();
  await waitFor('the address tables to load', () => feed.settled, 30_000);
}
