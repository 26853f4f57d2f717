import type { InputCursor } from '../../../pipeline/pipeline.js';
import { StreamDecoder } from '../../decode/stream-decoder.js';
import { STAMP_LENGTH, normaliseStamp } from './kubelet-time.js';
import { DecodedLiveInput, type ConsumedRecord, type RecordConsumer } from '../../../pipeline/live-input.js';
import { headerKey } from '../../../pipeline/merge.js';

/** The stamp of the last line of a stream and how many lines carried exactly that stamp. */
export class StampPosition {
  constructor(
    public lastTime: string | null = null,
    public atLastTime = 0,
    public lineNo = 0,
  ) {}

  advance(stamp: string): void {
    if (stamp === this.lastTime) this.atLastTime++;
    else {
      this.lastTime = stamp;
      this.atLastTime = 1;
    }
  }

  copy(): StampPosition {
    return new StampPosition(this.lastTime, this.atLastTime, this.lineNo);
  }
}

/**
 * Lines of one `pods/log?timestamps=true` response. The stream restarts at `sinceTime`
 * (whole seconds), so the lines up to the position already received are dropped here: the
 * ones stamped earlier, and the first `atLastTime` of those stamped exactly at it. Kept lines
 * are queued as `<normalised stamp> <log line>`.
 */
export class PodLogDecoder extends StreamDecoder {
  private skipping: { time: string; count: number; dropped: number } | null;

  constructor(
    resumeAfter: StampPosition,
    private readonly received: StampPosition,
    maxLineBytes: number,
  ) {
    super(0, 0, maxLineBytes, 'plain');
    this.skipping = resumeAfter.lastTime === null ? null : { time: resumeAfter.lastTime, count: resumeAfter.atLastTime, dropped: 0 };
  }

  override record(text: string, resumeOffset: number): void {
    const sp = text.indexOf(' ');
    const stamp = sp > 0 ? normaliseStamp(text.slice(0, sp)) : null;
    if (stamp === null) {
      this.skip('malformed', resumeOffset);
      return;
    }
    const s = this.skipping;
    if (s !== null) {
      if (stamp < s.time) return;
      if (stamp === s.time && s.dropped < s.count) {
        s.dropped++;
        return;
      }
      this.skipping = null;
    }
    this.received.advance(stamp);
    super.record(sp === STAMP_LENGTH && text.startsWith(stamp) ? text : stamp + text.slice(sp), resumeOffset);
  }
}

/** What a connection's records update when consumed: the stream's position and cursor. */
export interface ConsumingStream {
  readonly origin: string;
  readonly cursor: InputCursor;
  readonly consumed: StampPosition;
  dirty: boolean;
}

/** One connection to a pod's log: its records, consumed in time order with the other pods'. */
export class PodLogInput extends DecodedLiveInput {
  constructor(
    private readonly stream: ConsumingStream,
    decoder: PodLogDecoder,
  ) {
    super(stream.origin, decoder);
  }

  receive(chunk: Buffer): void {
    if (!this.finished) this.decode(chunk, performance.now());
  }

  headKey(): string | null {
    const q = this.queue;
    return headerKey(q.texts[q.head], STAMP_LENGTH + 1);
  }

  consumeHead(sink: RecordConsumer): ConsumedRecord {
    const q = this.queue;
    const i = q.head++;
    const text = q.texts[i];
    const pos = this.stream.consumed;
    const lineNo = ++pos.lineNo;
    this.stream.dirty = true;
    if (text === null) {
      sink.skip(this.stream.cursor, q.reasons[i]!, lineNo, 0);
      return { lineNo, event: null };
    }
    pos.advance(text.slice(0, STAMP_LENGTH));
    return { lineNo, event: sink.process(this.stream.cursor, text.slice(STAMP_LENGTH + 1), lineNo, 0) };
  }
}
