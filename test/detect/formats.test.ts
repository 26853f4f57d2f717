import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parse } from 'yaml';
import type { StoredAlert } from '../../src/core/alerts.js';
import { BUNDLED_RULES_DIR } from '../../src/app/rule-dirs.js';
import { detect, scratch } from './helpers.js';
import { cloudLoggingJson, cloudWatchEvents, ecsJsonLines, esHitsNdjson, esScrollDump, esSearchResponse, log4j2JsonLayout, lokiJsonl, mergedSample, splunkJson } from '../helpers/exports.js';

const s = scratch();
after(() => s.done());
const SAMPLE = new URL('../../fixtures/sample/', import.meta.url).pathname;
const replicas = [0, 1].map((r) => `${SAMPLE}openunison-orchestra-${r}.log`);

/** The two replicas merged by log time as ouwatch merges them (ties: the first replica). */
function merged(): string[] {
  return mergedWithReplica().map((l) => l.line);
}

/** The same, each line with the replica it came from. */
function mergedWithReplica(): Array<{ replica: number; line: string }> {
  const keyed = replicas.map((f) => {
    let last = '';
    return readFileSync(f, 'utf8').split('\n').filter(Boolean).map((line) => {
      if (line.startsWith('[') && line[24] === ']') last = line.slice(1, 24);
      return { key: last, line };
    });
  });
  const [a, b] = keyed;
  const out: Array<{ replica: number; line: string }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i].key <= b[j].key)) out.push({ replica: 0, line: a[i++].line });
    else out.push({ replica: 1, line: b[j++].line });
  }
  return out;
}

/** What must not depend on the input's shape: everything but where the evidence is. */
const comparable = (alerts: StoredAlert[]) =>
  alerts.map((a) => ({ id: a.id, rule: a.rule, dn: a.dn, ip: a.ip, count: a.count, time: a.time, lastTime: a.lastTime, reason: a.reason, lines: a.evidence.map((e) => e.line) }));

const logTime = (line: string) => (line.startsWith('[') ? line.slice(1, 24).replace(' ', 'T').replace(',', '.') + '000000Z' : '2026-03-03T00:00:00.000000000Z');

test('the same day as two replica files, one plain file (also one whose first lines are JSON a message printed), gzip, docker json-file, CRI, kubectl --timestamps, kubectl --prefix (one pod, and both pods one after another, plain and gzip), stern (both pods interleaved: plain, with stamps, with namespace, colour and short stamps, JSON), every JSON export (Loki, Elasticsearch, Google Cloud Logging, Splunk, CloudWatch Logs, log4j2 layouts) and ISO 8601 stamps with their zone raise the same alerts', async () => {
  const lines = merged();
  const files: Record<string, string[]> = {
    plain: [s.path('day.log')],
    // A plain log cut by rotation inside a message that printed JSON: its first lines are JSON, not docker records.
    'plain-json-first': [s.path('day-json-first.log')],
    gzip: [s.path('day.log.gz')],
    docker: [s.path('day-json.log')],
    cri: [s.path('day-cri.log')],
    kubectl: [s.path('day-kubectl.log')],
    'kubectl-prefix': [s.path('day-kubectl-prefix.log')],
    // `kubectl logs -l app=openunison-orchestra --prefix`: pod after pod in one file.
    'kubectl-prefix-pods': [s.path('pods.log')],
    'kubectl-prefix-pods-gz': [s.path('pods.log.gz')],
    // stern -n openunison openunison-orchestra > day.log: both pods interleaved as lines arrive.
    stern: [s.path('day-stern.log')],
    'stern-timestamps': [s.path('day-stern-ts.log')],
    // stern --all-namespaces --color always --timestamps=short: the namespace first, names in colour escapes.
    'stern-namespaces': [s.path('day-stern-ns.log')],
    'stern-json': [s.path('day-stern.json')],
    loki: [s.path('day-loki.jsonl')],
    'es-search': [s.path('day-search.json')],
    'es-scroll': [s.path('day-scroll.json')],
    'es-hits': [s.path('day-hits.ndjson')],
    'cloud-logging': [s.path('day-gcloud.json')],
    splunk: [s.path('day-splunk.json')],
    cloudwatch: [s.path('day-cloudwatch.json')],
    // The same without --query: the whole response, its events under `events`.
    'cloudwatch-response': [s.path('day-cloudwatch-response.json')],
    // The Cloud Logging API's entries.list: the entries under `entries`, oldest first.
    'cloud-logging-api': [s.path('day-gcp-api.json')],
    'log4j2-json': [s.path('day-jsonlayout.json')],
    'ecs-json': [s.path('day-ecs.ndjson')],
    // A custom log4j2 layout's ISO 8601 stamps with the zone (`%d{ISO8601_OFFSET_DATE_TIME_HHCMM}`, `.` for `,`): the same instants on a +02:00 clock.
    'iso-offset': replicas.map((_, r) => s.path(`iso-${r}.log`)),
    replicas,
  };
  const format: Record<string, string> = { docker: 'docker', cri: 'cri', kubectl: 'kubectl', 'kubectl-prefix': 'kubectl-prefix', 'kubectl-prefix-pods': 'kubectl-prefix', 'kubectl-prefix-pods-gz': 'kubectl-prefix', stern: 'stern', 'stern-timestamps': 'stern', 'stern-namespaces': 'stern', 'stern-json': 'docker', loki: 'loki', 'es-search': 'elasticsearch', 'es-scroll': 'elasticsearch', 'es-hits': 'elasticsearch', 'cloud-logging': 'cloud-logging', splunk: 'splunk', cloudwatch: 'cloudwatch', 'cloudwatch-response': 'cloudwatch', 'cloud-logging-api': 'cloud-logging', 'log4j2-json': 'log4j2-json', 'ecs-json': 'ecs-json' };
  writeFileSync(files.plain[0], lines.join('\n') + '\n');
  writeFileSync(files['plain-json-first'][0], ['{', '  "client_id": "kubernetes",', '  "scope": "openid offline_access"', '}', ...lines].join('\n') + '\n');
  writeFileSync(files.gzip[0], gzipSync(lines.join('\n') + '\n'));
  writeFileSync(files.docker[0], lines.map((l) => JSON.stringify({ log: l + '\n', stream: 'stdout', time: logTime(l) })).join('\n') + '\n');
  writeFileSync(files.cri[0], lines.map((l) => `${logTime(l)} stdout F ${l}`).join('\n') + '\n');
  writeFileSync(files.kubectl[0], lines.map((l) => `${logTime(l)} ${l}`).join('\n') + '\n');
  writeFileSync(files['kubectl-prefix'][0], lines.map((l) => `[pod/openunison-orchestra-0/openunison-orchestra] ${logTime(l)} ${l}`).join('\n') + '\n');
  const pods = replicas.map((f, r) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => `[pod/openunison-orchestra-${r}/openunison-orchestra] ${l}`).join('\n') + '\n').join('');
  writeFileSync(files['kubectl-prefix-pods'][0], pods);
  writeFileSync(files['kubectl-prefix-pods-gz'][0], gzipSync(pods));
  const tagged = mergedWithReplica();
  const pod = (r: number) => `openunison-orchestra-${r}`;
  const colour = (r: number, name: string) => `\x1b[3${r + 2}m${name}\x1b[0m`;
  const shortTime = (l: string) => logTime(l).slice(5, 19).replace('T', ' ');
  writeFileSync(files.stern[0], tagged.map(({ replica, line }) => `${pod(replica)} openunison-orchestra ${line}`).join('\n') + '\n');
  writeFileSync(files['stern-timestamps'][0], tagged.map(({ replica, line }) => `${pod(replica)} openunison-orchestra ${logTime(line)} ${line}`).join('\n') + '\n');
  writeFileSync(
    files['stern-namespaces'][0],
    tagged.map(({ replica, line }) => `${colour(replica, 'openunison')} ${colour(replica, pod(replica))} ${colour(replica, 'openunison-orchestra')} ${shortTime(line)} ${line}`).join('\n') + '\n',
  );
  writeFileSync(
    files['stern-json'][0],
    tagged.map(({ replica, line }) => JSON.stringify({ message: line, nodeName: 'node-1', namespace: 'openunison', podName: pod(replica), containerName: 'openunison-orchestra', labels: { app: 'openunison-orchestra' }, annotations: {} })).join('\n') + '\n',
  );
  replicas.forEach((f, r) => writeFileSync(files['iso-offset'][r], readFileSync(f, 'utf8').replace(/^\[(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d),(\d{3})\]/gm, (_, d: string, t: string, ms: string) => `[${new Date(Date.parse(`${d}T${t}.${ms}Z`) + 2 * 3_600_000).toISOString().slice(0, 23)}+02:00]`)));
  const day = mergedSample();
  writeFileSync(files.loki[0], lokiJsonl(day));
  writeFileSync(files['es-search'][0], esSearchResponse(day, { pretty: true }));
  writeFileSync(files['es-scroll'][0], esScrollDump(day, 1000));
  writeFileSync(files['es-hits'][0], esHitsNdjson(day));
  writeFileSync(files['cloud-logging'][0], cloudLoggingJson(day, { order: 'asc' }));
  writeFileSync(files.splunk[0], splunkJson(day));
  writeFileSync(files.cloudwatch[0], cloudWatchEvents(day));
  writeFileSync(files['cloudwatch-response'][0], cloudWatchEvents(day, { response: true }));
  writeFileSync(files['cloud-logging-api'][0], cloudLoggingJson(day, { order: 'asc', api: true }));
  writeFileSync(files['log4j2-json'][0], log4j2JsonLayout(day, 'UTC'));
  writeFileSync(files['ecs-json'][0], ecsJsonLines(day, 'UTC'));

  const results: Record<string, ReturnType<typeof comparable>> = {};
  for (const [shape, inputs] of Object.entries(files)) {
    const { alerts, report } = await detect(s.path(`${shape}.db`), BUNDLED_RULES_DIR, { files: inputs });
    assert.deepEqual(report.warnings, [], shape);
    // A file of several pods is read as one input per pod.
    const perInput = shape.startsWith('kubectl-prefix-pods') ? replicas : inputs;
    assert.deepEqual(report.inputs.map((i) => i.format), perInput.map(() => format[shape] ?? 'plain'), shape);
    results[shape] = comparable(alerts);
  }
  // Every planted alert of the sample (fixtures/sample/expected-alerts.yaml).
  const planted = (parse(readFileSync(`${SAMPLE}expected-alerts.yaml`, 'utf8')) as { alerts: unknown[] }).alerts;
  assert.equal(results.replicas.length, planted.length);
  for (const shape of ['plain', 'plain-json-first', 'gzip', 'docker', 'cri', 'kubectl', 'kubectl-prefix', 'kubectl-prefix-pods', 'kubectl-prefix-pods-gz', 'stern', 'stern-timestamps', 'stern-namespaces', 'stern-json', 'loki', 'es-search', 'es-scroll', 'es-hits', 'cloud-logging', 'cloud-logging-api', 'splunk', 'cloudwatch', 'cloudwatch-response', 'log4j2-json', 'ecs-json']) {
    assert.deepEqual(results[shape], results.replicas, `${shape} differs from the replica files`);
  }
  // The ISO stamps' evidence is their own lines (an alert's id is made from its evidence): the same alerts otherwise.
  const withoutId = (alerts: ReturnType<typeof comparable>) => alerts.map((a) => ({ ...a, id: null }));
  const fromIso = results['iso-offset'].map((a) => ({ ...a, lines: a.lines.map((l) => l.replace(/^\[([^\]]+)\+02:00\]/, (_, t: string) => `[${new Date(Date.parse(`${t}Z`) - 2 * 3_600_000).toISOString().slice(0, 23).replace('T', ' ').replace('.', ',')}]`)) }));
  assert.deepEqual(withoutId(fromIso), withoutId(results.replicas), 'ISO 8601 stamps with their zone differ from the replica files');
});
