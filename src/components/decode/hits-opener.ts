import { HITS_KEY, isSpace } from './native-record.js';

/** What puts a new parser inside a search response's `hits.hits` array, before its first element. */
export const HITS_ARRAY_CONTEXT = '{"hits":{"hits":[';

/** The token depth of a search response's records (its object, `hits`, the `hits` array). */
export const HITS_ARRAY_DEPTH = 3;

/**
 * The index of the `[` of the first `"hits": [ {` whose key starts in `chunk[from, to)`, or
 * -1: where a search response's records begin. Its quotes are JSON's own, not text: inside a JSON
 * string every `"` is escaped, so a key preceded by a backslash is passed over. (A string
 * ending in an escaped backslash is passed over too; that costs only a later restart.)
 * A key whose `{` would lie past the chunk's end is not found here (the caller keeps a tail).
 */
export function hitsArrayAt(chunk: Buffer, from: number, to: number): number {
  for (let k = chunk.indexOf(HITS_KEY, from); k >= 0 && k < to; k = chunk.indexOf(HITS_KEY, k + 1)) {
    if (k > 0 && chunk[k - 1] === 0x5c) continue;
    let i = k + HITS_KEY.length;
    while (i < chunk.length && isSpace(chunk[i])) i++;
    if (chunk[i] !== 0x3a) continue;
    i++;
    while (i < chunk.length && isSpace(chunk[i])) i++;
    if (chunk[i] !== 0x5b) continue;
    // Its first element must be an object in sight: an empty array holds nothing (and one before
    // the damage was read already), and a restart at this `[` is read as records only then.
    let j = i + 1;
    while (j < chunk.length && isSpace(chunk[j])) j++;
    if (chunk[j] === 0x7b) return i;
  }
  return -1;
}

/** Bytes kept from a chunk's end so that a `"hits": [` cut by it is found in the next. */
export const HITS_TAIL_BYTES = 32;
