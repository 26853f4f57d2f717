import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '../../src/app/config.js';
import { parseFiles } from '../../src/app/parse.js';
import { accessLine, log4jTime, STACK_TRACE } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';

// Several inputs are consumed in log-time order (a k-way merge of their events): two
// replicas' logs, or rotated files given in any order. Equal times go to the input named
// first; each input's events keep their own order. Lines that are not events (stack traces)
// are counted where they are read and never reach the merge.

const dir = tempDir();
const T0 = Date.UTC(2024, 4, 6, 7, 0, 0);
const at = (ms: number, tag: string) => accessLine({ time: log4jTime(T0 + ms), thread: tag });

function file(name: string, lines: string[], gzip = false): string {
  const p = join(dir, name);
  const text = lines.join('\n') + '\n';
  writeFileSync(p, gzip ? gzipSync(text) : text);
  return p;
}

/** The merged events, read exactly as `ouwatch parse` and replay read them (worker, feeds, merge). */
async function merged(paths: string[]): Promise<Array<{ origin: string; lineNo: number; text: string; ts: number }>> {
  const out: Array<{ origin: string; lineNo: number; text: string; ts: number }> = [];
  const warnings = await parseFiles(
    loadConfig(),
    paths,
    (e) => out.push({ origin: e.origin.slice(dir.length + 1), lineNo: e.lineNo, text: e.raw(), ts: e.ts }),
    async () => undefined,
  );
  assert.deepEqual(warnings, []);
  return out;
}

describe('two replicas of OpenUnison', () => {
  test('their events come out in time order; equal times go to the input named first', async () => {
    const a = file('replica-a.log', [at(0, 'a1'), at(10, 'a2'), at(20, 'a3'), at(40, 'a4')]);
    const b = file('replica-b.log', [at(5, 'b1'), at(10, 'b2'), at(30, 'b3'), at(50, 'b4')]);
    const order = (await merged([a, b])).map((r) => `${r.origin}:${r.lineNo}`);
    assert.deepEqual(order, [
      'replica-a.log:1', 'replica-b.log:1', 'replica-a.log:2', 'replica-b.log:2',
      'replica-a.log:3', 'replica-b.log:3', 'replica-a.log:4', 'replica-b.log:4',
    ]);
    const reversed = (await merged([b, a])).map((r) => `${r.origin}:${r.lineNo}`);
    assert.deepEqual(reversed.slice(2, 4), ['replica-b.log:2', 'replica-a.log:2'], 'the tie now goes to replica b, named first');
  });

  test('a stack trace between two events of one replica does not disturb the order, and keeps the line numbers exact', async () => {
    const a = file('trace-a.log', [at(0, 'a1'), ...STACK_TRACE, at(100, 'a2')]);
    const b = file('trace-b.log', [at(1, 'b1'), at(2, 'b2'), at(101, 'b3')]);
    const out = await merged([a, b]);
    assert.deepEqual(out.map((r) => `${r.origin}:${r.lineNo}`), ['trace-a.log:1', 'trace-b.log:1', 'trace-b.log:2', `trace-a.log:${STACK_TRACE.length + 2}`, 'trace-b.log:3']);
    assert.deepEqual(out.map((r) => r.text), [at(0, 'a1'), at(1, 'b1'), at(2, 'b2'), at(100, 'a2'), at(101, 'b3')]);
  });

  test('many inputs, plain and gzip, thousands of events each: time order overall, each input in its own order, nothing lost', async () => {
    let seed = 3;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const paths: string[] = [];
    let events = 0;
    for (let f = 0; f < 5; f++) {
      let t = Math.floor(rand() * 1000);
      const lines: string[] = [];
      for (let i = 0; i < 3000; i++) {
        t += Math.floor(rand() * 50);
        lines.push(at(t, `f${f}-${i}`));
        events++;
        if (rand() < 0.02) lines.push(...STACK_TRACE.slice(0, 2));
      }
      paths.push(file(`many-${f}.log${f % 2 ? '.gz' : ''}`, lines, f % 2 === 1));
    }
    const out = await merged(paths);
    assert.equal(out.length, events);
    let last = 0;
    const lastLine = new Map<string, number>();
    for (const r of out) {
      assert.ok(r.ts >= last, `${new Date(r.ts).toISOString()} after ${new Date(last).toISOString()}`);
      last = r.ts;
      assert.ok(r.lineNo > (lastLine.get(r.origin) ?? 0), `${r.origin} out of its own order`);
      lastLine.set(r.origin, r.lineNo);
    }
    assert.equal(new Set(out.map((r) => r.text)).size, events, 'each event once');
  });
});

describe('rotated files given in any order', () => {
  test('app.log, app.log.2.gz, app.log.1 are replayed oldest first', async () => {
    const oldest = file('app.log.2.gz', [at(0, 'r2-1'), at(1000, 'r2-2')], true);
    const older = file('app.log.1', [at(2000, 'r1-1'), at(3000, 'r1-2')]);
    const current = file('app.log', [at(4000, 'r0-1'), at(5000, 'r0-2')]);
    for (const given of [[current, oldest, older], [older, current, oldest], [oldest, older, current]]) {
      const out = await merged(given);
      assert.deepEqual(out.map((r) => r.origin), ['app.log.2.gz', 'app.log.2.gz', 'app.log.1', 'app.log.1', 'app.log', 'app.log']);
    }
  });
});
