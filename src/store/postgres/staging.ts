import type pg from 'pg';
import type { CommitBatch } from '../../core/ports.js';
import { columnsOf, unnestOf } from './bulk.js';
import { writePositions } from './commit-writes.js';
import { inTransaction } from './review-sql.js';

/**
 * Shared reading (`ouwatch run --shared`): several readers of one database, a sidecar per
 * OpenUnison replica. Each reader stages the event lines it reads, with its inputs' positions,
 * in one transaction (PgStaging); the holder of the writer lease reads every reader's staged
 * lines (PgStagedLines), detects over them in log-time order, and deletes what it committed.
 */

/** One staged event line: which input of the reader it came from, where, when, what. */
export interface StagedLine {
  /** The reader's input: a file's fingerprint or a stream's key. */
  input: string;
  /** Its name in evidence (the path, the pod). */
  origin: string;
  lineNo: number;
  time: number;
  line: string;
}

export interface StagedRow extends StagedLine {
  seq: number;
  reader: string;
}

/** What a reader last said about itself. */
export interface ReaderState {
  reader: string;
  /** Log time of the latest line it staged (null: none yet). */
  stagedTo: number | null;
  /** It had bytes left to read: lines older than others' may still come from it. */
  behind: boolean;
  /** Wall clock of its last report. */
  heartbeatAt: number;
}

/** The position key of a reader's input in the detector's checkpoints. */
export function stagedFingerprint(reader: string, input: string): string {
  return `staged:${reader}/${input}`;
}

/** A reader's writes: staged lines with positions, and its reports. */
export class PgStaging {
  constructor(
    private readonly pool: pg.Pool,
    private readonly reader: string,
  ) {}

  /** One transaction: the lines, the positions of the inputs they came from, the reader's report. */
  async stage(lines: readonly StagedLine[], positions: CommitBatch['positions'], report: { stagedTo: number | null; behind: boolean }): Promise<void> {
    const now = Date.now();
    await inTransaction(this.pool, async (c) => {
      if (lines.length > 0) {
        await c.query(
          `INSERT INTO staged_lines (reader, input, origin, line_no, time, line)
           SELECT $6, input, origin, line_no, time, line FROM ${unnestOf(['text', 'text', 'bigint', 'bigint', 'text'])} WITH ORDINALITY AS x(input, origin, line_no, time, line, ord)
           ORDER BY ord`,
          [...columnsOf(lines, [(l) => l.input, (l) => l.origin, (l) => l.lineNo, (l) => l.time, (l) => l.line]), this.reader],
        );
      }
      await writePositions(c, { positions }, now);
      await this.upsertReport(c, report, now);
    });
  }

  /** Says the reader is alive, and whether it has bytes left to read. */
  async report(behind: boolean): Promise<void> {
    await this.upsertReport(this.pool, { stagedTo: null, behind }, Date.now());
  }

  private async upsertReport(q: pg.Pool | pg.ClientBase, r: { stagedTo: number | null; behind: boolean }, now: number): Promise<void> {
    await q.query(
      `INSERT INTO readers (reader, staged_to, behind, heartbeat_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (reader) DO UPDATE SET staged_to = GREATEST(coalesce(readers.staged_to, excluded.staged_to), excluded.staged_to),
         behind = excluded.behind, heartbeat_at = excluded.heartbeat_at`,
      [this.reader, r.stagedTo, r.behind ? 1 : 0, now],
    );
  }
}

/** The detector's reads of what the readers staged. */
export class PgStagedLines {
  constructor(private readonly pool: pg.Pool) {}

  async readers(): Promise<ReaderState[]> {
    const r = await this.pool.query<{ reader: string; staged_to: number | null; behind: number; heartbeat_at: number }>('SELECT * FROM readers ORDER BY reader');
    return r.rows.map((x) => ({ reader: x.reader, stagedTo: x.staged_to, behind: x.behind === 1, heartbeatAt: x.heartbeat_at }));
  }

  /** Lines of `reader` staged after `afterSeq` and not committed by detection yet, in staging order. */
  async after(reader: string, afterSeq: number, limit: number): Promise<StagedRow[]> {
    const r = await this.pool.query<{ seq: number; reader: string; input: string; origin: string; line_no: number; time: number; line: string }>(
      `SELECT s.* FROM staged_lines s LEFT JOIN checkpoints c ON c.fingerprint = 'staged:' || s.reader || '/' || s.input
       WHERE s.reader = $1 AND s.seq > $2 AND s.line_no > coalesce(c.line_no, 0) ORDER BY s.seq LIMIT $3`,
      [reader, afterSeq, limit],
    );
    return r.rows.map((x) => ({ seq: x.seq, reader: x.reader, input: x.input, origin: x.origin, lineNo: x.line_no, time: x.time, line: x.line }));
  }

  /** Forgets lines detection has committed. */
  async prune(done: ReadonlyArray<{ reader: string; input: string; lineNo: number }>): Promise<void> {
    if (done.length === 0) return;
    await this.pool.query(
      `DELETE FROM staged_lines s USING ${unnestOf(['text', 'text', 'bigint'])} AS d(reader, input, line_no)
       WHERE s.reader = d.reader AND s.input = d.input AND s.line_no <= d.line_no`,
      columnsOf(done, [(d) => d.reader, (d) => d.input, (d) => d.lineNo]),
    );
  }
}
