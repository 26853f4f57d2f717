import { readFileSync } from 'node:fs';
import { ByteClock } from '../../src/components/parse/byte-clock.js';

/*
 * The shapes OpenUnison's log comes in when it is exported from a log platform rather than
 * copied as a file, made from plain log4j lines exactly as each tool writes them:
 * - Loki: `logcli query --output=jsonl` (Go's json.Marshal of a map: keys sorted, `&<>`
 *   escaped as \u0026 \u003c \u003e; labels common to every stream are left out);
 * - Elasticsearch/OpenSearch: filebeat documents (`message` holds the raw line) in a
 *   `_search` response, in scroll pages, or as NDJSON hits (elasticdump);
 * - log4j2 JSON layouts: `JsonLayout` (pretty-printed by Jackson, events ended by CRLF) and
 *   `JsonTemplateLayout` with its default ECS template (one compact event per line).
 */

/** One line of a log4j log; `time` is the log time of its event (a continuation line takes the one before). */
export interface LogLine {
  text: string;
  time: string;
  replica: number;
}

export const SAMPLE_LOGS = [0, 1].map((r) => new URL(`../../fixtures/sample/openunison-orchestra-${r}.log`, import.meta.url).pathname);

/** The sample's two replicas merged by log time as ouwatch merges them (ties: the first replica). */
export function mergedSample(): LogLine[] {
  const keyed = SAMPLE_LOGS.map((f, replica) => {
    let last = '';
    return readFileSync(f, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((text) => {
        if (isHeader(text)) last = text.slice(1, 24);
        return { text, time: last, replica };
      });
  });
  const [a, b] = keyed;
  const out: LogLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i].time <= b[j].time)) out.push(a[i++]);
    else out.push(b[j++]);
  }
  return out;
}

const isHeader = (line: string) => line.startsWith('[') && line[24] === ']';

/** Epoch ms of a log4j time written in `timeZone` (as the scanner reads it). */
export function epochOf(time: string, timeZone: string): number {
  return new ByteClock(timeZone).epochAt(Buffer.from(time), 0);
}

const isoNanos = (ms: number, extraNanos: number) => new Date(ms).toISOString().slice(0, 23) + String(extraNanos).padStart(6, '0') + 'Z';

/** Go's encoding/json: HTML-safe escapes. */
const goJson = (v: unknown) => JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** `logcli query --output=jsonl --forward` (newestFirst: without --forward) of both replicas. */
export function lokiJsonl(lines: LogLine[], opts: { newestFirst?: boolean } = {}): string {
  const out = lines.map((l, i) => goJson({ labels: { pod: `openunison-orchestra-${l.replica}` }, line: l.text, timestamp: isoNanos(epochOf(l.time, 'UTC'), 100 + (i % 900)) }));
  if (opts.newestFirst) out.reverse();
  return out.join('\n') + '\n';
}

/** A filebeat document of one line (container input, no parsing: the raw line in `message`). */
function filebeatHit(l: LogLine, i: number): Record<string, unknown> {
  const ms = epochOf(l.time, 'UTC');
  const pod = `openunison-orchestra-${l.replica}`;
  return {
    _index: '.ds-filebeat-8.12.2-2026.03.03-000001',
    _id: `Fb${i.toString(36).padStart(8, '0')}`,
    _score: null,
    _source: {
      '@timestamp': new Date(ms).toISOString(),
      log: { offset: i * 300, file: { path: `/var/log/containers/${pod}_openunison_openunison-orchestra-0123abcd.log` } },
      stream: 'stdout',
      message: l.text,
      input: { type: 'container' },
      kubernetes: { namespace: 'openunison', pod: { name: pod }, container: { name: 'openunison-orchestra' } },
      ecs: { version: '8.0.0' },
      agent: { type: 'filebeat', version: '8.12.2' },
    },
    sort: [ms, i],
  };
}

function response(hits: Record<string, unknown>[], total: number, scrollId?: string): Record<string, unknown> {
  const body = {
    took: 17,
    timed_out: false,
    _shards: { total: 3, successful: 3, skipped: 0, failed: 0 },
    hits: { total: { value: total, relation: 'eq' }, max_score: null, hits },
  };
  return scrollId === undefined ? body : { _scroll_id: scrollId, ...body };
}

/** `curl …/_search` (sorted by @timestamp, oldest first): one compact document, or pretty (`?pretty`). */
export function esSearchResponse(lines: LogLine[], opts: { pretty?: boolean } = {}): string {
  const body = response(lines.map(filebeatHit), lines.length);
  return (opts.pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body)) + '\n';
}

/** A scroll loop's pages, each printed by `jq .` one after the other (the last page empty). */
export function esScrollDump(lines: LogLine[], pageSize: number): string {
  const hits = lines.map(filebeatHit);
  const pages: string[] = [];
  for (let i = 0; i <= hits.length; i += pageSize) pages.push(JSON.stringify(response(hits.slice(i, i + pageSize), hits.length, 'FGluY2x1ZGVfY29udGV4dF91dWlkDXF1ZXJ5QW5kRmV0Y2gBFk'), null, 2));
  return pages.join('\n') + '\n';
}

/** elasticdump's output: one hit per line. */
export function esHitsNdjson(lines: LogLine[]): string {
  return lines.map((l, i) => JSON.stringify({ ...filebeatHit(l, i), _type: '_doc', _score: 1, sort: undefined })).join('\n') + '\n';
}

/** One log4j event: a header line and the continuation lines under it. */
interface LogEvent {
  ms: number;
  thread: string;
  level: string;
  logger: string;
  message: string;
  trace: string[];
}

const LOGGERS: Record<string, string> = {
  AccessLog: 'com.tremolosecurity.log.AccessLog',
  OpenIDConnectIdP: 'com.tremolosecurity.idp.providers.OpenIDConnectIdP',
  OpenIDConnectAuthMech: 'com.tremolosecurity.proxy.auth.OpenIDConnectAuthMech',
  SessionManagerImpl: 'com.tremolosecurity.proxy.SessionManagerImpl',
  ConfigSys: 'com.tremolosecurity.config.util.ConfigSys',
};

/** The events the lines were written from (the PatternLayout `[%d][%t] %-5p %c{1} - %m%n` undone). */
function eventsOf(lines: LogLine[], timeZone: string): LogEvent[] {
  const out: LogEvent[] = [];
  for (const l of lines) {
    const m = /^\[([^\]]{23})\]\[([^\]]*)\] (\S+) +(\S+) - (.*)$/.exec(l.text);
    if (m === null) {
      if (out.length === 0) throw new Error(`a continuation line before any event: ${l.text}`);
      out[out.length - 1].trace.push(l.text);
      continue;
    }
    out.push({ ms: epochOf(m[1], timeZone), thread: m[2], level: m[3], logger: LOGGERS[m[4]] ?? `com.tremolosecurity.${m[4]}`, message: m[5], trace: [] });
  }
  return out;
}

/** JsonLayout's `thrown` from a stack trace's text. */
function thrown(trace: string[]): Record<string, unknown> {
  const [first, ...rest] = trace;
  const colon = first.indexOf(': ');
  const frames = rest.flatMap((t) => {
    const f = /^\tat (.+)\.([^.(]+)\(([^:]+):(\d+)\)$/.exec(t);
    return f === null ? [] : [{ class: f[1], method: f[2], file: f[3], line: Number(f[4]), exact: false, location: 'openunison.jar', version: '?' }];
  });
  return { commonElementCount: 0, localizedMessage: first.slice(colon + 2), message: first.slice(colon + 2), name: first.slice(0, colon), extendedStackTrace: frames };
}

/** log4j2 `<JsonLayout/>` (defaults: pretty-printed, no enclosing array, CRLF after each event) in a JVM whose zone is `timeZone`. */
export function log4j2JsonLayout(lines: LogLine[], timeZone: string): string {
  return eventsOf(lines, timeZone)
    .map((e, i) => {
      const event: Record<string, unknown> = {
        instant: { epochSecond: Math.floor(e.ms / 1000), nanoOfSecond: (e.ms % 1000) * 1e6 },
        thread: e.thread,
        level: e.level,
        loggerName: e.logger,
        message: e.message,
      };
      if (e.trace.length > 0) event.thrown = thrown(e.trace);
      Object.assign(event, { endOfBatch: false, loggerFqcn: 'org.apache.logging.log4j.spi.AbstractLogger', threadId: 40 + (i % 20), threadPriority: 5 });
      return jackson(event, '') + '\r\n';
    })
    .join('');
}

/** Jackson's DefaultPrettyPrinter: `"key" : value`, two-space indent, arrays as `[ a, b ]`. */
function jackson(v: unknown, indent: string): string {
  if (Array.isArray(v)) return v.length === 0 ? '[ ]' : `[ ${v.map((x) => jackson(x, indent)).join(', ')} ]`;
  if (typeof v === 'object' && v !== null) {
    const inner = indent + '  ';
    const body = Object.entries(v).map(([k, x]) => `${inner}${JSON.stringify(k)} : ${jackson(x, inner)}`);
    return body.length === 0 ? '{ }' : `{\n${body.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(v);
}

/** log4j2 `<JsonTemplateLayout/>` with its default template (EcsLayout.json): one event per line. */
export function ecsJsonLines(lines: LogLine[], timeZone: string): string {
  return (
    eventsOf(lines, timeZone)
      .map((e) => {
        const event: Record<string, unknown> = {
          '@timestamp': new Date(e.ms).toISOString(),
          'log.level': e.level,
          message: e.message,
          'process.thread.name': e.thread,
          'log.logger': e.logger,
        };
        if (e.trace.length > 0) {
          const t = thrown(e.trace);
          Object.assign(event, { 'error.type': t.name, 'error.message': t.message, 'error.stack_trace': e.trace.join('\n') });
        }
        return JSON.stringify(event);
      })
      .join('\n') + '\n'
  );
}

/**
 * `gcloud logging read 'resource.type="k8s_container" AND resource.labels.container_name="openunison-orchestra"' --format=json`
 * (GKE): a pretty array of entries, the line in `textPayload`, newest first unless `--order=asc`.
 */
export function cloudLoggingJson(lines: LogLine[], opts: { order?: 'asc' | 'desc'; api?: boolean } = {}): string {
  const entries = lines.map((l, i) => {
    const ms = epochOf(l.time, 'UTC');
    return {
      insertId: `${(i * 7919).toString(36)}q0x7k`,
      labels: { 'compute.googleapis.com/resource_name': `gke-prod-pool-1-node-${l.replica}`, 'k8s-pod/app': 'openunison-orchestra' },
      logName: 'projects/acme-prod/logs/stdout',
      receiveTimestamp: isoNanos(ms + 1_200, 0),
      resource: {
        labels: { cluster_name: 'prod', container_name: 'openunison-orchestra', location: 'europe-north1', namespace_name: 'openunison', pod_name: `openunison-orchestra-${l.replica}`, project_id: 'acme-prod' },
        type: 'k8s_container',
      },
      severity: 'INFO',
      textPayload: l.text,
      timestamp: isoNanos(ms, i % 1000),
    };
  });
  if (opts.order !== 'asc') entries.reverse();
  // The REST API's entries.list (`POST …/v2/entries:list`, compact): the entries, then the next page's token.
  if (opts.api) return JSON.stringify({ entries, nextPageToken: 'EAA46o2s7YXmAVAB' }) + '\n';
  return JSON.stringify(entries, null, 2) + '\n';
}

/** Lines grouped into events: a log4j header and the continuation lines under it (how an indexer breaks them). */
function eventTexts(lines: LogLine[]): LogLine[] {
  const out: LogLine[] = [];
  for (const l of lines) {
    if (isHeader(l.text) || out.length === 0) out.push({ ...l });
    else out[out.length - 1].text += '\n' + l.text;
  }
  return out;
}

/**
 * Splunk's JSON export (`/services/search/jobs/export?output_mode=json`, or Export > JSON): one
 * row per line, a multi-line event's lines in one `_raw`; newest first unless the search ends
 * with `| sort 0 _time`.
 */
export function splunkJson(lines: LogLine[], opts: { newestFirst?: boolean } = {}): string {
  const events = eventTexts(lines);
  if (opts.newestFirst) events.reverse();
  return (
    events
      .map((l, i) => {
        const ms = epochOf(l.time, 'UTC');
        const source = `/var/log/containers/openunison-orchestra-${l.replica}_openunison_openunison-orchestra-0123abcd.log`;
        const result = {
          _bkt: 'k8s~42~0A1B2C3D',
          _cd: `42:${1000 + i}`,
          _indextime: String(Math.floor(ms / 1000) + 2),
          _raw: l.text,
          _serial: String(i),
          _si: ['splunk-idx-1', 'k8s'],
          _sourcetype: 'kube:container:openunison-orchestra',
          _time: new Date(ms).toISOString().replace('Z', '+00:00'),
          host: `node-${l.replica}`,
          index: 'k8s',
          linecount: String(l.text.split('\n').length),
          source,
          sourcetype: 'kube:container:openunison-orchestra',
          splunk_server: 'splunk-idx-1',
        };
        return JSON.stringify(i === events.length - 1 ? { preview: false, offset: i, lastrow: true, result } : { preview: false, offset: i, result });
      })
      .join('\n') + '\n'
  );
}

/**
 * `aws logs filter-log-events --log-group-name /aws/containerinsights/prod/application --query 'events[]'`
 * (EKS, fluent-bit shipping each container line as its JSON record): the AWS CLI's pretty array.
 */
export function cloudWatchEvents(lines: LogLine[], opts: { response?: boolean } = {}): string {
  const events = lines.map((l, i) => {
    const ms = epochOf(l.time, 'UTC');
    const pod = `openunison-orchestra-${l.replica}`;
    const record = { log: l.text + '\n', stream: 'stdout', time: isoNanos(ms, i % 1000), kubernetes: { pod_name: pod, namespace_name: 'openunison', container_name: 'openunison-orchestra', host: `ip-10-0-1-${l.replica}.ec2.internal` } };
    return { logStreamName: `ip-10-0-1-${l.replica}.ec2.internal-application.var.log.containers.${pod}_openunison_openunison-orchestra-0123abcd.log`, timestamp: ms, message: JSON.stringify(record), ingestionTime: ms + 900, eventId: `3${String(ms).padStart(20, '0')}${String(i).padStart(8, '0')}` };
  });
  // Without --query, the whole response: the events first, then the streams searched.
  const body = opts.response ? { events, searchedLogStreams: [{ logStreamName: events[0]?.logStreamName, searchedCompletely: true }] } : events;
  return JSON.stringify(body, null, 4) + '\n';
}
