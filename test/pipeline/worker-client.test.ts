import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { DEFAULT_NETWORK_BITS } from '../../src/components/enrich/address-info.js';
import type { startEarly } from '../../src/cli/early-start.js';
import { builtAfterSources } from '../../src/core/package-files.js';
import { IngestWorker, warmUpIngestWorker } from '../../src/pipeline/worker-client.js';
import type { WorkerReply, WorkerRequest } from '../../src/pipeline/worker/ingest-worker.js';
import { AUTH_URL, access, head, userDn } from '../../bench/corpora/lines.js';
import { esSearchResponse, mergedSample } from '../helpers/exports.js';
import { tempDir } from '../helpers/tmp.js';

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/openunison-orchestra-0.log', import.meta.url));
const settings = { timeZone: 'UTC', maxLineBytes: 65_536, networkBits: DEFAULT_NETWORK_BITS };

/** Parses `bytes` as one input: what the main thread learns of it. */
async function parse(worker: IngestWorker, bytes: Buffer) {
  const input = worker.open(0, 1);
  const first = await worker.write(input, bytes);
  const last = await worker.end(input);
  const countries = new Set<string>();
  for (const b of [first, last]) {
    for (let i = 0; i < b.count; i++) {
      const ip = b.ips[i];
      if (ip >= 0) countries.add(worker.tables.ips.get(ip).country ?? '-');
    }
  }
  const firstTime = first.count > 0 ? first.times[0] : last.times[0];
  // The ids too: a thread's own use before the run (its warm-up parse) must not shift them.
  const ids = { dns: [...first.dns, ...last.dns], ips: [...first.ips, ...last.ips] };
  return { events: first.count + last.count, lines: first.lines + last.lines, countries: [...countries].sort(), firstTime, ids };
}

describe('the ingest worker started ahead of need', () => {
  test('is taken by the next IngestWorker, configured then, and parses as a thread started at that moment does (public addresses described)', async () => {
    const bytes = readFileSync(SAMPLE);
    warmUpIngestWorker();
    const warm = new IngestWorker(settings);
    const cold = new IngestWorker(settings);
    try {
      const a = await parse(warm, bytes);
      const b = await parse(cold, bytes);
      assert.ok(a.events > 1000, `events parsed: ${a.events}`);
      assert.ok(a.countries.some((c) => c !== '-'), 'some addresses got a country from the preloaded tables');
      assert.deepEqual(a, b);
    } finally {
      await warm.terminate();
      await cold.terminate();
    }
  });

  test("started by the launcher's own bundle, before the CLI's is compiled, it is the thread the CLI's next IngestWorker takes", async () => {
    // dist/cli/early-start.cjs holds a copy of worker-client of its own (bin/ouwatch.js loads
    // it before the CLI's bundle): the spare thread is held once per process, not per copy.
    const early = createRequire(import.meta.url)('../../dist/cli/early-start.cjs') as { startEarly: typeof startEarly };
    early.startEarly(['replay', '--help']);
    early.startEarly(['alerts', 'list']);
    const slot = globalThis as unknown as Record<symbol, { worker: Worker } | null | undefined>;
    const SPARE = Symbol.for('ouwatch.spare-ingest-thread');
    assert.equal(slot[SPARE] ?? null, null, 'no thread for help, nor for a command that reads no logs');
    early.startEarly(['replay', 'a.log', '--db', 'x.db']);
    const started = slot[SPARE]?.worker.threadId;
    assert.ok(started !== undefined, 'a replay starts its thread');
    warmUpIngestWorker();
    assert.equal(slot[SPARE]?.worker.threadId, started, "the CLI's own call finds it and starts no second one");
    const taken = new IngestWorker(settings);
    const cold = new IngestWorker(settings);
    try {
      assert.equal(taken.threadId, started);
      assert.equal(slot[SPARE] ?? null, null);
      const bytes = readFileSync(SAMPLE);
      assert.deepEqual(await parse(taken, bytes), await parse(cold, bytes));
    } finally {
      await taken.terminate();
      await cold.terminate();
    }
  });

  test('a thread released idle is taken up by the next IngestWorker, which parses as a thread of its own does', async () => {
    const bytes = readFileSync(SAMPLE);
    const first = new IngestWorker(settings);
    const firstRun = await parse(first, bytes);
    const thread = first.threadId;
    await first.release();
    const second = new IngestWorker({ ...settings, timeZone: 'Europe/Stockholm' });
    const own = new IngestWorker({ ...settings, timeZone: 'Europe/Stockholm' });
    // A source of the first run still reading: its chunk goes nowhere, and is never answered.
    const late = first.write(first.open(0, 1), bytes).then(() => 'answered', () => 'failed');
    try {
      assert.equal(second.threadId, thread, 'the released thread, not a new one');
      assert.notEqual(own.threadId, thread);
      const [a, b] = [await parse(second, bytes), await parse(own, bytes)];
      assert.equal(await Promise.race([late, new Promise((r) => setTimeout(r, 100, 'unanswered'))]), 'unanswered');
      assert.deepEqual(a, b, 'configured afresh: new settings, new string tables');
      assert.deepEqual({ ...a, firstTime: 0 }, { ...firstRun, firstTime: 0 });
      assert.equal(firstRun.firstTime - a.firstTime, 3_600_000, "the same wall-clock time read in Stockholm's winter zone, not the first run's UTC");
    } finally {
      await second.terminate();
      await own.terminate();
    }
  });

  test('a thread released with a chunk still being parsed is ended, and the chunk fails', async () => {
    const busy = new IngestWorker(settings);
    const input = busy.open(0, 1);
    const pending = busy.write(input, readFileSync(SAMPLE));
    const thread = busy.threadId;
    await busy.release();
    await assert.rejects(pending, /ingest worker: (ended before it answered|exited)/);
    const next = new IngestWorker(settings);
    try {
      assert.notEqual(next.threadId, thread);
    } finally {
      await next.terminate();
    }
  });

  test('ended while its answers wait undelivered, it holds the process until it has ended: the caller awaiting the end goes on', () => {
    // Once the thread answers, the main thread is kept busy while it answers two more chunks,
    // so that the answers are still in the port when the run releases the thread; once they
    // were delivered the thread no longer held the process, which exited under the caller
    // (code 13, nothing printed: a replay stopped by a full disk ended so, not with its line).
    const client = new URL('../../src/pipeline/worker-client.ts', import.meta.url).href;
    const bits = new URL('../../src/components/enrich/address-info.ts', import.meta.url).href;
    const script = `
      import { readFileSync } from 'node:fs';
      import { IngestWorker } from ${JSON.stringify(client)};
      import { DEFAULT_NETWORK_BITS } from ${JSON.stringify(bits)};
      const w = new IngestWorker({ timeZone: 'UTC', maxLineBytes: 65536, networkBits: DEFAULT_NETWORK_BITS });
      const bytes = readFileSync(${JSON.stringify(SAMPLE)});
      const input = w.open(0, 1);
      await w.write(input, bytes);
      const answers = [w.write(input, bytes), w.write(input, bytes)].map((p) => p.then(() => 'answered', () => 'failed'));
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
      await w.release();
      process.stdout.write('ended: ' + (await Promise.all(answers)).join(' ') + '\\n');`;
    // A file, not --eval: the thread would inherit --input-type and refuse to start.
    const file = join(tempDir(), 'end.mts');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { timeout: 30_000, encoding: 'utf8' });
    assert.equal(r.error, undefined, 'exited within 30 s');
    assert.equal(r.status, 0, r.stderr);
    // Each chunk settles: answered if its answer was delivered before the end, failed if not.
    assert.match(r.stdout, /^ended: (answered|failed) (answered|failed)\n$/);
  });

  test('unused, it keeps nothing alive: the process exits by itself', () => {
    const client = new URL('../../src/pipeline/worker-client.ts', import.meta.url).href;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { warmUpIngestWorker } from ${JSON.stringify(client)}; warmUpIngestWorker();`], {
      timeout: 20_000,
      encoding: 'utf8',
    });
    assert.equal(r.error, undefined, 'exited within 20 s');
    assert.equal(r.status, 0, r.stderr);
  });
});

describe('the memory of consumed batches', () => {
  test('goes back to the thread with the next chunk (the batch is empty from then on), and the batches built in it read as fresh ones do', async () => {
    const bytes = readFileSync(SAMPLE);
    const cut = bytes.indexOf(10, bytes.length >> 1) + 1;
    const recycling = new IngestWorker(settings);
    const fresh = new IngestWorker(settings);
    try {
      const a = recycling.open(0, 1);
      const first = await recycling.write(a, bytes.subarray(0, cut));
      const firstEvents = first.count;
      assert.ok(firstEvents > 100 && first.text.byteLength > 0, `events in the first half: ${firstEvents}`);
      recycling.recycle(first);
      assert.equal(first.count, firstEvents, 'still readable until the next chunk carries it away');
      assert.ok(first.times.length > 0);
      const second = await recycling.write(a, bytes.subarray(cut));
      assert.equal(first.text.byteLength, 0, 'its block went to the thread');
      assert.equal(first.times.length, 0);
      recycling.recycle(second);
      const last = await recycling.end(a);
      assert.equal(second.times.length, second.count, 'an end carries nothing back: the block waits for the next chunk');
      recycling.recycle(last);
      const third = await recycling.write(recycling.open(0, 1), bytes.subarray(0, cut));
      assert.equal(second.times.length, 0);
      assert.equal(last.times.length, 0);

      const b = fresh.open(0, 1);
      const firstFresh = await fresh.write(b, bytes.subarray(0, cut));
      const secondFresh = await fresh.write(b, bytes.subarray(cut));
      const lastFresh = await fresh.end(b);
      assert.equal(firstFresh.count, firstEvents);
      assert.equal(second.count + last.count, secondFresh.count + lastFresh.count);
      // Built in a reused block, a batch is the same column for column.
      assert.deepEqual([...third.times], [...firstFresh.times]);
      assert.deepEqual([...third.lineEnds], [...firstFresh.lineEnds]);
      assert.deepEqual(Buffer.from(third.text), Buffer.from(firstFresh.text));
    } finally {
      await recycling.terminate();
      await fresh.terminate();
    }
  });
});

/** Every event as its time, line number, address and line, all of `bytes` written as chunks of the given sizes in turn. */
/** Takes a batch's events into `out` as text (time, line number, address, line), then gives its memory back. */
function taker(worker: IngestWorker, out: string[]): (b: Awaited<ReturnType<IngestWorker['write']>>) => void {
  return (b) => {
    const text = Buffer.from(b.text);
    for (let i = 0; i < b.count; i++) {
      out.push(`${b.times[i]} ${b.lineNos[i]} ${b.ips[i] >= 0 ? worker.tables.ips.get(b.ips[i]).ip : '-'} ${text.toString('utf8', b.lineStarts[i], b.lineEnds[i])}`);
    }
    worker.recycle(b);
  };
}

async function eventsInChunks(worker: IngestWorker, bytes: Buffer, sizes: readonly number[]): Promise<string[]> {
  const input = worker.open(0, 1);
  const out: string[] = [];
  const take = taker(worker, out);
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = sizes[k % sizes.length];
    take(await worker.write(input, bytes.subarray(at, at + n)));
    at += n;
  }
  take(await worker.end(input));
  return out;
}

describe('the buffers chunks are copied into', () => {
  test('a buffer the worker lent, written from its first byte, goes to the thread uncopied (empty here afterwards) and parses as a copied chunk does; any other stays the caller\'s', async () => {
    const log = readFileSync(SAMPLE);
    const whole = new IngestWorker(settings);
    const lending = new IngestWorker(settings);
    try {
      const expected = await eventsInChunks(whole, log, [log.length]);
      const input = lending.open(0, 1);
      const out: string[] = [];
      const take = taker(lending, out);
      const sizes = [4096, 1500, 8000];
      for (let at = 0, k = 0; at < log.length; k++) {
        const buf = lending.lendBuffer(sizes[k % sizes.length]);
        const n = log.copy(buf, 0, at);
        if (k % 3 === 2) {
          // Its first ten bytes as a copy of the caller's, the rest from its 11th byte: copied, and still the caller's.
          take(await lending.write(input, Buffer.from(buf.subarray(0, 10))));
          take(await lending.write(input, buf.subarray(10, n)));
          assert.equal(buf.length, sizes[2], 'a lent buffer written from elsewhere than its first byte is copied');
          assert.equal(buf.subarray(10, n).toString('latin1'), log.subarray(at + 10, at + n).toString('latin1'));
        } else {
          take(await lending.write(input, n === buf.length ? buf : buf.subarray(0, n)));
          assert.equal(buf.length, 0, 'a lent buffer written whole went to the thread');
        }
        at += n;
      }
      take(await lending.end(input));
      assert.ok(expected.length > 100, `events: ${expected.length}`);
      assert.deepEqual(out, expected);

      const own = Buffer.from(log.subarray(0, 5000));
      const again = lending.open(0, 1);
      await lending.write(again, own);
      assert.equal(own.toString('latin1'), log.subarray(0, 5000).toString('latin1'), "a caller's own buffer is copied and left as it was");
    } finally {
      await whole.terminate();
      await lending.terminate();
    }
  });

  test('come back with their batch and carry later chunks: cut anywhere, a log and a JSON export parse event for event as one chunk does', async () => {
    const log = readFileSync(SAMPLE);
    const exported = Buffer.from(esSearchResponse(mergedSample()));
    // Sizes within a factor of two of each other reuse the same buffers; every line and JSON
    // string is cut somewhere, and what the parser holds across a cut must be its own copy.
    const sizes = [1500, 2100, 977, 1800, 1200, 2600];
    for (const bytes of [log, exported]) {
      const whole = new IngestWorker(settings);
      const chunked = new IngestWorker(settings);
      try {
        const expected = await eventsInChunks(whole, bytes, [bytes.length]);
        assert.ok(expected.length > 100, `events: ${expected.length}`);
        assert.deepEqual(await eventsInChunks(chunked, bytes, sizes), expected);
      } finally {
        await whole.terminate();
        await chunked.terminate();
      }
    }
  });
});

describe('the ingest worker from the sources (tests, --source benchmarks)', () => {
  test('runs the build when it is newer than every source file, and goes through tsx once a source changed after it', () => {
    const root = tempDir();
    mkdirSync(join(root, 'src', 'pipeline'), { recursive: true });
    mkdirSync(join(root, 'dist'), { recursive: true });
    const source = join(root, 'src', 'pipeline', 'a.ts');
    const built = join(root, 'dist', 'a.js');
    writeFileSync(source, '');
    writeFileSync(join(root, 'src', 'notes.md'), '');
    writeFileSync(built, '');
    utimesSync(source, 1_000, 1_000);
    utimesSync(built, 2_000, 2_000);
    assert.equal(builtAfterSources(root, built), true);
    assert.equal(builtAfterSources(root, join(root, 'dist', 'missing.js')), false, 'no build');
    utimesSync(source, 3_000, 3_000);
    assert.equal(builtAfterSources(root, built), false, 'a source edited after the build');
    utimesSync(source, 1_000, 1_000);
    utimesSync(join(root, 'src', 'notes.md'), 3_000, 3_000);
    assert.equal(builtAfterSources(root, built), true, 'only code files count');
  });

  test('through tsx (boot.mjs), the thread parses what the build parses', async () => {
    const bytes = readFileSync(SAMPLE);
    const viaTsx = new Worker(new URL('../../src/pipeline/worker/boot.mjs', import.meta.url), { workerData: { preloadTables: false } });
    try {
      const replies: WorkerReply[] = [];
      viaTsx.on('message', (r: WorkerReply) => replies.push(r));
      const send = (msg: WorkerRequest) => viaTsx.postMessage(msg);
      send({ op: 'configure', settings });
      send({ op: 'open', input: 0, startOffset: 0, startLineNo: 1, format: null });
      send({ op: 'chunk', input: 0, bytes: new Uint8Array(bytes).buffer, length: bytes.length, recycled: [] });
      send({ op: 'end', input: 0 });
      const deadline = Date.now() + 30_000;
      while (replies.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(replies.length, 2, 'a batch for the chunk and one for the end within 30 s');
      const first = replies[0];
      assert.equal(first.ok && first.spent?.byteLength, bytes.length, "the chunk's buffer comes back with its batch");
      const events = replies.reduce((n, r) => n + (r.ok ? r.batch.count : 0), 0);
      const compiled = new IngestWorker(settings);
      try {
        assert.equal(events, (await parse(compiled, bytes)).events);
      } finally {
        await compiled.terminate();
      }
    } finally {
      await viaTsx.terminate();
    }
  });
});

describe('the main thread\'s copy of the tables', () => {
  test('a batch naming more new values than their ring holds fails the ingest with the reason, it does not end the process', async () => {
    // The ring of threads is four times the capacity of 64: 256 ids. A batch of 300 new threads overruns it.
    const tableCapacity = { dns: 64, ips: 1024, sessions: 1024, threads: 64 };
    const worker = new IngestWorker({ ...settings, tableCapacity });
    const start = Date.parse('2026-03-02T00:00:00Z');
    const lines = Array.from({ length: 300 }, (_, i) => access(head(start + i, `XNIO-1 task-${i}`), 'AuSuccess', 'k8sIdp', AUTH_URL, userDn(i), '20 / oauth2k8s', '10.0.0.1', 'x'));
    try {
      const input = worker.open(0, 1);
      await assert.rejects(worker.write(input, Buffer.from(lines.join('\n') + '\n')), /ingest worker: interned id \d+ is no longer held/);
      // The tables are no longer the worker's: what follows fails too, with the same reason.
      await assert.rejects(worker.end(input), /no longer held/);
    } finally {
      await worker.terminate();
    }
  });
});
