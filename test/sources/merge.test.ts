import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { mergeByTime } from '../../src/pipeline/merge.js';
import { ReplayInput } from '../../src/components/sources/files/archive-input.js';
import { PackedFeed } from '../../src/pipeline/packed-feed.js';
import { ParseService } from '../../src/pipeline/parse-service.js';
import { EVENT, kindOf } from '../../src/components/parse/packed.js';
import { DEFAULT_MAX_LINE_BYTES } from '../../src/components/decode/lines.js';
import { accessLine, log4jTime, STACK_TRACE } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';

// Several inputs are consumed in log-time order (k-way merge): two replicas' logs, or rotated
// files given in any order. A line without a timestamp (a stack trace) stays right after the
// line it belongs to; equal timestamps go to the input named first.

const dir = tempDir();
const T0 = Date.UTC(2024, 4, 6, 7, 0, 0);
const at = (ms: number, tag: string) => accessLine({ time: log4jTime(T0 + ms), thread: tag });

function file(name: string, lines: string[], gzip = false): string {
  const p = join(dir, name);
  const text = lines.join('\n') + '\n';
  writeFileSync(p, gzip ? gzipSync(text) : text);
  return p;
}

/**
 * The merged stream, read exactly as replay reads it (parse worker, packed feeds, merge), as
 * `origin`, `lineNo` and the event's line (or the kind of a line that is not an event).
 */
async function merged(paths: string[]): Promise<Array<{ origin: string; lineNo: number; text: string | null }>> {
  const service = new ParseService('UTC', DEFAULT_MAX_LINE_BYTES);
  const out: Array<{ origin: string; lineNo: number; text: string | null }> = [];
  try {
    const feeds: PackedFeed[] = [];
    for (const p of paths) {
      const input = new ReplayInput(p, () => null);
      await input.identify();
      feeds.push(new PackedFeed(service, input));
    }
    await mergeByTime(
      feeds,
      (feed) => {
        const batch = feed.batch!;
        const i = feed.index++;
        const origin = feed.source.cursor.origin;
        const text = batch.kinds[i] === EVENT ? feed.tables.event(batch, i, origin).raw : `<${kindOf(batch.kinds[i])}>`;
        out.push({ origin: origin.slice(dir.length + 1), lineNo: batch.lineNos[i], text });
      },
      () => {},
    );
  } finally {
    await service.close();
  }
  return out;
}

const stampOf = (text: string | null) => (text !== null && text.startsWith('[20') ? text.slice(1, 24) : null);

describe('two replicas of OpenUnison', () => {
  test('their lines come out in time order; equal times go to the input named first', async () => {
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

  test('a stack trace stays right after its event even when the other replica logged in between', async () => {
    const a = file('trace-a.log', [at(0, 'a1'), ...STACK_TRACE, at(100, 'a2')]);
    const b = file('trace-b.log', [at(1, 'b1'), at(2, 'b2'), at(101, 'b3')]);
    const out = await merged([a, b]);
    const aFirst = out.findIndex((r) => r.origin === 'trace-a.log' && r.lineNo === 1);
    assert.deepEqual(
      out.slice(aFirst, aFirst + 1 + STACK_TRACE.length).map((r) => r.text),
      [at(0, 'a1'), ...STACK_TRACE.map(() => '<continuation>')],
    );
    assert.deepEqual(out.map((r) => stampOf(r.text)).filter((s) => s !== null), [0, 1, 2, 100, 101].map((ms) => log4jTime(T0 + ms)));
  });

  test('many inputs: time order overall, each input in its own order', async () => {
    let seed = 3;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const paths: string[] = [];
    for (let f = 0; f < 5; f++) {
      let t = Math.floor(rand() * 1000);
      const lines: string[] = [];
      for (let i = 0; i < 3000; i++) {
        t += Math.floor(rand() * 50);
        lines.push(at(t, `f${f}-${i}`));
        if (rand() < 0.02) lines.push(...STACK_TRACE.slice(0, 2));
      }
      paths.push(file(`many-${f}.log${f % 2 ? '.gz' : ''}`, lines, f % 2 === 1));
    }
    const out = await merged(paths);
    let last = '';
    const lastLine = new Map<string, number>();
    for (const r of out) {
      const s = stampOf(r.text);
      if (s !== null) {
        assert.ok(s >= last, `${s} after ${last}`);
        last = s;
      }
      assert.ok(r.lineNo > (lastLine.get(r.origin) ?? 0), `${r.origin} out of its own order`);
      lastLine.set(r.origin, r.lineNo);
    }
    assert.equal(out.length, [...lastLine.values()].reduce((a, b) => a + b, 0));
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
