import type { Db } from './database.js';

/**
 * How far a time-stamped stream (a pod's log through the Kubernetes API) has been processed:
 * the stamp of the last processed line and how many lines carried exactly that stamp (the
 * runtime stamps every line of one read from the container's pipe alike, so ties are common).
 */
export interface StreamPosition {
  stream: string;
  origin: string;
  /** Normalised RFC 3339 stamp (see src/sources/k8s-time.ts); null before the first line. */
  lastTime: string | null;
  atLastTime: number;
  lineNo: number;
}

interface Row {
  stream: string;
  origin: string;
  last_time: string;
  at_last_time: number;
  line_no: number;
}

export class StreamPositionStore {
  private readonly select;
  private readonly upsert;
  private readonly prune;

  constructor(db: Db) {
    this.select = db.prepare('SELECT * FROM stream_positions WHERE stream = ?');
    this.upsert = db.prepare(`
      INSERT INTO stream_positions (stream, origin, last_time, at_last_time, line_no, updated_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (stream) DO UPDATE SET origin = excluded.origin, last_time = excluded.last_time,
        at_last_time = excluded.at_last_time, line_no = excluded.line_no, updated_at = excluded.updated_at`);
    this.prune = db.prepare('DELETE FROM stream_positions WHERE updated_at < ?');
  }

  get(stream: string): StreamPosition | null {
    const r = this.select.get(stream) as Row | undefined;
    if (r === undefined) return null;
    return { stream: r.stream, origin: r.origin, lastTime: r.last_time, atLastTime: r.at_last_time, lineNo: r.line_no };
  }

  /** Run inside the transaction that stores the state produced up to this position. */
  put(p: StreamPosition): void {
    if (p.lastTime === null) return;
    this.upsert.run(p.stream, p.origin, p.lastTime, p.atLastTime, p.lineNo, Date.now());
  }

  /** Forgets streams (pods long gone) not written since `before` (epoch ms). */
  pruneOlderThan(before: number): number {
    return this.prune.run(before).changes;
  }
}
