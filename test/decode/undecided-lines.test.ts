import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accessLine, STACK_TRACE } from '../helpers/lines.js';
import { decode, show, texts } from './decode.js';

// The wrapper is recognised from the first line that shows one (or starts a log4j event):
// lines before it that no wrapper claims (a stack trace cut at the top of a file, the JVM's
// banner, kubectl's or stern's own messages) are read as they are, as plain text would be,
// and do not decide. Past 1,000 such lines the input is plain text.

const T = '2024-05-06T07:08:09.123456789Z';
const EVENT = accessLine();

test("kubectl's own message before the first prefixed line does not make a `--prefix` file plain", () => {
  const POD = '[pod/openunison-orchestra-0/openunison-orchestra] ';
  const { format, records } = decode(`error: a container name must be specified, choosing openunison-orchestra\n${POD}${EVENT}\n`);
  assert.equal(format, 'kubectl-prefix');
  assert.deepEqual(texts(records), [show('error: a container name must be specified, choosing openunison-orchestra'), show(EVENT)]);
});

test('a plain file that starts inside a stack trace is plain, every line read as it is', () => {
  const lines = [...STACK_TRACE.slice(1, 3), EVENT, `${T} looks like a stamp later`];
  const { format, records } = decode(lines.join('\n') + '\n');
  assert.equal(format, 'plain');
  assert.deepEqual(texts(records), lines.map(show));
  assert.deepEqual(records.map((r) => r.lineNo), [1, 2, 3, 4]);
});

test('a kubectl --timestamps line after undecided lines decides, and its stamp is taken off from there on', () => {
  const { format, records } = decode(`Picked up JAVA_TOOL_OPTIONS: -Xmx1g\n${T} ${EVENT}\n`);
  assert.equal(format, 'kubectl');
  assert.deepEqual(texts(records), [show('Picked up JAVA_TOOL_OPTIONS: -Xmx1g'), show(EVENT)]);
});

test('past 1,000 undecided lines the input is plain text: a stamped line after them is read as it is', () => {
  const noise = Array.from({ length: 1000 }, (_, i) => `noise ${i}`);
  const { format, records } = decode([...noise, `${T} ${EVENT}`].join('\n') + '\n');
  assert.equal(format, 'plain');
  assert.equal(records.length, 1001);
  assert.deepEqual(texts(records.slice(-1)), [show(`${T} ${EVENT}`)]);
});

// OpenUnison logs JSON too (a pretty-printed body under a message, a one-line dump): a plain
// log can start with such a line, cut at the top by rotation. A line that starts with `{` is a
// docker or Loki record only when it is a JSON object with its text in `log`, `message` or `line`.
test('a plain log that starts with a JSON value is plain: the JSON lines are read as they are, the events after them too', () => {
  for (const head of [['{"openunison":"startup","replicas":2}'], ['{', '  "client_id": "kubernetes",', '  "scopes": ["openid"]', '}'], ['  at a.b(C.java:1)', '{"partial": tru']]) {
    const lines = [...head, EVENT, EVENT];
    const { format, records } = decode(lines.join('\n') + '\n');
    assert.equal(format, 'plain', head[0]);
    assert.deepEqual(texts(records), lines.map(show), head[0]);
  }
});

test('a docker file still decides docker at its first record, after a JSON value that is none', () => {
  const docker = JSON.stringify({ log: `${EVENT}\n`, stream: 'stdout', time: T });
  const { format, records } = decode(`{"notice":"log shipper started"}\n${docker}\n${docker}\n`);
  assert.equal(format, 'docker');
  assert.deepEqual(texts(records), [show('{"notice":"log shipper started"}'), show(EVENT), show(EVENT)]);
});

test('binary noise that starts a line with `{` does not make the input JSON lines', () => {
  const noise = Buffer.from([0x7b, 0xff, 0x00, 0x13, 0x7b, 0x22, 0x0a]);
  const { format } = decode(Buffer.concat([noise, Buffer.from(`${EVENT}\n`)]));
  assert.equal(format, 'plain');
});
