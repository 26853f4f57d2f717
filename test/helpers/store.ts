import Database from 'better-sqlite3';
import type { Event } from '../../src/core/events.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { replay, type ReplayOptions, type ReplayReport } from '../../src/pipeline/replay.js';
import { openDatabase } from '../../src/store/sqlite/database.js';

export interface ReplayRun {
  report: ReplayReport;
  stats: Pipeline['stats'];
  /** Every event the run processed, in order. */
  events: Event[];
}

/** One replay into the SQLite file at `dbPath`, as a separate run (its own connection and pipeline). */
export async function replayInto(dbPath: string, paths: string[], opts: ReplayOptions & { timeZone?: string } = {}): Promise<ReplayRun> {
  const db = openDatabase(dbPath);
  try {
    const events: Event[] = [];
    const pipeline = new Pipeline({ db, timeZone: opts.timeZone, observers: [(e) => events.push(e)] });
    const report = await replay(paths, pipeline, opts);
    return { report, stats: pipeline.stats, events };
  } finally {
    db.close();
  }
}

/** Every history table, rows sorted: two dbs hold the same history iff their dumps are equal. */
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
    ] as const) {
      out[table] = db.prepare(`SELECT * FROM ${table} ORDER BY ${order}`).all();
    }
    return out;
  } finally {
    db.close();
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
