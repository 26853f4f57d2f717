import { StringDecoder } from 'node:string_decoder';
import { jsonParser } from 'stream-json/core/parser.js';
import { isSpace } from './native-record.js';

/** How long the decoder may look at an input's beginning before it commits to a shape. */
export const SNIFF_BYTES = 64 * 1024;

/**
 * How long a first value with a key of an export or a layout waits to see what follows it
 * (a log4j event: JSON a plain log printed), when bytes come a few at a time (a live file):
 * a value printed under a message is short, and each look parses the head again.
 */
const FOLLOWING_BYTES = 4096;

/**
 * What the beginning of an input says about its shape:
 * - `lines`: line by line, with the wrapper named (`docker`: NDJSON whose line is in `log` or
 *   `message`; `loki`: `logcli --output=jsonl`) or recognised from the first line (null);
 * - `documents`: JSON read as a stream of values (search responses, hits, JSON layouts),
 *   `resume` telling where a restart begins (ResumePoint); `skip`: bytes of a platform's
 *   response before the `[` of its records (CloudWatch Logs' `{"events": [`, the Cloud Logging
 *   API's `{"entries": [`), passed over: reading starts at that `[` (`at-records`);
 * - null: not decided yet (more bytes needed).
 */
export type Shape = { kind: 'lines'; wrapper: 'docker' | 'loki' | null } | { kind: 'documents'; resume: ResumePoint; skip?: number } | null;

/**
 * Where JSON documents are read from: the start of a value (`start`); inside an array of
 * records, just past one (`in-array`: the first byte is `,` or `]`); or at the `[` of a search
 * response's records, where reading went on after its envelope was found broken (`at-records`:
 * the first byte is that `[`, with nothing before it; the rest of the response after the array
 * is passed over, as after `in-array`).
 */
export type ResumePoint = 'start' | 'in-array' | 'at-records';

/** Keys (of a top-level object) that only JSON exports and JSON layouts have. */
const DOCUMENT_KEYS = new Set([
  // Elasticsearch / OpenSearch responses and hits
  'took', 'timed_out', '_shards', 'hits', '_scroll_id', 'pit_id', '_index', '_id', '_type', '_score', '_source',
  // log4j2 JsonLayout and JsonTemplateLayout (its JsonLayout.json)
  'instant', 'timeMillis', 'loggerName', 'loggerFqcn', 'endOfBatch', 'thread', 'threadId', 'level', 'thrown',
  // ECS (JsonTemplateLayout's default EcsLayout.json, filebeat and logstash documents)
  '@timestamp', 'log.level', 'log.logger', 'ecs.version', 'process.thread.name', 'event.original',
  // Google Cloud Logging entries (`gcloud logging read --format=json`, one per line after `jq -c`)
  'insertId', 'logName', 'textPayload', 'receiveTimestamp',
  // Splunk's JSON export (`output_mode=json`): one row per line
  'preview', 'result',
  // CloudWatch Logs events (`aws logs filter-log-events --query 'events[]'`, or one per line)
  'logStreamName', 'ingestionTime', 'eventId',
]);

const LINE_START = { kind: 'lines', wrapper: null } as const;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Recognises the shape from the first value of an input (`head`, which starts at the input's
 * start offset `startOffset`): text that does not start with `{` or `[{` is read line by line
 * as before; a top-level object is judged by its keys, in order, up to the first that decides
 * (`log` or `line` holding a string: docker or Loki lines; a key of an export or a JSON layout:
 * documents); an object with none of them is read as docker-like lines. A pretty-printed
 * response decides on its first key, so its size does not matter.
 */
export function sniffShape(head: Buffer, startOffset: number, eof: boolean): Shape {
  if (startOffset === 0 && !eof && head.length < 3 && BOM.subarray(0, head.length).equals(head)) return null; // a mark in pieces
  let p = startOffset === 0 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (p < head.length && isSpace(head[p])) p++;
  // Only blank: a restart after a JSON record's last byte (the newline after it) reads nothing.
  if (p >= head.length) return !eof && head.length < SNIFF_BYTES ? null : startOffset > 0 ? { kind: 'documents', resume: 'start' } : LINE_START;
  const c = head[p];
  if (c === 44 /* , */ || c === 93 /* ] */) {
    // A restart just past a record inside an array; unless a log4j header follows (a plain
    // log whose next line happens to start so): `[2024-` starts no line of a JSON document.
    if (startOffset === 0 || hasLog4jHeader(head, p)) return LINE_START;
    return eof || head.length >= SNIFF_BYTES ? { kind: 'documents', resume: 'in-array' } : null;
  }
  if (c === 91 /* [ */) {
    let q = p + 1;
    while (q < head.length && isSpace(head[q])) q++;
    if (q >= head.length) return eof ? LINE_START : null;
    if (head[q] !== 123 && head[q] !== 93) return LINE_START; // `[2024-` is log4j
    if (printedByPlainLog(head, p)) return LINE_START;
    if (startOffset === 0) {
      const after = whatFollows(head, p, eof);
      if (after !== DOCUMENTS) return after;
    }
    // A restart right at a `[` (nothing before it) is at a search response's records: no other
    // skip or record ends there (a value after a newline resumes at that newline).
    return { kind: 'documents', resume: startOffset > 0 && p === 0 ? 'at-records' : 'start' };
  }
  if (c !== 123 /* { */) return LINE_START;
  if (printedByPlainLog(head, p)) return LINE_START;
  const records = startOffset === 0 ? recordsArrayAt(head, p) : -1;
  if (records >= 0) {
    const after = whatFollows(head, p, eof);
    return after !== DOCUMENTS ? after : { kind: 'documents', resume: 'at-records', skip: records };
  }
  return firstKeys(head.subarray(p), eof || head.length >= SNIFF_BYTES, !eof && head.length < FOLLOWING_BYTES);
}

/**
 * A response whose first key holds its records (`{"events": [{`: CloudWatch Logs'
 * filter-log-events and get-log-events; `{"entries": [{`: the Cloud Logging API's
 * entries.list): the offset of that array's `[`, or -1. Whatever follows the array (a next
 * token, the streams searched) is passed over like the rest of a search response.
 */
function recordsArrayAt(head: Buffer, p: number): number {
  const m = RECORDS_FIRST.exec(head.toString('latin1', p, Math.min(head.length, p + 256)));
  return m === null ? -1 : p + m[0].length - 1;
}

const RECORDS_FIRST = /^\{\s*"(?:events|entries)"\s*:\s*\[(?=\s*\{)/;

/**
 * Judges a top-level object by its keys; `final`: no more bytes will come; `waitForFollowing`:
 * a key of an export or a layout waits for the value's end and what follows it. The text is
 * parsed a line (or 1 KiB) at a time, so that what follows the first value (a broken next line)
 * cannot matter.
 */
function firstKeys(text: Buffer, final: boolean, waitForFollowing: boolean): Shape {
  let depth = 0;
  let key: string | null = null;
  // A key of an export or a layout, in a first value that may yet prove to be JSON a plain log
  // printed (printedByPlainLog) when more bytes come: decided once the value is read and what
  // follows it is seen (a live file written line by line shows one line at a time).
  let documentKey = false;
  for (let from = 0; from < text.length; ) {
    let resumeAt = -1;
    for (const { at, to, tokens } of pieces(text, from)) {
      if (tokens === null) {
        // Its first key still decides when the damage comes after it (an export's envelope broken).
        if (at === 0 && DOCUMENT_KEYS.has(firstKeyOf(text) ?? '')) return DOCUMENTS;
        // A broken first value does not decide otherwise: the next line that starts one does.
        const next = text.indexOf(LINE_THEN_BRACE, at);
        if (next >= 0) resumeAt = next + 1;
        break;
      }
      for (const t of tokens) {
        switch (t.name) {
          case 'startObject':
          case 'startArray':
            depth++;
            break;
          case 'endObject':
          case 'endArray':
            depth--;
            if (depth === 0) return documentKey ? afterFirstValue(text, to, final) : { kind: 'lines', wrapper: 'docker' };
            break;
          case 'keyValue':
            if (depth !== 1) break;
            key = t.value;
            if (DOCUMENT_KEYS.has(key)) {
              if (!waitForFollowing) return DOCUMENTS;
              documentKey = true;
            }
            continue;
          case 'stringValue':
            if (depth === 1 && key === 'log') return { kind: 'lines', wrapper: 'docker' };
            if (depth === 1 && key === 'line') return { kind: 'lines', wrapper: 'loki' };
            break;
        }
        if (depth === 1) key = null;
      }
    }
    if (resumeAt < 0) break;
    from = resumeAt;
    depth = 0;
  }
  if (!final) return null;
  // Undecided: a first object over 64 KiB is no docker line; a short cut or broken one is read as before.
  return documentKey || text.length >= SNIFF_BYTES ? DOCUMENTS : { kind: 'lines', wrapper: 'docker' };
}

const DOCUMENTS = { kind: 'documents', resume: 'start' } as const;

/**
 * For a first value at `p` that makes the input documents: LINE_START when a log4j event
 * follows it, null while that cannot be told yet (a live file's bytes come a few at a time),
 * DOCUMENTS otherwise, and at once past FOLLOWING_BYTES or at the end of the input.
 */
function whatFollows(head: Buffer, p: number, eof: boolean): Shape {
  if (eof || head.length >= FOLLOWING_BYTES) return DOCUMENTS;
  const value = head.subarray(p);
  return afterFirstValue(value, valueEnd(value), false);
}

/**
 * The end of the line on which the JSON value that `text` starts with ends (just past its
 * newline), or `text.length` when the value is not complete in it; broken JSON counts as
 * complete where it broke (no log4j line will mend it).
 */
function valueEnd(text: Buffer): number {
  let depth = 0;
  for (const { to, tokens } of pieces(text, 0)) {
    if (tokens === null) return to;
    for (const t of tokens) {
      if (t.name === 'startObject' || t.name === 'startArray') depth++;
      else if ((t.name === 'endObject' || t.name === 'endArray') && --depth === 0) return to;
    }
  }
  return text.length;
}

/**
 * After a first value with a key of an export or a layout, read to its end on the line that
 * ends at `to`: documents, unless a log4j event starts the next line; undecided while nothing
 * follows it yet and more bytes may come.
 */
function afterFirstValue(text: Buffer, to: number, final: boolean): Shape {
  let p = to;
  while (p < text.length && isSpace(text[p])) p++;
  if (text[p] !== 91 /* [ */) return p < text.length || final ? DOCUMENTS : null;
  if (p + 5 >= text.length) return final ? DOCUMENTS : null;
  return startsLog4jHeader(text, p) ? LINE_START : DOCUMENTS;
}

const SNIFF_PIECE = 1024;

type Token = Exclude<ReturnType<ReturnType<typeof jsonParser>>, symbol>['values'][number];

/** A piece of text (`at` to `to`) and the JSON tokens it ends; null where the JSON broke. */
interface Piece {
  at: number;
  to: number;
  tokens: readonly Token[] | null;
}

/**
 * `text` from `from` on, a line (or SNIFF_PIECE bytes) at a time, with the JSON tokens each
 * piece completes (a character split between two pieces is joined); ends after a piece where
 * the JSON broke.
 */
function* pieces(text: Buffer, from: number): Generator<Piece> {
  const parse = jsonParser({ jsonStreaming: true, streamValues: false });
  const utf8 = new StringDecoder('utf8');
  for (let at = from; at < text.length; ) {
    const nl = text.indexOf(10, at);
    const to = Math.min(nl < 0 ? text.length : nl + 1, at + SNIFF_PIECE);
    let out;
    try {
      out = parse(utf8.write(text.subarray(at, to)));
    } catch {
      yield { at, to, tokens: null };
      return;
    }
    yield { at, to, tokens: typeof out === 'symbol' ? [] : out.values };
    at = to;
  }
}

/** The first key of the object `text` starts with (a plain key: no escapes), or null. */
function firstKeyOf(text: Buffer): string | null {
  return FIRST_KEY.exec(text.toString('latin1', 0, 256))?.[1] ?? null;
}

const FIRST_KEY = /^\{\s*"([A-Za-z_@.]{1,40})"\s*:/;
const LINE_THEN_BRACE = Buffer.from('\n{');

/**
 * Whether the JSON at `p` is a value a plain log printed (under a message, or cut at the top by
 * rotation): a line that starts a log4j event follows it within the bytes looked at. No export,
 * JSON layout or NDJSON has one: a JSON line never starts with `[2024-`. Read as documents, such a
 * log lost every event after the value.
 */
function printedByPlainLog(head: Buffer, p: number): boolean {
  return hasLog4jHeader(head.length > SNIFF_BYTES ? head.subarray(0, SNIFF_BYTES) : head, p);
}

/** Whether a line after `from` starts like a log4j header (`[` and a date). */
function hasLog4jHeader(head: Buffer, from: number): boolean {
  for (let nl = head.indexOf(10, from); nl >= 0 && nl + 6 < head.length; nl = head.indexOf(10, nl + 1)) {
    if (startsLog4jHeader(head, nl + 1)) return true;
  }
  return false;
}

/** Whether `head` holds `[` and four digits and `-` at `at` (the caller checked that six bytes are there). */
function startsLog4jHeader(head: Buffer, at: number): boolean {
  let d = at + 1;
  while (d < at + 5 && head[d] >= 48 && head[d] <= 57) d++;
  return head[at] === 91 && d === at + 5 && head[d] === 45;
}
