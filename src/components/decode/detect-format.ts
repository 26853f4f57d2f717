import { isTag, STDERR_SP, STDOUT_SP } from './cri.js';
import { podPrefixEnd } from './kubectl-logs.js';
import type { LineFormat } from './unwrap.js';
import { startsWith } from '../parse/scanner.js';
import { sternNames } from './stern.js';
import { rfc3339End } from './wrapper-fields.js';

/** Recognises the wrapper from a line of an input (the first one that shows a wrapper or a log4j event decides: record-decoder.ts). */
export function detectFormat(buf: Buffer, start: number, end: number): LineFormat {
  let p = start;
  while (p < end && (buf[p] === 32 || buf[p] === 9)) p++;
  if (buf[p] === 123 /* { */) return 'docker';
  if (podPrefixEnd(buf, p, end) > 0) return 'kubectl-prefix';
  if (sternNames(buf, p, end) !== null) return 'stern';
  const stampEnd = rfc3339End(buf, p, end);
  if (stampEnd < 0 || buf[stampEnd] !== 32) return 'plain';
  const after = stampEnd + 1;
  if (startsWith(buf, after, end, STDOUT_SP) || startsWith(buf, after, end, STDERR_SP)) {
    const tagAt = after + 7;
    let q = tagAt;
    while (q < end && buf[q] !== 32) q++;
    if (q > tagAt && isTag(buf, tagAt, q)) return 'cri';
  }
  return 'kubectl';
}
