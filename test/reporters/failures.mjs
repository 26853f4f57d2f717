// A second reporter for `npm test`, beside TAP on stdout: once the run is over, it names
// every failed test with its suites, its file and line and the first lines of its error,
// after the summary. A CI log is often kept only by its end, and a failure from minutes
// earlier is otherwise found only by scrolling through 1,500 tests' TAP.
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_ERROR_LINES = 40;

/** The error's own message (an assertion's diff, a timeout's context), not the runner's wrapper. */
function describeError(error) {
  const inner = error?.cause && typeof error.cause === 'object' ? error.cause : error;
  const text = String(inner?.stack ?? inner?.message ?? inner ?? 'no error given');
  // The runner's own frames say nothing about the failure.
  const lines = text.split('\n').filter((l) => !/^\s+at (?:.*\((?:node:|<anonymous>\))|async Promise\.all|node:)/.test(l));
  return lines.length > MAX_ERROR_LINES ? [...lines.slice(0, MAX_ERROR_LINES), `… (${lines.length - MAX_ERROR_LINES} more lines)`] : lines;
}

/** `test/…` rather than the checkout's absolute path (a file: URL or a path). */
function relativeToCwd(file) {
  const path = file.startsWith('file://') ? fileURLToPath(file) : file;
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

export default async function* failures(source) {
  // The names of the suites being run, by nesting level, per file that declares them (the
  // shards' events interleave). A shard's describe named after a spec file is declared in the
  // shard's file: its level stays empty under the spec file, whose path the place names.
  const paths = new Map();
  const failed = [];
  for await (const event of source) {
    const data = event.data ?? {};
    const key = data.file ?? '';
    if (event.type === 'test:start') {
      const path = paths.get(key) ?? [];
      path.length = data.nesting;
      path.push(data.name);
      paths.set(key, path);
    } else if (event.type === 'test:fail' && data.details?.type !== 'suite') {
      const suites = (paths.get(key) ?? []).slice(0, data.nesting).filter((n) => n !== undefined);
      const where = data.file ? `${relativeToCwd(data.file)}${data.line ? `:${data.line}` : ''}` : 'unknown file';
      failed.push({ name: [...suites, data.name].join(' › '), where, error: describeError(data.details?.error) });
    }
  }
  if (failed.length === 0) return;
  let out = `\n# ${failed.length} failed test${failed.length === 1 ? '' : 's'}:\n`;
  for (const f of failed) {
    out += `\n# ✖ ${f.name}\n#   at ${f.where}\n`;
    out += f.error.map((l) => `#   ${l}\n`).join('');
  }
  yield out;
}
