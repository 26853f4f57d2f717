import { once } from 'node:events';
import { validateTimeZone } from '../app/time-zone.js';
import { isUserFixable } from '../app/errors.js';

/** Exit codes: 0 ok (alerts or not), 1 unexpected failure, 2 unusable arguments, config or input. */
export const EXIT_USAGE = 2;

/** An error the user can fix; printed as one line, exit code 2. */
export class UsageError extends Error {}

export function isUsageError(err: unknown): boolean {
  return err instanceof UsageError || isUserFixable(err);
}

export function checkTimeZone(tz: string | undefined): string {
  const zone = tz ?? 'UTC';
  validateTimeZone(zone);
  return zone;
}

/**
 * Buffered stdout for NDJSON: a few hundred KiB per write, and waits when the reader is slow
 * (a pipe into `head` or `jq`), so memory stays flat on a long output.
 */
export class Out {
  private buf: string[] = [];
  private size = 0;

  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {}

  line(s: string): void {
    this.buf.push(s);
    this.size += s.length + 1;
  }

  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const text = this.buf.join('\n') + '\n';
    this.buf = [];
    this.size = 0;
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }
}

/** `12,345`. */
export { int as fmtInt } from '../core/numbers.js';

/** Colour only when writing to a terminal (and NO_COLOR is not set). */
export function colours(stream: NodeJS.WriteStream) {
  const on = stream.isTTY === true && !process.env.NO_COLOR;
  const wrap = (code: string) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { bold: wrap('1'), dim: wrap('2'), red: wrap('31'), yellow: wrap('33'), green: wrap('32'), magenta: wrap('35'), cyan: wrap('36') };
}

/** Width of a rule id in the CLI's tables: the longest shipped id (auth-failure-distributed-spray); a longer one pushes its row's later columns. */
export const RULE_WIDTH = 30;
