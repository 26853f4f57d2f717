import type { WallClock } from './wall-clock.js';

/** What kind of JSON record a log line came in, named as the summary shows it. */
export type DocumentFormat = 'elasticsearch' | 'cloud-logging' | 'cloudwatch' | 'splunk' | 'log4j2-json' | 'ecs-json' | 'json';

type Json = Record<string, unknown>;

/**
 * One JSON record (a log platform's document or a JSON layout's event) -> the log4j text
 * lines OpenUnison's PatternLayout `[%d][%t] %-5p %c{1} - %m%n` wrote for it.
 *
 * - An Elasticsearch/OpenSearch hit is read through its `_source` (or its `fields`, whose
 *   values are arrays, when the search asked for fields instead of the source); a Splunk
 *   export's row through its `result`.
 * - A raw line, when the record kept one: `event.original`, else `message`, `log` or `line`
 *   (filebeat, fluent-bit, vector, Loki), `_raw` (Splunk) or `textPayload` (Google Cloud
 *   Logging) unless the record is structured. A raw line that is itself a shipper's JSON
 *   record (fluent-bit's `{"log": …}` as CloudWatch Logs keeps it in `message`) is read
 *   through it.
 * - A structured event (a logger and a level: log4j2 `JsonLayout`, `JsonTemplateLayout` with
 *   its default ECS template or `JsonLayout.json`, ECS documents) is written back as the
 *   pattern would have written it: the instant (`instant`, `timeMillis` or `@timestamp`) in
 *   the configured zone, the thread, the level padded to 5, the logger's simple name, the
 *   message. Its stack trace follows as continuation lines (their exact text does not matter:
 *   they are never events).
 *
 * A text with newlines is several lines, as in the plain log.
 */
export class ExportRecords {
  constructor(private readonly clock: WallClock) {}

  /** The lines, or null when the record holds no log line. */
  linesOf(record: Json): string[] | null {
    const src = isObject(record._source) ? record._source : isObject(record.fields) && '_index' in record ? firstOfEach(record.fields) : isSplunkRow(record) ? record.result : record;
    const original = field(src, EVENT_ORIGINAL);
    if (typeof original === 'string') return splitLines(original);
    const logger = firstString(field(src, LOG_LOGGER), src.loggerName, src.logger_name, src.logger);
    const level = firstString(field(src, LOG_LEVEL), src.level);
    if (logger !== null && level !== null) return this.rebuild(src, logger, level);
    const raw = firstString(src.message, src.log, src.line, src._raw, src.textPayload);
    return raw === null ? null : splitLines(shippedLine(raw));
  }

  /** The kind of record, for the input's format in the summary. */
  static kindOf(record: Json): DocumentFormat {
    if (isObject(record._source) || '_index' in record) return 'elasticsearch';
    if (isSplunkRow(record)) return 'splunk';
    if ('textPayload' in record || ('logName' in record && 'insertId' in record)) return 'cloud-logging';
    if ('logStreamName' in record || 'ingestionTime' in record) return 'cloudwatch';
    if ('loggerName' in record || 'instant' in record || 'timeMillis' in record) return 'log4j2-json';
    if (typeof field(record, LOG_LOGGER) === 'string' || 'ecs.version' in record || isObject(record.ecs)) return 'ecs-json';
    return 'json';
  }

  private rebuild(src: Json, logger: string, level: string): string[] | null {
    const ms = instantOf(src);
    if (ms === null) return null;
    const thread = firstString(field(src, THREAD_NAME), src.thread, src.thread_name) ?? '';
    const message = messageOf(src.message);
    const simple = logger.slice(logger.lastIndexOf('.') + 1);
    const lines = splitLines(message);
    lines[0] = `[${this.clock.format(ms)}][${thread}] ${level.padEnd(5)} ${simple} - ${lines[0]}`;
    for (const l of stackTrace(src)) lines.push(l);
    return lines;
  }
}

/** A dotted field name, and its parts (split once: it is looked up in every record). */
interface FieldPath {
  readonly flat: string;
  readonly parts: readonly string[];
}

const fieldPath = (flat: string): FieldPath => ({ flat, parts: flat.split('.') });
const EVENT_ORIGINAL = fieldPath('event.original');
const LOG_LOGGER = fieldPath('log.logger');
const LOG_LEVEL = fieldPath('log.level');
const THREAD_NAME = fieldPath('process.thread.name');
const STACK_TRACE = fieldPath('error.stack_trace');

/** `log.level` as a flattened key (`"log.level": …`, ECS layouts) or nested (`log: {level}`). */
function field(o: Json, path: FieldPath): unknown {
  if (path.flat in o) return o[path.flat];
  let v: unknown = o;
  for (const k of path.parts) {
    if (!isObject(v)) return undefined;
    v = v[k];
  }
  return v;
}

/** Epoch ms of the event: `instant` {epochSecond, nanoOfSecond}, `timeMillis`, or `@timestamp`. */
function instantOf(src: Json): number | null {
  const instant = src.instant;
  if (isObject(instant) && typeof instant.epochSecond === 'number') {
    const nanos = typeof instant.nanoOfSecond === 'number' ? instant.nanoOfSecond : 0;
    return instant.epochSecond * 1000 + Math.floor(nanos / 1e6);
  }
  if (typeof src.timeMillis === 'number') return src.timeMillis;
  const ts = src['@timestamp'];
  if (typeof ts === 'number') return ts;
  if (typeof ts === 'string') return isoMillis(ts);
  return null;
}

const ISO_INSTANT = /^(\d{4}-\d{2}-\d{2}T(\d{2}):(\d{2})):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})$/;

/** The minute (with its zone) last parsed, and its epoch ms: records come in time order. */
let minuteText = '';
let minuteMs = Number.NaN;

/** ISO 8601 with a zone (`Z` or `±hh:mm`) and any number of fraction digits -> epoch ms. */
function isoMillis(s: string): number | null {
  const m = ISO_INSTANT.exec(s);
  if (m === null) return null;
  const zone = m[6] === 'Z' ? 'Z' : m[6].length === 5 ? `${m[6].slice(0, 3)}:${m[6].slice(3)}` : m[6];
  const millis = Number((m[5] ?? '').padEnd(3, '0').slice(0, 3));
  const second = Number(m[4]);
  // Within an ordinary minute an instant is its minute's plus seconds and milliseconds; Date.parse
  // decides the rest (24:00, a leap second, a minute of 60) as before.
  if (second < 60 && Number(m[2]) < 24 && Number(m[3]) < 60) {
    const minute = m[1] + zone;
    if (minute !== minuteText) {
      minuteText = minute;
      minuteMs = Date.parse(`${m[1]}:00.000${zone}`);
    }
    return Number.isNaN(minuteMs) ? null : minuteMs + second * 1000 + millis;
  }
  const ms = Date.parse(`${m[1]}:${m[4]}.${String(millis).padStart(3, '0')}${zone}`);
  return Number.isNaN(ms) ? null : ms;
}

function messageOf(m: unknown): string {
  if (typeof m === 'string') return m;
  if (m === undefined || m === null) return '';
  return JSON.stringify(m);
}

/** ECS `error.stack_trace` (text), or JsonLayout's `thrown` (name, message, frames). */
function stackTrace(src: Json): string[] {
  const text = field(src, STACK_TRACE);
  if (typeof text === 'string') return splitLines(text);
  const thrown = src.thrown;
  if (!isObject(thrown)) return [];
  const name = typeof thrown.name === 'string' ? thrown.name : 'java.lang.Throwable';
  const out = [typeof thrown.message === 'string' ? `${name}: ${thrown.message}` : name];
  const frames = thrown.extendedStackTrace;
  if (Array.isArray(frames)) {
    for (const f of frames) {
      if (!isObject(f)) continue;
      out.push(`\tat ${String(f.class)}.${String(f.method)}(${String(f.file)}:${String(f.line)})`);
    }
  }
  return out;
}

/** Lines of a text: one trailing newline ends the last line (docker's `log`), `\r\n` counts as one. */
function splitLines(text: string): string[] {
  const body = text.endsWith('\n') ? text.slice(0, text.endsWith('\r\n') ? -2 : -1) : text;
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i].endsWith('\r')) lines[i] = lines[i].slice(0, -1);
  return lines;
}

/** A row of Splunk's JSON export (`{"preview": false, "result": {"_raw": …, "_time": …}}`). */
function isSplunkRow(record: Json): record is Json & { result: Json } {
  return isObject(record.result) && ('preview' in record || '_raw' in record.result);
}

/**
 * The line inside a raw text that is a shipper's JSON record (`{"log": "…\n", "stream": …}`,
 * as fluent-bit sends a container's line to CloudWatch Logs), else the text itself.
 */
function shippedLine(raw: string): string {
  if (raw.charCodeAt(0) !== 123 /* { */ || raw.charCodeAt(1) !== 34 /* " */) return raw;
  let inner: unknown;
  try {
    inner = JSON.parse(raw);
  } catch {
    return raw;
  }
  return isObject(inner) ? firstString(inner.log, inner.message) ?? raw : raw;
}

/** `fields` of a hit: every value is an array; its first element stands for it. */
function firstOfEach(fields: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(fields)) out[k] = Array.isArray(v) ? v[0] : v;
  return out;
}

function firstString(...values: unknown[]): string | null {
  for (const v of values) if (typeof v === 'string') return v;
  return null;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
