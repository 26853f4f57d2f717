/**
 * The fast path of JSON exports: a record whose bytes all lie in one chunk, right after the
 * record before it, parsed by V8's `JSON.parse` instead of being tokenised by stream-json and
 * assembled key by key, which was two thirds of the worker's time on an Elasticsearch dump
 * (replays of dumps and JSON layouts now take 0.6x the time). stream-json still reads
 * everything else: a document's envelope, the first record of each array, records cut by a
 * chunk's end, and anything unusual, so a document is never held whole and bad input takes
 * the one path that reports it.
 *
 * `recordAt` only answers where the answer cannot differ from the stream parser's: the
 * parser was left just after the previous record at the same depth, only JSON whitespace (and
 * the one comma between array elements) lies between that record and this one, and this one
 * is a complete JSON object. Anything else (broken JSON, a value that is not an object, a
 * top-level object that could be a search response) returns null, and the caller feeds the
 * same bytes to the stream parser as if the fast path did not exist.
 */

type Json = Record<string, unknown>;

/**
 * The record in `chunk[open, close]` (`close`: its closing brace), or null when the stream
 * parser must read it. `from` is where the bytes not yet seen by the parser begin (just after
 * the previous record); `inArray`: the record is an array element (a comma must separate it).
 */
export function recordAt(chunk: Buffer, from: number, open: number, close: number, inArray: boolean): Json | null {
  if (chunk[open] !== 0x7b || !onlySeparator(chunk, from, open, inArray)) return null;
  let value: unknown;
  try {
    value = JSON.parse(chunk.toString('utf8', open, close + 1));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  // A top-level object with `hits` may be a search response, whose hits are the records: the
  // stream parser walks it (and a record rarely has that key).
  if (!inArray && Object.hasOwn(value, 'hits')) return null;
  return value as Json;
}

/** JSON whitespace only, with exactly one comma between array elements and none between top-level values. */
function onlySeparator(chunk: Buffer, from: number, to: number, inArray: boolean): boolean {
  let commas = 0;
  for (let i = from; i < to; i++) {
    const c = chunk[i];
    if (c === 0x2c) commas++;
    else if (!isSpace(c)) return false;
  }
  return commas === (inArray ? 1 : 0);
}

/** Whether the object opening at `chunk[open]` is the value of a `"hits"` key (a search response's). */
export function hitsKeyBefore(chunk: Buffer, open: number): boolean {
  let k = open - 1;
  while (k >= 0 && isSpace(chunk[k])) k--;
  if (k < 0 || chunk[k] !== 0x3a) return false;
  k--;
  while (k >= 0 && isSpace(chunk[k])) k--;
  if (k < 5) return false;
  // Compared byte by byte: this runs for every object opened at depth two (no string made).
  for (let j = 0; j < HITS_KEY.length; j++) if (chunk[k - 5 + j] !== HITS_KEY[j]) return false;
  return true;
}

/** The key of a search response's hits, as bytes (also where reading goes on after a broken envelope: hits-opener.ts). */
export const HITS_KEY = Buffer.from('"hits"', 'latin1');

export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
