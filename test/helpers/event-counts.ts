import Database from 'better-sqlite3';
import { isUserDn } from '../../src/core/events.js';
import { parseText } from '../parse/scan.js';

/** Events per user DN and type: what a run committed, or what a log holds. */
export type EventCounts = Record<string, Record<string, number>>;

/**
 * What the history in the db at `path` counted for each user (every event of a person's DN
 * is counted there once, so lost or doubled lines show as different counts).
 */
export function committedCounts(path: string): EventCounts {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const out: EventCounts = {};
    for (const r of db.prepare('SELECT dn, counts FROM users').all() as Array<{ dn: string; counts: string }>) out[r.dn] = JSON.parse(r.counts) as Record<string, number>;
    return out;
  } finally {
    db.close();
  }
}

/** The same counts for the events in `text` (plain log4j lines), read as a replay reads them. */
export function countsOf(text: string): EventCounts {
  const out: EventCounts = {};
  for (const e of parseText(text).events) {
    const dn = e.dn?.dn ?? null;
    if (!isUserDn(dn)) continue;
    const c = (out[dn] ??= {});
    c[e.typeName] = (c[e.typeName] ?? 0) + 1;
  }
  return out;
}

export function totalOf(c: EventCounts): number {
  let n = 0;
  for (const byType of Object.values(c)) for (const k of Object.values(byType)) n += k;
  return n;
}
