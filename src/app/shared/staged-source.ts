import type { Logger } from 'pino';
import type { InputChannel } from '../../core/inputs.js';
import type { LiveSource, SourceContext } from '../../core/live-source.js';
import type { SourceStatus } from '../../core/runtime.js';
import type { Feed } from '../../pipeline/feed.js';
import { stagedFingerprint, type PgStagedLines, type ReaderState, type StagedRow } from '../../store/postgres/staging.js';

/** How often the detector looks for newly staged lines. */
export const STAGED_POLL_MS = 100;
/** A reader silent this long no longer holds detection back (it is gone, or restarting). */
const READER_STALE_MS = 15_000;
/** Rows fetched per reader and round. */
const FETCH = 5_000;

interface OpenInput {
  channel: InputChannel;
  /** The line number of the last line pushed. */
  lineNo: number;
}

/**
 * The detector's source under shared reading: every reader's staged lines, each reader's file
 * as its own input (so evidence names the file and line the reader read), in log-time order
 * across readers. A reader that still has bytes to read holds back the lines of the others
 * that are newer than what it staged (it is waited for, as replay waits for a finite input);
 * once caught up it is merged like a live input (within the merge window; a reader that has
 * staged nothing yet has an empty input, so its first lines are waited for too). Line numbers are
 * kept by sending an empty line for each line the reader did not stage (not an event).
 * Positions are the detector's own checkpoints (`staged:<reader>/<input>`), committed with
 * its state: after a takeover the next holder resumes exactly where the last commit was.
 */
export class StagedLinesSource implements LiveSource {
  readonly name = 'staged';
  private readonly inputs = new Map<string, OpenInput>();
  /** Readers with no input yet: an empty input each, so the merge waits for their first lines too. */
  private readonly placeholders = new Map<string, InputChannel>();
  private readonly seq = new Map<string, number>();
  private readonly held = new Map<string, StagedRow[]>();
  private readers: ReaderState[] = [];
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private problem: string | null = null;

  constructor(
    private readonly lines: PgStagedLines,
    private readonly ctx: SourceContext,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  status(): SourceStatus {
    const now = Date.now();
    const live = this.readers.filter((r) => now - r.heartbeatAt < READER_STALE_MS);
    return {
      name: this.name,
      attached: this.running && this.problem === null,
      detail: this.problem ?? `${live.length} reader${live.length === 1 ? '' : 's'} reporting: ${live.map((r) => `${r.reader}${r.behind ? ' (catching up)' : ''}`).join(', ') || 'none yet'}`,
      inputs: [...this.inputs.keys()].map((k) => ({ name: k, state: 'following' })),
    };
  }

  /** Detection committed these positions: the lines up to them are no longer needed. */
  committed(feeds: readonly Feed[]): void {
    const done = feeds.flatMap((f) => {
      const fp = f.reg.identity.kind === 'file' ? f.reg.identity.fingerprint : undefined;
      const m = fp === undefined ? null : /^staged:([^/]*)\/(.*)$/.exec(fp);
      return m === null ? [] : [{ reader: m[1], input: m[2], lineNo: f.position.lineNo }];
    });
    this.lines.prune(done).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'staged lines not pruned this time (they are skipped by position)'));
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        await this.round();
        this.problem = null;
      } catch (err) {
        const msg = (err as Error).message;
        if (this.problem !== msg) this.log.warn({ err: msg }, 'staged lines: cannot read them now; trying again');
        this.problem = `cannot read the staged lines: ${msg}`;
      }
      if (!this.running) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, STAGED_POLL_MS);
        this.wake = () => (clearTimeout(t), resolve());
      });
      this.wake = null;
    }
  }

  /** Fetches what was staged since the last round and pushes what may go now. */
  private async round(): Promise<void> {
    this.readers = await this.lines.readers();
    const now = Date.now();
    for (const r of this.readers) {
      const hasInput = [...this.inputs.keys()].some((k) => k.startsWith(stagedFingerprint(r.reader, '')));
      if (!hasInput && !this.placeholders.has(r.reader) && now - r.heartbeatAt < READER_STALE_MS) {
        this.placeholders.set(r.reader, this.ctx.ingest.open({ origin: `staged:${r.reader}`, identity: { kind: 'none' }, startOffset: 0, startLineNo: 0, live: true, format: 'plain' }));
      }
    }
    for (const r of this.readers) {
      const rows = await this.lines.after(r.reader, this.seq.get(r.reader) ?? 0, FETCH);
      if (rows.length === 0) continue;
      this.seq.set(r.reader, rows[rows.length - 1].seq);
      this.held.set(r.reader, [...(this.held.get(r.reader) ?? []), ...rows]);
    }
    const bound = this.bound();
    const out = new Map<string, { first: StagedRow; text: string[] }>();
    for (const [reader, rows] of this.held) {
      let i = 0;
      // A reader's own lines go in the order it staged them: the first one held stops the rest.
      while (i < rows.length && rows[i].time <= bound) {
        const key = stagedFingerprint(rows[i].reader, rows[i].input);
        const o = out.get(key) ?? { first: rows[i], text: [] };
        o.text.push(await this.text(key, rows[i]));
        out.set(key, o);
        i++;
      }
      this.held.set(reader, rows.slice(i));
    }
    // One chunk per input and round.
    for (const [key, o] of out) {
      const open = this.inputs.get(key)!;
      if (!(await open.channel.ready())) continue;
      open.channel.push(Buffer.from(o.text.join(''), 'utf8'));
    }
  }

  /** Lines newer than this wait: the oldest point a reader still reading has staged up to. */
  private bound(): number {
    const now = Date.now();
    let bound = Number.POSITIVE_INFINITY;
    for (const r of this.readers) {
      if (!r.behind || now - r.heartbeatAt >= READER_STALE_MS) continue;
      bound = Math.min(bound, r.stagedTo ?? Number.NEGATIVE_INFINITY);
    }
    return bound;
  }

  /** The bytes of one staged line on its input (opened at its checkpoint the first time). */
  private async text(key: string, row: StagedRow): Promise<string> {
    let open = this.inputs.get(key);
    if (open === undefined) {
      const cp = await this.ctx.checkpoint(key);
      const channel = this.ctx.ingest.open({
        origin: row.origin,
        identity: { kind: 'file', fingerprint: key, path: key, dev: null, ino: null },
        startOffset: cp?.offset ?? 0,
        startLineNo: cp?.lineNo ?? 0,
        live: true,
        format: 'plain',
      });
      open = { channel, lineNo: cp?.lineNo ?? 0 };
      this.inputs.set(key, open);
      this.placeholders.get(row.reader)?.abandon();
      this.placeholders.delete(row.reader);
    }
    if (row.lineNo <= open.lineNo) return '';
    // The lines the reader did not stage (not events) as empty lines: numbering stays the file's.
    const gap = row.lineNo - open.lineNo - 1;
    open.lineNo = row.lineNo;
    return '\n'.repeat(gap) + row.line + '\n';
  }
}
