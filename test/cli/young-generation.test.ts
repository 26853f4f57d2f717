import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { NEW_SPACE_CAP_BYTES, STOP_GROWTH_FLAG, boundYoungGeneration, operatorSizedYoung, type NewSpaceWatch } from '../../src/cli/young-generation.js';

// The CLI lets V8's young generation of the main thread grow to 8 MiB and no further (the
// default goes to 32 MiB while a replay's objects survive their first scavenge), unless
// whoever started node sized it.

const MIB = 1024 * 1024;
const run = promisify(execFile);
const MODULE = fileURLToPath(new URL('../../src/cli/young-generation.ts', import.meta.url));

/** A new space whose size the spec sets, collections the spec triggers, and the flags applied. */
function fakeNewSpace(bytes: number): NewSpaceWatch & { bytes: number; applied: string[]; collect(): void; watching: boolean } {
  let check: (() => void) | null = null;
  const w = {
    bytes,
    applied: [] as string[],
    watching: false,
    newSpaceBytes: () => w.bytes,
    apply: (f: string) => void w.applied.push(f),
    afterEachCollection: (c: () => void) => {
      check = c;
      w.watching = true;
      return () => {
        check = null;
        w.watching = false;
      };
    },
    collect: () => check?.(),
  };
  return w;
}

/** A node process that allocates objects half of which survive a scavenge, and reports its main thread's new space. */
async function newSpaceAfterChurn(bound: boolean, threadAt: number | null = null): Promise<number> {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { Worker } from 'node:worker_threads';
    import { boundYoungGeneration } from ${JSON.stringify(MODULE)};
    if (${bound}) boundYoungGeneration([], '');
    const kept = [];
    for (let i = 0; i < 3_000_000; i++) {
      kept.push({ n: i, s: 'x' + i });
      if (kept.length > 50_000) kept.length = 0;
      if (i === ${threadAt}) {
        // Running (its heap set up) before the churn goes on, however loaded the machine.
        const w = new Worker('setTimeout(() => {}, 2000)', { eval: true });
        await new Promise((r) => w.once('online', r));
        w.unref();
      }
      // Back to the event loop now and then, as a replay's main thread is between batches:
      // the bound is applied there, after the collection that reached the cap.
      if (i % 10_000 === 0) await new Promise((r) => setImmediate(r));
    }
    process.stdout.write(String(getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size));
  `;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } });
  return Number(stdout);
}

describe('young generation', () => {
  test('the growth stops once the new space reaches its cap, at the first collection that sees it', () => {
    const young = fakeNewSpace(MIB);
    const stop = boundYoungGeneration([], '', young);
    try {
      assert.equal(young.watching, true);
      young.collect();
      young.bytes = NEW_SPACE_CAP_BYTES / 2;
      young.collect();
      assert.deepEqual(young.applied, [], 'below the cap, V8 grows it as it likes');
      young.bytes = NEW_SPACE_CAP_BYTES;
      young.collect();
      young.collect();
      assert.deepEqual(young.applied, [STOP_GROWTH_FLAG], 'applied once');
      assert.equal(young.watching, false, 'and no longer watched');
    } finally {
      stop();
    }
  });

  test('a new space already at its cap is bounded at once', () => {
    const young = fakeNewSpace(4 * NEW_SPACE_CAP_BYTES);
    boundYoungGeneration([], '', young);
    assert.deepEqual(young.applied, [STOP_GROWTH_FLAG]);
    assert.equal(young.watching, false);
  });

  test("an operator's size, on node's command line or in NODE_OPTIONS, in either spelling, is left alone", () => {
    assert.equal(operatorSizedYoung([], ''), false);
    assert.equal(operatorSizedYoung(['--max-old-space-size=2048'], '--enable-source-maps'), false);
    assert.equal(operatorSizedYoung(['--max-semi-space-size=16'], ''), true);
    assert.equal(operatorSizedYoung(['--max_semi_space_size', '16'], ''), true);
    assert.equal(operatorSizedYoung(['--semi-space-growth-factor=4'], ''), true);
    assert.equal(operatorSizedYoung([], '--max-old-space-size=900 --max-semi-space-size=64'), true);
    assert.equal(operatorSizedYoung(['--max-semi-space-sizes=1'], ''), false, 'another flag');
    const young = fakeNewSpace(4 * NEW_SPACE_CAP_BYTES);
    boundYoungGeneration([], '--max-semi-space-size=64', young);
    assert.equal(young.watching, false);
    assert.deepEqual(young.applied, []);
  });

  test("in a real process, V8's new space stays at the cap where it would otherwise grow past it", async () => {
    const [bounded, free] = await Promise.all([newSpaceAfterChurn(true), newSpaceAfterChurn(false)]);
    assert.ok(free > NEW_SPACE_CAP_BYTES, `unbounded, the new space grows past the cap (${free / MIB} MiB)`);
    assert.ok(bounded <= NEW_SPACE_CAP_BYTES, `bounded, it stays at ${bounded / MIB} MiB`);
  });

  test('a thread started once the cap was reached lets the new space grow again (why threads start at launch)', async () => {
    // Setting up the thread's heap puts V8's growth factor back for the whole process; see
    // test/architecture/threads.test.ts. Should V8 stop doing so, this fails and the rule can go.
    const late = await newSpaceAfterChurn(true, 1_000_000);
    assert.ok(late > NEW_SPACE_CAP_BYTES, `the new space grew to ${late / MIB} MiB`);
  });
});
