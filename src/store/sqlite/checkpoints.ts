import type { Db } from './database.js';

/** How far an input has been processed; stored in the same transaction as what it produced. */
export interface Checkpoint {
  fingerprint: string;
  path: string;
  offset: number;
  lineNo: number;
  dev: number | null;
  ino: number | null;
}

interface Row {
  fingerprint: string;
  path: string;
  offset: number;
  line_no: number;
  dev: number | null;
  ino: number | null;
}

export class CheckpointStore {
  private readonly select;
  private readonly upsert;
  private readonly selectAll;

  constructor(db: Db) {
    this.select = db.prepare('SELECT * FROM checkpoints WHERE fingerprint = ?');
    this.selectAll = db.prepare('SELECT * FROM checkpoints ORDER BY updated_at DESC');
    this.upsert = db.prepare(`
      INSERT INTO checkpoints (fingerprint, path, offset, line_no, dev, ino, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (fingerprint) DO UPDATE SET path = excluded.path, offset = excluded.offset, line_no = excluded.line_no,
        dev = excluded.dev, ino = excluded.ino, updated_at = excluded.updated_at`);
  }

  get(fingerprint: string): Checkpoint | null {
    const r = this.select.get(fingerprint) as Row | undefined;
    return r === undefined ? null : fromRow(r);
  }

  all(): Checkpoint[] {
    return (this.selectAll.all() as Row[]).map(fromRow);
  }

  /** Run inside the transaction that stores the state produced up to `offset`. */
  put(c: Checkpoint): void {
    this.upsert.run(c.fingerprint, c.path, c.offset, c.lineNo, c.dev, c.ino, Date.now());
  }
}

function fromRow(r: Row): Checkpoint {
  return { fingerprint: r.fingerprint, path: r.path, offset: r.offset, lineNo: r.line_no, dev: r.dev, ino: r.ino };
}
