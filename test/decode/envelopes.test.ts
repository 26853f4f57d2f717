import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envelopeAdvice } from '../../src/components/decode/envelopes.js';

// Replay reads a search response's `hits.hits`, arrays of records and records one per line.
// CloudWatch Logs' and the Cloud Logging API's whole responses keep their records under
// `events` and `entries`: after a run finds no event in one, the warning says how to ask for
// the records alone.

const cloudWatch = JSON.stringify({ events: [{ logStreamName: 's', timestamp: 1, message: '[2026-03-03 00:00:00,000][t] INFO  X - y', ingestionTime: 2, eventId: '3' }], searchedLogStreams: [] }, null, 4);
const entriesList = JSON.stringify({ entries: [{ insertId: 'a', logName: 'projects/p/logs/stdout', textPayload: 'x', timestamp: '2026-03-03T00:00:00Z' }], nextPageToken: 'n' }, null, 2);

test("CloudWatch Logs' and Cloud Logging's whole responses are named, with the command that asks for their records alone", () => {
  assert.match(envelopeAdvice(cloudWatch)?.fix ?? '', /--query 'events\[\]'/);
  assert.match(envelopeAdvice(entriesList)?.fix ?? '', /jq '\.entries'/);
  assert.match(envelopeAdvice('\n  ' + JSON.stringify(JSON.parse(cloudWatch)))?.name ?? '', /CloudWatch Logs/);
});

test('other text says nothing: their records alone, a record that merely has such a key, a log', () => {
  assert.equal(envelopeAdvice(JSON.stringify(JSON.parse(cloudWatch).events, null, 4)), null);
  assert.equal(envelopeAdvice(JSON.stringify({ events: 'none', logStreamName: 's' })), null);
  assert.equal(envelopeAdvice(JSON.stringify({ entries: [{ id: 1 }] })), null);
  assert.equal(envelopeAdvice('[2026-03-03 00:00:00,000][XNIO-1 task-1] INFO  AccessLog - "events": ['), null);
});
