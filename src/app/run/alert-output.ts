import type { StoredAlert } from '../../core/alerts.js';
import { toAlertJson } from '../../core/alerts.js';
import type { Log } from '../../core/log.js';
import type { AlertOutput } from '../../core/ports.js';
import { printable, quote } from '../../core/terminal-text.js';

/**
 * Alerts on stdout, once committed: with `--json` one NDJSON object per alert (the alert
 * contract), otherwise one readable line. DNs and reasons are attacker-influenced: they go
 * through the terminal sanitizer so a log line cannot drive or reorder the terminal.
 */
export function formatAlerts(alerts: StoredAlert[], json: boolean): string {
  let out = '';
  for (const a of alerts) {
    if (json) out += JSON.stringify(toAlertJson(a)) + '\n';
    else {
      const where = [a.dn === null ? null : `dn=${quote(a.dn)}`, a.ip === null ? null : `ip=${a.ip}`, a.country].filter((x) => x !== null).join(' ');
      out += `${a.time}  ${a.severity.toUpperCase().padEnd(8)} ${a.rule}  ${printable(where)}  ${printable(a.reason)}\n`;
    }
  }
  return out;
}

/** Alerts read and written at a time: what a stalled reader of stdout can hold in memory. */
const PAGE = 500;

export interface CommittedAlertPrinterOptions {
  out: NodeJS.WritableStream;
  store: AlertOutput;
  json: boolean;
  log: Log;
  pageSize?: number;
}

/**
 * The daemon's stdout. Alerts are printed from the store, after this consumer's cursor, a
 * page at a time, each page once the one before reached the reader: a reader slower than the
 * pipeline (a full pipe, a paused terminal) holds one page in memory and never holds detection
 * back, the cursor moves only past what was written, and what is still unprinted at a stop
 * (or a kill) is printed at the next start.
 */
export class CommittedAlertPrinter {
  private through: number | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;

  constructor(private readonly o: CommittedAlertPrinterOptions) {}

  /** Reads the cursor and prints what an earlier run committed and did not print. */
  async start(): Promise<void> {
    this.through = await this.o.store.position();
    const missed = await this.o.store.after(this.through, 1);
    if (missed.length > 0) this.o.log.info('printing alerts committed before the last stop but not printed then', {});
    this.wake();
  }

  /** Alerts were committed: print them when the reader has taken what came before. */
  wake(): void {
    if (this.closed || this.through === null) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = this.pump()
      .catch((err: unknown) => {
        const why = { err: (err as Error).message };
        // stdout is gone (a closed pipe): nothing more is printed in this run.
        if (this.closed) this.o.log.warn('stdout is closed: alerts are no longer printed (the next start prints those not printed)', why);
        // The store could not be read or written: the next commit tries again from the cursor.
        else this.o.log.warn('alerts not printed yet (they are printed after the next commit)', why);
      })
      .finally(() => {
        this.running = null;
      });
  }

  /** Waits until every committed alert is printed, at most `ms`; then prints no more. Whether it caught up. */
  async close(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const caughtUp = await Promise.race([
      (async () => {
        while (this.running !== null) await this.running;
        return true;
      })(),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
    clearTimeout(timer);
    this.closed = true;
    return caughtUp;
  }

  private async pump(): Promise<void> {
    const size = this.o.pageSize ?? PAGE;
    for (;;) {
      this.again = false;
      if (this.closed) return;
      const page = await this.o.store.after(this.through!, size);
      if (page.length === 0) {
        if (this.again) continue;
        return;
      }
      await this.write(formatAlerts(page.map((p) => p.alert), this.o.json));
      this.through = page[page.length - 1].seq;
      await this.o.store.printedThrough(this.through);
    }
  }

  /**
   * Resolves once the text is handed to the reader (the write's callback), not when it is
   * queued. A failed write means stdout is gone: nothing more is printed in this run, and the
   * cursor stays before the page for the next.
   */
  private write(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.o.out.write(text, (err?: Error | null) => {
        if (!err) return resolve();
        this.closed = true;
        reject(err);
      });
    });
  }
}
