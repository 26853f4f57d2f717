import { readFileSync } from 'node:fs';
import pg from 'pg';
import { fingerprintOf } from '../../../src/components/sources/files/fingerprint.js';
import type { Dump } from '../../helpers/store-dump.js';

/** Whether the database holds a checkpoint at the end of `file` (the daemon has caught up). */
export async function caughtUp(url: string, file: string): Promise<boolean> {
  const bytes = readFileSync(file);
  const fp = fingerprintOf(bytes, false);
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    const r = await client.query<{ offset: string }>('SELECT "offset" FROM checkpoints WHERE fingerprint = $1', [fp]);
    return r.rows.length === 1 && Number(r.rows[0].offset) === bytes.length;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** What a run leaves: history, detector state, alerts and incidents (not positions, actions or the outbox). */
export function historyOf(d: Dump) {
  const { users, user_ips, user_countries, sessions, session_ips, user_activity, detector_state, alerts, incidents, incident_alerts } = d;
  return { users, user_ips, user_countries, sessions, session_ips, user_activity, detector_state, alerts, incidents, incident_alerts };
}
