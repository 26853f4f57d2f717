import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ndjson, ok } from '../helpers/cli.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { REQUEST_TIMEOUT_MS } from '../helpers/http.js';

// The daemon starts the outbox worker: alerts committed by the live pipeline are delivered
// (here to a JSONL sink), the automatic response is planned in dry-run, /metrics counts both,
// and a restart delivers nothing twice.

const SAMPLE = [0, 1].map((r) => new URL(`../../fixtures/sample/openunison-orchestra-${r}.log`, import.meta.url).pathname);
const children: DaemonProcess[] = [];
after(() => {
  for (const d of children) d.child.kill('SIGKILL');
});

function metric(text: string, pattern: RegExp): number | undefined {
  const line = text.split('\n').find((l) => pattern.test(l));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const jsonlLines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : []);

test('ouwatch run delivers alerts through the outbox, plans the response in dry-run, counts both in /metrics, and never twice', async () => {
  const dir = tempDir();
  const sink = join(dir, 'alerts.jsonl');
  const config = join(dir, 'ouwatch.yaml');
  writeFileSync(
    config,
    [
      `store: { path: ${JSON.stringify(join(dir, 'ouwatch.db'))} }`,
      `sources: { files: ${JSON.stringify(SAMPLE)} }`,
      // The sample is from the past: let the response guards treat it as fresh.
      'respond: { mode: dry-run, guards: { maxAlertAgeMinutes: null } }',
      `notify: { on: alerts, jsonl: { path: ${JSON.stringify(sink)}, minSeverity: low } }`,
      'outbox: { pollMs: 50 }',
    ].join('\n') + '\n',
  );
  const start = () => {
    const d = spawnDaemon(['--config', config, '--listen', '127.0.0.1:0', '--json']);
    children.push(d);
    return d;
  };

  const d = start();
  const base = await d.url();
  await waitFor('10 alerts in the JSONL sink', () => (jsonlLines(sink).length >= 10 ? true : undefined), 30_000);
  // The sink is a file the outbox writes; stdout comes through a pipe this process reads when it gets to it.
  await waitFor('10 alerts on stdout', () => (d.stdout.length >= 10 ? true : undefined), 30_000);
  const delivered = jsonlLines(sink).map((l) => JSON.parse(l) as { id: string; rule: string; response: unknown });
  assert.equal(delivered.length, 10);
  assert.equal(new Set(delivered.map((a) => a.id)).size, 10, 'each alert once');
  assert.deepEqual(
    d.stdout.map((l) => (JSON.parse(l) as { id: string }).id).sort(),
    delivered.map((a) => a.id).sort(),
    'stdout and the sink carry the same alerts',
  );
  // The live merge of the two replicas raises exactly what a replay of them raises.
  const replayed = ndjson<{ id: string }>(ok(['replay', ...SAMPLE, '--db', join(dir, 'replay.db'), '--json', '-q']).stdout);
  assert.deepEqual(delivered.map((a) => a.id).sort(), replayed.map((a) => a.id).sort());
  const replay = delivered.find((a) => a.rule === 'refresh-token-replay')!;
  assert.deepEqual((replay.response as { mode: string; status: string }).mode, 'dry-run');
  assert.deepEqual((replay.response as { mode: string; status: string }).status, 'planned');

  const planned = await d.waitForLog('the dry-run manifest', (r) => typeof r.msg === 'string' && r.msg.startsWith('dry-run: would end the sessions of'));
  assert.match(String(planned.text), /kind: EndSession/);
  assert.match(String(planned.text), /dn: "uid=mmosley,ou=shadow,o=Tremolo"/);

  const metrics = await fetch(new URL('/metrics', base), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }).then((r) => r.text());
  assert.equal(metric(metrics, /^ouwatch_notifications_total\{.*channel="jsonl".*result="sent"/), 10);
  assert.equal(metric(metrics, /^ouwatch_actions_total\{.*result="planned"/), 1);
  assert.equal(metric(metrics, /^ouwatch_outbox_depth /), 0);

  d.child.kill('SIGTERM');
  assert.equal((await d.exited).code, 0);

  // Started again on the same db and logs: nothing new is read, nothing is delivered again.
  const again = start();
  await again.waitForLog('start', (r) => r.msg === 'ouwatch run started');
  await new Promise((r) => setTimeout(r, 1000));
  again.child.kill('SIGTERM');
  assert.equal((await again.exited).code, 0);
  assert.equal(jsonlLines(sink).length, 10);
  assert.deepEqual(again.stdout, []);
});
