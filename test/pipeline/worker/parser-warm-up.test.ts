import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressDescriber, DEFAULT_NETWORK_BITS } from '../../../src/components/enrich/address-info.js';
import { AsnTable } from '../../../src/components/enrich/asn-table.js';
import { GeoTable } from '../../../src/components/enrich/geo-table.js';
import { warmUpParser } from '../../../src/pipeline/worker/parser-warm-up.js';

// A thread started ahead of need parses a built-in sample while it waits, so that the first
// chunk of a run does not pay for compiling the parser. The sample must keep going through
// the parser's whole path: if the format it is written in stopped being understood, the
// warm-up would compile the path of skipped lines instead, and nobody would notice.

test('the warm-up sample is read as events of every type and lines around them, nothing skipped', () => {
  const count = warmUpParser(new AddressDescriber(DEFAULT_NETWORK_BITS, { geo: new GeoTable(), asn: new AsnTable() }), 'UTC', 1024 * 1024);
  // Four rounds of 10 lines: 6 events each (AuSuccess, AzSuccess, AzFail, AuFail,
  // ExpiredRefreshTokenUsed, NotFound), two other log lines, a stack trace's two lines.
  assert.deepEqual(count, { lines: 40, events: 24, skippedBytes: 0 });
});
