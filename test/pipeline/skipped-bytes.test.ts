import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { DEFAULT_NETWORK_BITS } from '../../src/components/enrich/address-info.js';
import { IngestWorker } from '../../src/pipeline/worker-client.js';
import { runCli } from '../helpers/cli.js';
import { esSearchResponse, mergedSample } from '../helpers/exports.js';
import { tempDir } from '../helpers/tmp.js';
import { writeFileSync } from 'node:fs';

// Skipped lines are counted by reason, and the bytes they held are counted too, so that a
// responder knows how much of an archive was not read: a broken hit of a JSON export, a line
// cut short, or (when nothing safe to start again at follows) the rest of a document.

const SAMPLE = fileURLToPath(new URL('../../fixtures/sample/openunison-orchestra-0.log', import.meta.url));
const settings = { timeZone: 'UTC', maxLineBytes: 4096, networkBits: DEFAULT_NETWORK_BITS };

async function parse(bytes: Buffer): Promise<{ lines: number; skippedBytes: number; events: number }> {
  const worker = new IngestWorker(settings);
  try {
    const input = worker.open(0, 0);
    const batches = [];
    for (let i = 0; i < bytes.length; i += 65_536) batches.push(await worker.write(input, bytes.subarray(i, i + 65_536)));
    batches.push(await worker.end(input));
    return batches.reduce((t, b) => ({ lines: t.lines + b.lines, skippedBytes: t.skippedBytes + b.skippedBytes, events: t.events + b.count }), { lines: 0, skippedBytes: 0, events: 0 });
  } finally {
    await worker.terminate();
  }
}

/**
 * The first 300 lines of the sample as a compact `_search` response, with a hit broken a third
 * of the way in: reading goes on at the next hit, and the broken one is passed over.
 */
function brokenResponse(): { bytes: Buffer; passedOver: number } {
  const text = esSearchResponse(mergedSample().slice(0, 300));
  const at = text.indexOf('"message"', Math.floor(text.length / 3));
  const broken = text.slice(0, at) + '}}' + text.slice(at);
  // From the end of the hit before (its `}`) to the comma before the hit after.
  const lastGoodEnd = broken.lastIndexOf('},{"_index"', at) + 1;
  const nextComma = broken.indexOf('},{"_index"', at) + 1;
  return { bytes: Buffer.from(broken), passedOver: Buffer.byteLength(broken.slice(lastGoodEnd, nextComma)) };
}

/** A plain log cut into lines of JSON: NDJSON whose first line is cut short inside its message. */
function cutNdjson(): { bytes: Buffer; passedOver: number } {
  const lines = mergedSample()
    .slice(0, 300)
    .map((l) => JSON.stringify({ '@timestamp': '2026-03-02T10:00:00.000Z', message: l.text }));
  const cut = lines[100].slice(0, lines[100].length - 20);
  const text = [...lines.slice(0, 100), cut, ...lines.slice(101)].join('\n') + '\n';
  // From the end of the record before (the newline after it) to the newline that ends the cut line.
  return { bytes: Buffer.from(text), passedOver: 1 + Buffer.byteLength(cut) };
}

describe('bytes passed over', () => {
  test('a plain log: the bytes of its binary and oversized lines, nothing for good ones', async () => {
    const good = readFileSync(SAMPLE).subarray(0, 200_000);
    const clean = await parse(Buffer.from(good.subarray(0, good.lastIndexOf(10) + 1)));
    assert.equal(clean.skippedBytes, 0);
    const binary = Buffer.from('\u0000\u0001garbage\u0002\n');
    const oversized = Buffer.from('x'.repeat(10_000) + '\n');
    const mixed = Buffer.concat([good.subarray(0, good.lastIndexOf(10) + 1), binary, oversized, Buffer.from('[2026-03-02 10:00:00,000][main] INFO  Foo - after\n')]);
    const r = await parse(mixed);
    assert.equal(r.skippedBytes, binary.length + oversized.length);
  });

  test('broken JSON in a compact response: the broken hit, up to the comma of the next one', async () => {
    const { bytes, passedOver } = brokenResponse();
    const r = await parse(bytes);
    assert.equal(r.lines, 300, 'every other hit is read');
    assert.equal(r.skippedBytes, passedOver);
  });

  test('NDJSON with a line cut short inside a string: that line only', async () => {
    const { bytes, passedOver } = cutNdjson();
    const r = await parse(bytes);
    assert.equal(r.lines, 300, 'the lines after the cut one are read');
    assert.equal(r.skippedBytes, passedOver);
  });

  test('the replay summary says how much of the input was passed over', async () => {
    const dir = tempDir();
    const { bytes, passedOver } = brokenResponse();
    const file = join(dir, 'search.json');
    writeFileSync(file, bytes);
    const r = await runCli(['replay', file, '--db', join(dir, 'store.db')]);
    assert.equal(r.code, 0, r.stderr);
    const kb = (n: number) => `${(n / 1e3).toFixed(0)} kB`;
    assert.match(r.stderr, new RegExp(`skipped: {2}1 \\(malformed 1, .*\\); ${kb(passedOver)} of input passed over$`, 'm'));
    assert.match(r.stderr, new RegExp(`input: {4}.*search\\.json \\(elasticsearch, from the start\\): 300 lines, ${kb(passedOver)} of ${kb(bytes.length - 1)} passed over as unreadable$`, 'm'));
  });
});
