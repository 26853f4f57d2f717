import type pg from 'pg';
import type { EventType } from '../../core/events.js';
import type { UserHistory } from '../../core/history.js';
import type { ActivityRow, UserQueries } from '../../core/review-ports.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A user's history and activity on PostgreSQL (as SQLite's user-history.ts and user-queries.ts). */
export class PgUserQueries implements UserQueries {
  constructor(private readonly pool: pg.Pool) {}

  async history(dn: string, maxSessions: number): Promise<UserHistory | null> {
    const u = (await this.pool.query<{ id: number; dn: string; dn_sha1: string; first_seen: number; last_seen: number; counts: string }>('SELECT id, dn, dn_sha1, first_seen, last_seen, counts FROM users WHERE dn = $1', [dn])).rows[0];
    if (u === undefined) return null;
    const ips = await this.pool.query<{ ip: string; country: string | null; first_seen: number; last_seen: number; count: number }>(
      'SELECT ip, country, first_seen, last_seen, count FROM user_ips WHERE user_id = $1 ORDER BY last_seen DESC, ip',
      [u.id],
    );
    const countries = await this.pool.query<{ country: string; first_seen: number; last_seen: number; count: number }>(
      'SELECT country, first_seen, last_seen, count FROM user_countries WHERE user_id = $1 ORDER BY last_seen DESC, country',
      [u.id],
    );
    const sessions = await this.pool.query<{ session_id: string; first_seen: number; last_seen: number; count: number; ips: string }>(
      `SELECT s.session_id, s.first_seen, s.last_seen, s.count,
              (SELECT coalesce(json_agg(i.ip ORDER BY i.first_seen, i.ip), '[]')::text FROM session_ips i WHERE i.user_id = s.user_id AND i.session_id = s.session_id) AS ips
       FROM sessions s WHERE s.user_id = $1 ORDER BY s.last_seen DESC LIMIT $2`,
      [u.id, maxSessions],
    );
    return {
      dn: u.dn,
      dnSha1: u.dn_sha1,
      firstSeen: iso(u.first_seen),
      lastSeen: iso(u.last_seen),
      counts: JSON.parse(u.counts) as Partial<Record<EventType, number>>,
      ips: ips.rows.map((r) => ({ ip: r.ip, country: r.country, firstSeen: iso(r.first_seen), lastSeen: iso(r.last_seen), count: r.count })),
      countries: countries.rows.map((r) => ({ country: r.country, firstSeen: iso(r.first_seen), lastSeen: iso(r.last_seen), count: r.count })),
      sessions: sessions.rows.map((r) => ({ sessionId: r.session_id, firstSeen: iso(r.first_seen), lastSeen: iso(r.last_seen), count: r.count, ips: JSON.parse(r.ips) as string[] })),
    };
  }

  /** As on SQLite: any case (JavaScript's, not the database's), substring either way, most recently seen first. */
  async similar(dn: string, limit: number): Promise<string[]> {
    const needle = dn.toLowerCase();
    const out: string[] = [];
    const PAGE = 2_000;
    for (let offset = 0; out.length < limit; offset += PAGE) {
      const rows = (await this.pool.query<{ dn: string }>('SELECT dn FROM users ORDER BY last_seen DESC, dn LIMIT $1 OFFSET $2', [PAGE, offset])).rows;
      for (const r of rows) {
        const hay = r.dn.toLowerCase();
        if (hay.includes(needle) || needle.includes(hay)) out.push(r.dn);
        if (out.length >= limit) break;
      }
      if (rows.length < PAGE) break;
    }
    return out;
  }

  async activity(dn: string, from: number, to: number): Promise<ActivityRow[]> {
    return (await this.pool.query<ActivityRow>('SELECT hour, ip, country, events, failures FROM user_activity WHERE user_id = (SELECT id FROM users WHERE dn = $1) AND hour >= $2 AND hour < $3 ORDER BY hour, ip', [dn, from, to])).rows;
  }
}
