import type { ReplayProgress } from '../app/replay.js';
import { byteSize as fmtBytes } from '../core/numbers.js';
import { fmtInt } from './common.js';

/** What the progress line reads once a second. */
export interface ProgressSources {
  lines(): number;
  alerts(): number;
  bytes(): ReplayProgress;
}

function fmtEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/**
 * One self-rewriting line on a terminal's stderr while a long replay runs: lines, rate, alerts,
 * and, when every input's size is known, the share of bytes read and an estimate of the time
 * left. Nothing at all when stderr is not a terminal (a pipe or a log file gets the summary only).
 */
export class ProgressLine {
  private timer: NodeJS.Timeout | null = null;
  private shown = false;
  private readonly started = performance.now();
  private readonly samples: Array<[t: number, bytes: number, lines: number]> = [];

  constructor(
    private readonly src: ProgressSources,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 1000,
  ) {}

  start(): void {
    if (!this.out.isTTY || this.timer !== null) return;
    this.timer = setInterval(() => this.draw(), this.everyMs);
    this.timer.unref();
  }

  /** Removes the line (before other output is written, and at the end). */
  clear(): void {
    if (!this.shown) return;
    this.out.write('\r\x1b[2K');
    this.shown = false;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.clear();
  }

  /** The text of the line (without terminal controls). */
  text(now = performance.now()): string {
    const lines = this.src.lines();
    const { done, total } = this.src.bytes();
    this.samples.push([now, done, lines]);
    // The rate over the last ten seconds: the start (worker warm-up, checkpoints) is not the pace.
    while (this.samples.length > 2 && now - this.samples[0][0] > 10_000) this.samples.shift();
    const [t0, b0, l0] = this.samples.length > 1 ? this.samples[0] : [this.started, 0, 0];
    const secs = Math.max(0.001, (now - t0) / 1000);
    const lineRate = (lines - l0) / secs;
    const byteRate = (done - b0) / secs;
    const parts = [`${fmtInt(lines)} lines`, `${fmtInt(lineRate)} lines/s`, `${fmtInt(this.src.alerts())} alerts`];
    if (total !== null && total > 0) {
      parts.unshift(`${Math.min(100, Math.floor((done / total) * 100))}% of ${fmtBytes(total)}`);
      if (byteRate > 0 && done < total) parts.push(`about ${fmtEta((total - done) / byteRate)} left`);
    }
    return `replaying: ${parts.join(', ')}`;
  }

  private draw(): void {
    const width = this.out.columns || 100;
    this.out.write(`\r\x1b[2K${this.text().slice(0, Math.max(20, width - 1))}`);
    this.shown = true;
  }
}
