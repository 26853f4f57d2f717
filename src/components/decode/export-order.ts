import { ByteClock } from '../parse/byte-clock.js';
import { RecordDecoder } from './record-decoder.js';
import type { InputFormat } from './unwrap.js';

/** Formats that come out of a log platform, in whatever order its query returned them. */
const EXPORTS: ReadonlySet<InputFormat> = new Set(['loki', 'elasticsearch', 'cloud-logging', 'cloudwatch', 'splunk', 'log4j2-json', 'ecs-json', 'json']);

/** A step back in log time larger than this counts as going backwards (threads jitter by less). */
const BACK_MS = 1000;

/** What an input's first bytes say about its order (headOrder). */
export interface HeadOrder {
  /** It comes out of a log platform: judged on more records (the caller reads up to a chunk of them first). */
  exported: boolean;
  /** Why it cannot be replayed as it is, or null. */
  problem: string | null;
}

/**
 * Whether an input's head is an export, and why it cannot be replayed as it is. Replay reads
 * each input in its own order (the merge by log time only interleaves inputs), and detection
 * needs log-time order: a Loki export made without `--forward` (logcli prints newest first) or
 * an Elasticsearch query sorted by score or newest first would raise wrong alerts. The records
 * in `head` are decoded once, as the worker decodes them, and their log4j times compared:
 * mostly going backwards is a newest-first export; often going backwards (over 5% of the
 * changes) is an unsorted one. A log file is in the order it was written, its replicas' clocks
 * and threads aside: it is judged only for being newest first as a whole (a log platform's text
 * export, `logcli --output=raw` without `--forward`, or a reversed file), on more changes.
 */
export function headOrder(head: Buffer, eof: boolean): HeadOrder {
  const { format, times } = decodeHead(head, eof);
  if (format === null) return { exported: false, problem: null };
  const exported = EXPORTS.has(format);
  return { exported, problem: exported ? exportProblem(format, times) : textProblem(times) };
}

/** Steps back and forward in log time between consecutive records. */
function changesOf(times: readonly number[]): { back: number; changes: number } {
  let back = 0;
  let forward = 0;
  for (let i = 1; i < times.length; i++) {
    if (times[i] < times[i - 1] - BACK_MS) back++;
    else if (times[i] > times[i - 1]) forward++;
  }
  return { back, changes: back + forward };
}

function exportProblem(format: InputFormat, times: readonly number[]): string | null {
  const { back, changes } = changesOf(times);
  if (changes < 3) return null;
  const fix = FIXES[format] ?? FIXES.json;
  if (back >= 0.9 * changes) return `its records are newest first (a ${format} export read in its own order would raise wrong alerts): ${fix}`;
  if (back >= 3 && back > 0.05 * changes) return `its records are not in time order (${back} of the first ${times.length} go back in time; replay needs oldest first): ${fix}`;
  return null;
}

function textProblem(times: readonly number[]): string | null {
  const { back, changes } = changesOf(times);
  if (changes < MIN_TEXT_CHANGES || back < 0.9 * changes) return null;
  return `its lines are newest first (a log platform's text export, or a reversed file: read in this order it would raise wrong alerts): ${TEXT_FIX}`;
}

/** Changes of log time a log file's head must show before it is judged newest first. */
const MIN_TEXT_CHANGES = 20;
const TEXT_FIX = 'reverse it before replaying it (`tac FILE > FILE.forward`; `zcat FILE | tac > FILE.forward` for gzip), or export it again oldest first';

function decodeHead(head: Buffer, eof: boolean): { format: InputFormat | null; times: number[] } {
  const times: number[] = [];
  const clock = new ByteClock();
  const decoder = new RecordDecoder({
    record(buf, start, end) {
      const t = headerTime(clock, buf, start, end);
      if (t !== null) times.push(t);
    },
    skip() {},
  });
  decoder.write(head);
  if (eof) decoder.end();
  return { format: decoder.format, times };
}

const FIXES: Partial<Record<InputFormat, string>> & { json: string } = {
  loki: 'export it again with `logcli query --forward`, or reverse this file (`tac FILE > FILE.forward`)',
  elasticsearch: 'export it again sorted oldest first (`"sort": [{"@timestamp": "asc"}]` in the query)',
  'cloud-logging': 'read it again oldest first (`gcloud logging read … --order=asc`)',
  splunk: 'export it again oldest first (end the search with `| sort 0 _time`)',
  cloudwatch: "sort it oldest first (`jq 'sort_by(.timestamp)'`)",
  'log4j2-json': 'sort it oldest first before replaying it',
  'ecs-json': 'export it again sorted oldest first (`"sort": [{"@timestamp": "asc"}]` in the query)',
  json: 'sort it oldest first before replaying it',
};

/** Epoch ms of a log4j header line (a stamp without a zone read as UTC: only differences matter), or null. */
function headerTime(clock: ByteClock, buf: Buffer, start: number, end: number): number | null {
  if (end - start < 25 || buf[start] !== 91) return null;
  const ms = clock.epochAt(buf, start + 1, end);
  return Number.isNaN(ms) || buf[start + 1 + clock.length] !== 93 ? null : ms;
}
