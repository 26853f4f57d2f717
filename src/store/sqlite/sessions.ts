interface Span {
  readonly ip: string;
  first: number;
  last: number;
  count: number;
}

/** Events of one session since the last flush: first/last seen, count, and addresses. */
export class SessionDelta {
  first: number;
  last: number;
  count = 0;
  readonly ips = new Map<string, Span>();
  /** Sessions rarely change address: the previous one is checked before the map. */
  private lastSpan: Span | null = null;

  constructor(
    readonly sessionId: string,
    t: number,
  ) {
    this.first = t;
    this.last = t;
  }

  /** `ip` must be a canonical (detached) string: it is kept. */
  add(t: number, ip: string | null): void {
    this.count++;
    if (t < this.first) this.first = t;
    if (t > this.last) this.last = t;
    if (ip === null) return;
    let span = this.lastSpan !== null && this.lastSpan.ip === ip ? this.lastSpan : this.ips.get(ip);
    if (span === undefined) {
      span = { ip, first: t, last: t, count: 0 };
      this.ips.set(span.ip, span);
    }
    this.lastSpan = span;
    span.count++;
    if (t < span.first) span.first = t;
    if (t > span.last) span.last = t;
  }
}
