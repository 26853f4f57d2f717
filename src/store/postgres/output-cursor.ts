import type pg from 'pg';
import type { AlertOutput } from '../../core/ports.js';
import type { StoredAlert } from '../../core/alerts.js';
import { alertFromRow, type AlertRow } from '../rows.js';

/**
 * What a command has printed of the committed alerts (see the SQLite OutputCursor): the
 * highest `seq` printed, per consumer. A consumer seen for the first time starts at the alerts
 * stored so far.
 */
export class PgOutputCursor implements AlertOutput {
  constructor(
    private readonly pool: pg.Pool,
    private readonly consumer: string,
  ) {}

  async position(): Promise<number> {
    const at = (await this.pool.query<{ seq: number }>('SELECT seq FROM output_cursors WHERE consumer = $1', [this.consumer])).rows[0]?.seq;
    if (at !== undefined) return at;
    const newest = await this.newest();
    await this.put(newest);
    return newest;
  }

  async after(seq: number, limit: number): Promise<Array<{ seq: number; alert: StoredAlert }>> {
    const rows = (await this.pool.query<AlertRow & { seq: number }>('SELECT * FROM alerts WHERE seq > $1 ORDER BY seq LIMIT $2', [seq, limit])).rows;
    return rows.map((r) => ({ seq: r.seq, alert: alertFromRow(r) }));
  }

  async printedThrough(seq: number): Promise<void> {
    await this.put(seq);
  }

  async unprinted(): Promise<StoredAlert[]> {
    const at = await this.position();
    return (await this.pool.query<AlertRow>('SELECT * FROM alerts WHERE seq > $1 AND seq <= $2 ORDER BY seq', [at, await this.newest()])).rows.map(alertFromRow);
  }

  async newest(): Promise<number> {
    return (await this.pool.query<{ s: number }>('SELECT coalesce(max(seq), 0) AS s FROM alerts')).rows[0].s;
  }

  private async put(seq: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO output_cursors (consumer, seq, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (consumer) DO UPDATE SET seq = GREATEST(output_cursors.seq, excluded.seq), updated_at = excluded.updated_at`,
      [this.consumer, seq, Date.now()],
    );
  }
}
