import type { InputChannel, InputPosition } from '../../../core/inputs.js';

/** Where one file identity is read from and how far it got. */
export interface FilePosition {
  path: string;
  fingerprint: string;
  dev: number;
  ino: number;
  offset: number;
  lineNo: number;
}

/**
 * One identified file being read live, as an input of the pipeline. `skipBytes` drops the
 * already processed prefix of a stream that restarted at byte 0 (a rotated file picked up
 * again). Its position moves only as the pipeline processes its records.
 *
 * A file is taken to have unread bytes from when it is opened and after every read that
 * found some (the merge then waits for it rather than let other files' later lines pass),
 * until its reader says it reached the end (`caughtUp()`) or it is finished.
 */
export class FileInput {
  /** Input offset just past the last byte handed over. */
  received: number;
  private ended = false;

  constructor(
    readonly at: FilePosition,
    readonly channel: InputChannel,
    private skipBytes = 0,
  ) {
    this.received = at.offset;
    channel.unread(true);
  }

  get fingerprint(): string {
    return this.at.fingerprint;
  }

  /** Everything handed over is processed and nothing more will come. */
  get done(): boolean {
    return this.ended && this.channel.done;
  }

  position(): InputPosition {
    return this.channel.current();
  }

  /** Bytes read from the file at `time` (performance.now()); ignored once finished. */
  receive(chunk: Buffer, time: number): void {
    if (this.ended) return;
    this.channel.unread(true);
    if (this.skipBytes > 0) {
      if (chunk.length <= this.skipBytes) {
        this.skipBytes -= chunk.length;
        return;
      }
      chunk = chunk.subarray(this.skipBytes);
      this.skipBytes = 0;
    }
    this.received += chunk.length;
    this.channel.push(chunk, time);
  }

  /** The reader found the end of what the file holds so far. */
  caughtUp(): void {
    if (!this.ended) this.channel.unread(false);
  }

  /** Nothing more will come. A partial last line stays unconsumed (read again later). */
  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.channel.end();
  }
}
