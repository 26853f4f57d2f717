import { unpackChunk } from '../../src/components/detect/chunk-text.js';
import { CHUNK_PREFIX, type StateRow } from '../../src/components/detect/state-table.js';

/**
 * Detector state as a start reads it: the chunk rows of chunked tables expanded into a row per
 * key (the latest written winning, as the table loads them), without the entries whose window
 * closed before `watermark` (a commit sweeps them from memory, but their chunk stays until its
 * newest entry expires). Two runs that committed at other moments store other chunks for the
 * same state; this is what must be equal. Expanded rows carry their entry's expiry.
 */
export function detectorStateByKey(rows: readonly StateRow[], watermark: number): StateRow[] {
  const plain: StateRow[] = [];
  const chunks: StateRow[] = [];
  for (const r of rows) (r.key.startsWith(CHUNK_PREFIX) ? chunks : plain).push(r);
  const latest = new Map<string, StateRow>();
  for (const r of plain) latest.set(`${r.scope}\0${r.key}`, r);
  chunks.sort((a, b) => Number(a.key.slice(CHUNK_PREFIX.length)) - Number(b.key.slice(CHUNK_PREFIX.length)));
  for (const c of chunks) {
    for (const [key, state, expires] of JSON.parse(unpackChunk(c.state) ?? '[]') as Array<[string, unknown, number | null]>) {
      // An entry's state is encode's text or, for a codec with toJson, the value itself.
      latest.set(`${c.scope}\0${key}`, { scope: c.scope, key, state: typeof state === 'string' ? state : JSON.stringify(state), expires });
    }
  }
  return [...latest.values()]
    .filter((r) => r.expires === null || r.expires >= watermark)
    .sort((a, b) => (a.scope === b.scope ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.scope < b.scope ? -1 : 1));
}
