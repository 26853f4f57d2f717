import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { DEFAULT_NETWORK_BITS } from '../../src/components/enrich/address-info.js';
import { IngestWorker, warmUpIngestWorker } from '../../src/pipeline/worker-client.js';

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
  return { events: first.count + last.count, lines: first.lines + last.lines, countries: [...countries].sort() };
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
