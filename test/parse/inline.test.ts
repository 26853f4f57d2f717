import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventJson } from '../../src/core/log-event.js';
import { DEFAULT_NETWORK_BITS } from '../../src/components/enrich/address-info.js';
import { parseInline } from '../../src/pipeline/inline.js';
import { activity } from '../helpers/lines.js';
import { parseText } from './scan.js';

// `parseInline` runs the ingest worker's parsing in the calling thread (`ouwatch explain`).
// The parse tests read lines through the same components with the address tables loaded once
// (parseText): both must read a log identically.

test('parseText reads a log exactly as parseInline does', () => {
  const text = activity(3000, { seed: 11 }).join('\n') + '\n';
  const inline = parseInline(Buffer.from(text), { timeZone: 'UTC', networkBits: DEFAULT_NETWORK_BITS, origin: 'sample.log', startLineNo: 0 });
  const ours = parseText(text, { origin: 'sample.log' });
  assert.ok(inline.events.length > 1000);
  assert.deepEqual(ours.events.map(eventJson), inline.events.map(eventJson));
  assert.deepEqual(
    ours.events.map((e) => [e.address?.net, e.address?.country, e.address?.asn]),
    inline.events.map((e) => [e.address?.net, e.address?.country, e.address?.asn]),
  );
  const kinds = [...inline.batch.kinds];
  assert.equal(Object.values(ours.counts).reduce((a, b) => a + b, 0), kinds.reduce((a, b) => a + b, 0));
  assert.equal(ours.counts.event, kinds[0]);
});
