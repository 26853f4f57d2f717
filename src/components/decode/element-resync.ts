import { StringBytes } from './json-strings.js';
import { isSpace, recordAt } from './native-record.js';

type Json = Record<string, unknown>;

/** An array element found after broken JSON: its comma, its object's first and last byte, its value. */
export interface Element {
  comma: number;
  open: number;
  close: number;
  value: Json;
}

/**
 * After broken JSON inside an array of records (a response's hits, an array of events), the
 * next element that is a complete record: a `{` whose `{` lies in `chunk[from, to)`, with only
 * whitespace between it and a comma at or after `minComma`, whose object ends in this chunk
 * within `maxBytes`, parses as a JSON object and `holdsLine` accepts.
 *
 * Safe against text: a JSON string holds no unescaped `"`, so the bytes of a string cannot
 * make an object that parses (a candidate that starts inside one either begins with a
 * backslash-escaped quote, which is not JSON, or takes the string's closing quote for a key
 * and fails on the structure after it). A one-line document, where no line start follows
 * the damage, can then go on at its next record instead of being passed over to its end.
 */
export function nextElement(chunk: Buffer, from: number, to: number, minComma: number, maxBytes: number, holdsLine: (v: Json) => boolean): Element | null {
  for (let open = chunk.indexOf(0x7b, from); open >= 0 && open < to; open = chunk.indexOf(0x7b, open + 1)) {
    let comma = open - 1;
    while (comma >= minComma && isSpace(chunk[comma])) comma--;
    if (comma < minComma || chunk[comma] !== 0x2c) continue;
    const close = objectEnd(chunk, open, Math.min(chunk.length, open + maxBytes));
    if (close < 0) continue;
    const value = recordAt(chunk, comma, open, close, true);
    if (value !== null && holdsLine(value)) return { comma, open, close, value };
  }
  return null;
}

/** The index of the `}` closing the object that opens at `chunk[open]`, or -1 before `limit`. */
function objectEnd(chunk: Buffer, open: number, limit: number): number {
  const str = new StringBytes();
  let depth = 0;
  let i = open;
  while (i < limit) {
    if (str.inside) {
      i = str.skip(chunk, i);
      continue;
    }
    const c = chunk[i];
    if (c === 0x22) str.inside = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return c === 0x7d ? i : -1;
    }
    i++;
  }
  return -1;
}
