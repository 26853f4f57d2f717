import { StreamDecoder } from '../../decode/stream-decoder.js';
import type { InputCursor } from '../../../pipeline/pipeline.js';
import { DecodedLiveInput, type ConsumedRecord, type RecordConsumer } from '../../../pipeline/live-input.js';
import { headerKey } from '../../../pipeline/merge.js';

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
 * One identified file being read live: records are decoded with their resume offsets and the
 * cursor (its checkpoint) moves only as they are consumed. `skipBytes` drops the already
 * processed prefix of a stream that restarted at byte 0 (a rotated file picked up again).
 */
export class FileInput extends DecodedLiveInput {
  readonly cursor: InputCursor;

  constructor(
    at: FilePosition,
    maxLineBytes: number,
    private skipBytes = 0,
  ) {
    super(at.path, new StreamDecoder(at.offset, at.lineNo, maxLineBytes));
    this.cursor = {
      origin: at.path,
      path: at.path,
      fingerprint: at.fingerprint,
      dev: at.dev,
      ino: at.ino,
      offset: at.offset,
      lineNo: at.lineNo,
      dirty: false,
      checkpointed: true,
    };
  }

  get fingerprint(): string {
    return this.cursor.fingerprint!;
  }

  /** Bytes read from the file at `time` (performance.now()); ignored once finished. */
  receive(chunk: Buffer, time: number): void {
    if (this.finished) return;
    if (this.skipBytes > 0) {
      if (chunk.length <= this.skipBytes) {
        this.skipBytes -= chunk.length;
        return;
      }
      chunk = chunk.subarray(this.skipBytes);
      this.skipBytes = 0;
    }
    this.decode(chunk, time);
  }

  headKey(): string | null {
    const q = this.queue;
    return headerKey(q.texts[q.head]);
  }

  consumeHead(sink: RecordConsumer): ConsumedRecord {
    const q = this.queue;
    const i = q.head++;
    const text = q.texts[i];
    const lineNo = q.lineNos[i];
    if (text === null) {
      sink.skip(this.cursor, q.reasons[i]!, lineNo, q.resumes[i]);
      return { lineNo, event: null };
    }
    return { lineNo, event: sink.process(this.cursor, text, lineNo, q.resumes[i]) };
  }
}
