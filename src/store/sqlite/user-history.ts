import type { EventType } from '../../core/events.js';
import type { UserHistory } from '../../core/history.js';
import type { Db } from './database.js';
import { userByDn } from './user-key.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A user's recorded history for `ouwatch user` (null when the DN was never seen). */
export function readUserHistory(db: Db, dn: string, maxSessions = 50): UserHistory | null {
  const byDn = userByDn(db);
  const u = db.prepare(`SELECT id, dn, dn_sha1, first_seen, last_seen, counts FROM users WHERE ${byDn.where}`).get(byDn.params(dn)) as
    | { id: number; dn: string; dn_sha1: string; first_seen: number; last_seen: number; counts: string }
    | undefined;
  if (u === undefined) return null;
  const ips = db
    .prepare('SELECT ip, country, first_seen, last_seen, count FROM user_ips WHERE user_id = ? ORDER BY last_seen DESC, ip')
    .all(u.id) as Array<{ ip: string; country: string | null; first_seen: number; last_seen: number; count: number }>;
  const countries = db
    .prepare('SELECT country, first_seen, last_seen, count FROM user_countries WHERE user_id = ? ORDER BY last_seen DESC, country')
    .all(u.id) as Array<{ country: string; first_seen: number; last_seen: number; count: number }>;
  const sessions = db
    .prepare(
      `SELECT s.session_id, s.first_seen, s.last_seen, s.count,
              (SELECT json_group_array(ip) FROM (SELECT ip FROM session_ips i WHERE i.user_id = s.user_id AND i.session_id = s.session_id ORDER BY first_seen, ip)) AS ips
       FROM sessions s WHERE s.user_id = ? ORDER BY s.last_seen DESC LIMIT ?`,
    )
    .all(u.id, maxSessions) as Array<{ session_id: string; first_seen: number; last_seen: number; count: number; ips: string }>;
  return {
    dn: u.dn,
    dnSha1: u.dn_sha1,
    firstSeen: iso(u.first_seen),
    lastSeen: iso(u.last_seen),
    counts: JSON.parse(u.counts) as Partial<Record<EventType, number>>,
    ips: ips.map((r) => ({ ip: r.ip, country: r.country, firstSeen: iso(r.first_seen), lastSeen: iso(r.last_seen), count: r.count })),
    countries: countries.map((r) => ({ country: r.country, firstSeen: iso(r.first_seen), lastSeen: iso(r.last_seen), count: r.count })),
    sessions: sessions.map((r) => ({
      sessionId: r.session_id,
      firstSeen: iso(r.first_seen),
      lastSeen: iso(r.last_seen),
      count: r.count,
      ips: JSON.parse(r.ips) as string[],
    })),
  };
}

/** DNs that resemble `dn` (case-insensitive substring), to suggest when there is no exact match. */
export function similarDns(db: Db, dn: string, limit = 5): string[] {
  const needle = dn.toLowerCase();
  const rows = db.prepare('SELECT dn FROM users ORDER BY last_seen DESC').iterate() as IterableIterator<{ dn: string }>;
  const out: string[] = [];
  for (const r of rows) {
    const hay = r.dn.toLowerCase();
    if (hay.includes(needle) || needle.includes(hay)) out.push(r.dn);
    if (out.length >= limit) break;
  }
  return out;
}
