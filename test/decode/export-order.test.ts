import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headOrder } from '../../src/components/decode/export-order.js';
import { cloudLoggingJson, esHitsNdjson, esSearchResponse, lokiJsonl, mergedSample, splunkJson } from '../helpers/exports.js';

// Replay reads each input in its own order; only inputs are merged by log time. An export
// that lists the newest line first (logcli without --forward, an Elasticsearch query sorted
// by score or newest first) would be read backwards and raise wrong alerts, so replay refuses
// it before reading anything and says how to export it again. A log file is refused only
// when its head is newest first as a whole (a log platform's text export, a reversed file).

const sample = mergedSample().slice(0, 2000);
const head = (text: string) => Buffer.from(text).subarray(0, 256 * 1024);
const exportOrderProblem = (bytes: Buffer, eof: boolean) => headOrder(bytes, eof).problem;

test('exports oldest first pass', () => {
  assert.equal(exportOrderProblem(head(lokiJsonl(sample)), false), null);
  assert.equal(exportOrderProblem(head(esSearchResponse(sample, { pretty: true })), false), null);
  assert.equal(exportOrderProblem(head(esHitsNdjson(sample)), false), null);
});

test('a Loki export made without --forward is newest first: export it again with --forward, or tac', () => {
  const problem = exportOrderProblem(head(lokiJsonl(sample, { newestFirst: true })), false);
  assert.match(problem ?? '', /newest first .*logcli query --forward.*tac/);
});

test('an Elasticsearch response sorted newest first, or not sorted by time, is refused with the query fix', () => {
  const reversed = exportOrderProblem(head(esSearchResponse([...sample].reverse())), false);
  assert.match(reversed ?? '', /newest first .*"sort": \[\{"@timestamp": "asc"\}\]/);
  // A few steps back among many forward (two replicas' clocks, a busy thread) are tolerated.
  const jittered = [...sample];
  for (const i of [100, 700, 1500]) [jittered[i], jittered[i + 1]] = [jittered[i + 1], jittered[i]];
  assert.equal(exportOrderProblem(head(esHitsNdjson(jittered)), false), null);
  const shuffled = sample.slice(0, 300).map((_, i) => sample[(i * 97) % 300]);
  assert.match(exportOrderProblem(head(esHitsNdjson(shuffled)), false) ?? '', /not in time order \(\d+ of the first 300 go back in time/);
});

test("gcloud's default order and a Splunk search without a sort are newest first: refused with each platform's fix", () => {
  assert.match(exportOrderProblem(head(cloudLoggingJson(sample)), false) ?? '', /a cloud-logging export .*gcloud logging read … --order=asc/);
  assert.equal(exportOrderProblem(head(cloudLoggingJson(sample, { order: 'asc' })), false), null);
  assert.match(exportOrderProblem(head(splunkJson(sample, { newestFirst: true })), false) ?? '', /a splunk export .*\| sort 0 _time/);
  assert.equal(exportOrderProblem(head(splunkJson(sample)), false), null);
});

test('a log file newest first (a text export, a reversed file) is refused with the fix; out of order or short, it is read as it is', () => {
  const text = (lines: typeof sample) => lines.map((l) => l.text).join('\n') + '\n';
  assert.equal(exportOrderProblem(head(text(sample)), false), null);
  assert.match(exportOrderProblem(head(text([...sample].reverse())), false) ?? '', /lines are newest first .*tac FILE > FILE\.forward/);
  // Two replicas interleaved as they arrived (stern), one clock a few seconds behind: often back, never mostly.
  const skewed = sample.map((l, i) => (i % 2 === 1 ? l.text.replace(/^\[(.{19}),/, (_, t: string) => `[${new Date(Date.parse(`${t.replace(' ', 'T')}Z`) - 3000).toISOString().slice(0, 19).replace('T', ' ')},`) : l.text));
  assert.equal(exportOrderProblem(head(skewed.join('\n') + '\n'), false), null);
  // Fewer than 20 changes of time decide nothing for a log file, fewer than 3 for an export.
  assert.equal(exportOrderProblem(Buffer.from(text(sample.slice(0, 15).reverse())), true), null);
  assert.equal(exportOrderProblem(Buffer.from(lokiJsonl(sample.slice(0, 3), { newestFirst: true })), true), null);
});

test("an export is told from log text by the same decoding of its head that judges its order", () => {
  assert.deepEqual(headOrder(head(lokiJsonl(sample)), false), { exported: true, problem: null });
  assert.deepEqual(headOrder(head(sample.map((l) => l.text).join('\n') + '\n'), false), { exported: false, problem: null });
});
