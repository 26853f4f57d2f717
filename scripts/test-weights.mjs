#!/usr/bin/env node
// Measures the spec files again for the shards of `npm test` (test/helpers/shards.ts): reads
// the TAP output of a full `npm test` and writes each file's seconds to
// test/shards/weights.json.   npm test > /tmp/tap.log; node scripts/test-weights.mjs /tmp/tap.log
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const tap = process.argv[2];
if (!tap) {
  process.stderr.write('usage: node scripts/test-weights.mjs TAP-LOG (the output of a full npm test)\n');
  process.exit(2);
}
const seconds = {};
let file = null;
for (const line of readFileSync(tap, 'utf8').split('\n')) {
  // A shard reports each spec file as a top-level subtest named after it, then its duration.
  const done = /^(?:not )?ok \d+ - (test\/\S+\.test\.ts)$/.exec(line);
  if (done) {
    file = done[1];
    continue;
  }
  const took = /^ {2}duration_ms: ([\d.]+)$/.exec(line);
  if (took && file !== null) {
    seconds[file] = Math.max(0.5, Math.round(Number(took[1]) / 100) / 10);
    file = null;
  }
}
const count = Object.keys(seconds).length;
if (count === 0) {
  process.stderr.write(`${tap}: no spec file's duration found (is it the TAP output of npm test?)\n`);
  process.exit(1);
}
const out = fileURLToPath(new URL('../test/shards/weights.json', import.meta.url));
const sorted = Object.fromEntries(Object.keys(seconds).sort().map((f) => [f, seconds[f]]));
writeFileSync(out, JSON.stringify(sorted, null, 2) + '\n');
process.stdout.write(`${out}: ${count} files, ${Object.values(seconds).reduce((a, b) => a + b, 0).toFixed(0)} s in all\n`);
