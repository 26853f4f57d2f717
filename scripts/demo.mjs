#!/usr/bin/env node
// `npm start`: replays the bundled sample day into a demo database of its own and prints what
// to try next. It never touches ./ouwatch.db (every command's default database): only its own
// file demo/sample.db (under the directory it runs in: the repository, for npm start) is
// replaced, so a user's data is never deleted.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const db = join(process.cwd(), 'demo', 'sample.db');
mkdirSync(dirname(db), { recursive: true });
for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });

const logs = [0, 1].map((r) => join(root, 'fixtures', 'sample', `openunison-orchestra-${r}.log`));
const run = spawnSync(process.execPath, [join(root, 'bin', 'ouwatch.js'), 'replay', ...logs, '--db', db], { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);

const at = relative(process.cwd(), db) || db;
const next = [
  [`npx ouwatch alerts --db ${at}`, 'the queue, with counts per severity and rule'],
  [`npx ouwatch alerts show a8c2 --db ${at}`, 'the replayed refresh token: reason, evidence, history'],
  [`npx ouwatch user 'uid=mmosley,ou=shadow,o=Tremolo' --db ${at}`, 'his addresses, countries, sessions and alerts'],
  [`npx ouwatch serve --db ${at}`, 'the console in a browser: http://127.0.0.1:8080/'],
];
const width = Math.max(...next.map(([c]) => c.length));
process.stdout.write(`\nThe sample day is in ${at} (npm start replaces only that file). Next:\n${next.map(([c, why]) => `  ${c.padEnd(width)}   # ${why}`).join('\n')}\n`);
