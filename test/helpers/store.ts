import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/app/config.js';
import { replayFiles, type ReplayOptions, type ReplayReport } from '../../src/app/replay.js';
import { openReviewStore } from '../../src/app/review/store.js';
import { createRuntime, type PipelineLimits, type Runtime } from '../../src/app/runtime.js';
import { EVENT_TYPES, type EventType } from '../../src/core/events.js';
import type { Log } from '../../src/core/log.js';
import type { EventBatch } from '../../src/pipeline/batch.js';
import type { StateRow } from '../../src/components/detect/state-table.js';
import type { ReviewStore } from '../../src/core/review-ports.js';
import { runCli } from './cli.js';
import { historySql, withoutNumbers } from './history-sql.js';
import { detectorStateByKey } from './detector-state.js';

/** Warnings (a response held back as stale) are not what these tests look at. */
const SILENT: Log = { info() {}, warn() {}, error() {} };

/** An event as a replay processed it (what the tests look at). */
export interface ReplayedEvent {
  type: EventType;
  ts: number;
  lineNo: number;
  raw: string;
  dn: string | null;
}

export interface ReplayRun {
  report: ReplayReport;
  /** The run's counters (lines read, line kinds, events by type). */
  stats: Runtime['counters'];
  /** Every event the run processed, in order. */
  events: ReplayedEvent[];
}

/** One replay into the SQLite file at `dbPath`, as a separate run (its own runtime: connection, worker, pipeline). */
export async function replayInto(dbPath: string, paths: string[], opts: ReplayOptions & { timeZone?: string; commitEvery?: number; limits?: PipelineLimits } = {}): Promise<ReplayRun> {
  const config = loadConfig();
  config.store.path = dbPath;
  if (opts.timeZone !== undefined) config.parse.timeZone = opts.timeZone;
  if (opts.commitEvery !== undefined) config.store.commitEvery = opts.commitEvery;
  const events: ReplayedEvent[] = [];
  const dns = new Map<number, string>();
  const decoder = new TextDecoder();
  const onBatch = (b: EventBatch) => {
    for (let k = 0; k < b.added.dns.length; k += 2) dns.set(b.added.dns[k] as number, b.added.dns[k + 1] as string);
    for (let i = 0; i < b.count; i++) {
      events.push({
        type: EVENT_TYPES[b.types[i]],
        ts: b.times[i],
        lineNo: b.lineNos[i],
        raw: decoder.decode(b.text.subarray(b.lineStarts[i], b.lineEnds[i])),
        dn: dns.get(b.dns[i]) ?? null,
      });
    }
  };
  const runtime = await createRuntime(config, { onBatch, command: 'replay', log: SILENT, limits: opts.limits });
  try {
    const report = await replayFiles(paths, runtime, opts);
    return { report, stats: runtime.counters, events };
  } finally {
    await runtime.close();
  }
}

/**
 * Every history table, rows sorted: two dbs hold the same history iff their dumps are equal.
 * The file a user's last location was read from (its evidence line's source) is reduced to its
 * line number, so that the same lines replayed from files of other names compare equal.
 */
export function dumpHistory(dbPath: string): Record<string, unknown[]> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const out: Record<string, unknown[]> = {};
    for (const [table, order] of [
      ['users', 'dn'],
      ['user_ips', 'dn, ip'],
      ['user_countries', 'dn, country'],
      ['sessions', 'session_id, dn'],
      ['session_ips', 'session_id, dn, ip'],
      ['user_activity', 'dn, hour, ip'],
    ] as const) {
      out[table] = (db.prepare(historySql(table, order)).all() as Array<Record<string, unknown>>).map(withoutNumbers);
    }
    for (const u of out.users as Array<{ last_geo: string | null }>) {
      if (u.last_geo === null) continue;
      const geo = JSON.parse(u.last_geo) as { line: { source: string } };
      geo.line.source = geo.line.source.slice(geo.line.source.lastIndexOf(':'));
      u.last_geo = JSON.stringify(geo);
    }
    return out;
  } finally {
    db.close();
  }
}

/** How far the committed positions reach (the largest offset of any checkpoint); 0 before the store exists. */
export function committedOffset(dbPath: string): number {
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT coalesce(max(offset), 0) AS o FROM checkpoints').get() as { o: number }).o;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not created yet
  }
}

export function checkpointRows(dbPath: string): Array<{ path: string; offset: number; line_no: number }> {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT path, offset, line_no FROM checkpoints ORDER BY path').all() as Array<{ path: string; offset: number; line_no: number }>;
  } finally {
    db.close();
  }
}

/**
 * What detection stored (alerts, detector state, incidents), rows sorted, without wall-clock
 * columns: two replays of the same lines hold the same detection iff their dumps are equal.
 */
export function dumpDetection(dbPath: string): Record<string, unknown[]> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const drop = (rows: unknown[], ...cols: string[]) =>
      (rows as Array<Record<string, unknown>>).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !cols.includes(k))));
    return {
      alerts: drop(db.prepare('SELECT * FROM alerts ORDER BY id').all(), 'created_at'),
      // As a start reads it: runs that committed at other moments store chunks differently.
      detector_state: detectorStateByKey(
        db.prepare('SELECT scope, key, state, expires FROM detector_state').all() as StateRow[],
        (db.prepare('SELECT max(last_seen) FROM users').pluck().get() as number | null) ?? 0,
      ),
      incidents: drop(db.prepare('SELECT * FROM incidents ORDER BY id').all(), 'created_at', 'updated_at'),
      incident_alerts: db.prepare('SELECT * FROM incident_alerts ORDER BY incident_id, alert_id').all(),
    };
  } finally {
    db.close();
  }
}

/**
 * `ouwatch replay LOG --db DB` (a SQLite path or a PostgreSQL URL) in a child process, then the
 * review store the CLI and the console read, opened on DB (the caller closes it).
 */
export async function replayedReviewStore(log: string, db: string, timeoutMs = 60_000): Promise<ReviewStore> {
  // Thousands of alerts on stdout: the asynchronous runner keeps them all.
  const r = await runCli(['replay', log, '--db', db, '--quiet'], { timeoutMs });
  assert.equal(r.code, 0, r.stderr);
  const config = loadConfig();
  config.store.path = db;
  return openReviewStore(config);
}
