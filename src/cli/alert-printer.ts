import type { Severity, StoredAlert } from '../core/alerts.js';
import { toAlertJson } from '../core/alerts.js';
import { alertCounts, alertTableHeader, alertTableRow, terminalWidth } from './alert-format.js';
import { colours } from './common.js';

/** Alerts formatted and written at a time. */
const PRINT_CHUNK = 500;

/** Prints the alerts of each commit as they are committed: NDJSON, or a table. */
export class AlertPrinter {
  private readonly bySeverity: Partial<Record<Severity, number>> = {};
  raised = 0;
  private headerShown = false;
  private readonly c;

  constructor(
    private readonly json: boolean,
    private readonly out: NodeJS.WriteStream | NodeJS.WritableStream = process.stdout,
  ) {
    this.c = colours(out as NodeJS.WriteStream);
  }

  /**
   * Records that the alerts stored up to `through` (the store's alert order) have reached
   * stdout: called as each commit's alerts are written, with the position the store gave that
   * commit's last alert, never with one of a commit still queued.
   */
  printed: (through: number) => void = () => undefined;
  /** Commits' alerts not yet written, oldest first, and how far into the first one. */
  private readonly queue: Array<{ alerts: StoredAlert[]; through: number | null }> = [];
  private at = 0;
  private writing = false;
  private idle: Array<() => void> = [];
  /** Commits waiting for the alerts of earlier commits to be written (backpressure). */
  private room: Array<() => void> = [];
  /**
   * The reader is behind: the latest commit with alerts found those of an earlier one still
   * being written (a reader keeping up has taken them long before the next commit).
   */
  behind = false;

  /** Resolves once everything written so far has reached stdout (and the cursor says so). */
  flushed(): Promise<void> {
    return this.writing ? new Promise((done) => this.idle.push(done)) : Promise.resolve();
  }

  /** Called before alerts are written (a progress line on the terminal is cleared first). */
  beforeWrite: () => void = () => undefined;

  /**
   * Queues a commit's alerts; resolves once the alerts of earlier commits are written. The
   * replay waits for it before its next commit, so a reader slower than the replay (`--json`
   * into a pipe read slowly) holds the replay back: at most one commit's alerts wait in memory,
   * however long the input.
   */
  committed(raised: StoredAlert[], through: number | null): Promise<void> {
    if (raised.length === 0) return Promise.resolve();
    for (const a of raised) {
      this.raised++;
      this.bySeverity[a.severity] = (this.bySeverity[a.severity] ?? 0) + 1;
    }
    this.behind = this.writing;
    this.queue.push({ alerts: raised, through });
    if (!this.writing) {
      this.writing = true;
      this.writeNext();
    }
    return this.queue.length <= 1 ? Promise.resolve() : new Promise((done) => this.room.push(done));
  }

  /**
   * Formats and writes at most PRINT_CHUNK alerts, then the next chunk once stdout took them:
   * a storm's hundred thousand alerts never sit in memory as text, and a slow reader holds
   * back only what it has not read yet.
   */
  private writeNext(): void {
    const head = this.queue[0];
    if (head === undefined) {
      this.writing = false;
      for (const done of this.idle.splice(0)) done();
      return;
    }
    const batch = head.alerts;
    const end = Math.min(batch.length, this.at + PRINT_CHUNK);
    let text = '';
    for (let i = this.at; i < end; i++) text += (this.json ? JSON.stringify(toAlertJson(batch[i])) : this.row(batch[i])) + '\n';
    // The commit's last chunk: once written, the cursor may pass its alerts (not those of a commit queued after it).
    const finished = end === batch.length ? head.through : null;
    if (end === batch.length) {
      this.queue.shift();
      this.at = 0;
      // The last one queued is being written: the commit that queued it may go on.
      if (this.queue.length <= 1) for (const go of this.room.splice(0)) go();
    } else this.at = end;
    this.beforeWrite();
    this.out.write(text, (err?: Error | null) => {
      if (err) {
        // The reader went away (a closed pipe): nothing more can be shown, and the cursor keeps
        // these alerts unprinted for the next run.
        this.queue.length = 0;
        this.writing = false;
        for (const done of this.idle.splice(0)) done();
        for (const go of this.room.splice(0)) go();
        return;
      }
      if (finished !== null) this.printed(finished);
      this.writeNext();
    });
  }

  counts(repeats: number): string {
    return alertCounts(this.bySeverity, repeats);
  }

  private row(a: StoredAlert): string {
    const head = this.headerShown ? '' : alertTableHeader(this.c) + '\n';
    this.headerShown = true;
    return head + alertTableRow(a, this.c, terminalWidth());
  }
}
