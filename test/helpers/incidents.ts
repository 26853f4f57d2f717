import Database from 'better-sqlite3';
import type { Incident } from '../../src/core/incidents.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { SqliteIncidentStore } from '../../src/store/sqlite/incidents.js';

interface AlertRow {
  id: string;
  rule: string;
  severity: Incident['severity'];
  dn: string | null;
  ip: string | null;
  time: number;
  last_time: number;
}

/**
 * Incidents as detection will write them (through the store's `record`), built from the
 * alerts already in `dbPath`: one per DN with an alert, one per DN-less address.
 */
export function recordIncidents(dbPath: string, wallClock = Date.now()): Incident[] {
  const read = new Database(dbPath, { readonly: true });
  const alerts = read.prepare('SELECT id, rule, severity, dn, ip, time, last_time FROM alerts ORDER BY time, id').all() as AlertRow[];
  read.close();
  const groups = new Map<string, AlertRow[]>();
  for (const a of alerts) {
    const key = a.dn !== null ? `dn:${a.dn}` : `net:${a.ip}/32`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  const rank = ['low', 'medium', 'high', 'critical'];
  const out: Array<Incident & { key: string }> = [];
  let n = 0;
  for (const [key, group] of groups) {
    const severity = group.map((a) => a.severity).sort((x, y) => rank.indexOf(y) - rank.indexOf(x))[0];
    out.push({
      id: `inc-${String(++n).padStart(4, '0')}`,
      status: 'open',
      severity,
      risk: group.length * 25,
      dn: group[0].dn,
      ip: group[0].dn === null ? group[0].ip : group[group.length - 1].ip,
      firstTime: new Date(group[0].time).toISOString(),
      lastTime: new Date(Math.max(...group.map((a) => a.last_time))).toISOString(),
      rules: [...new Set(group.map((a) => a.rule))],
      alertIds: group.map((a) => a.id),
      key,
    });
  }
  const db = openDatabase(dbPath);
  try {
    const store = new SqliteIncidentStore(db);
    db.transaction(() => {
      for (const i of out) store.record(i, wallClock);
    })();
  } finally {
    db.close();
  }
  return out;
}
