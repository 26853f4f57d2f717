/**
 * The logging the response and delivery stages need. The daemon passes a pino logger
 * (`fromPino`); the command line writes readable lines on stderr (`stderrLog`), so stdout
 * stays free for NDJSON.
 */
export interface Log {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** pino's calling convention is (fields, msg). */
export function fromPino(p: { info(o: object, m: string): void; warn(o: object, m: string): void; error(o: object, m: string): void }): Log {
  return {
    info: (m, f) => p.info(f ?? {}, m),
    warn: (m, f) => p.warn(f ?? {}, m),
    error: (m, f) => p.error(f ?? {}, m),
  };
}

/** `ouwatch: <msg>` on stderr; a multi-line `text` field (a manifest) follows indented. */
export function stderrLog(stream: NodeJS.WritableStream = process.stderr): Log {
  const write = (level: string, msg: string, f?: Record<string, unknown>) => {
    const { text, ...rest } = f ?? {};
    const extra = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
    let out = `ouwatch: ${level}${msg}${extra}\n`;
    if (typeof text === 'string') out += text.replace(/^/gm, '    ').trimEnd() + '\n';
    stream.write(out);
  };
  return {
    info: (m, f) => write('', m, f),
    warn: (m, f) => write('warning: ', m, f),
    error: (m, f) => write('error: ', m, f),
  };
}

/** Discards everything (tests that assert on records rather than logs). */
export const silentLog: Log = { info() {}, warn() {}, error() {} };

/** Only the errors of `log` (`replay --quiet`: what was held back stays in `ouwatch actions`). */
export function errorsOnly(log: Log): Log {
  return { info() {}, warn() {}, error: (m, f) => log.error(m, f) };
}
