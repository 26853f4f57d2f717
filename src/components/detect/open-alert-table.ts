import { ALERT_STATUSES, SEVERITIES, type AlertStatus, type AlertUpdate, type Evidence, type Severity, type StoredAlert } from '../../core/alerts.js';
import { iso } from './format.js';

/** Hashes of evidence lines held in the columns per alert; more go to a list of their own. */
const INLINE_KEYS = 4;
/** An alert id as `alertId` makes it: 16 hexadecimal digits, kept as two 32-bit halves. */
const HEX_ID = /^[0-9a-f]{16}$/;

/**
 * The alerts that may still count repeats, one slot each in typed-array columns. An alert
 * storm holds every alert of its rules' 24-hour windows (137,000 forty seconds into the storm
 * corpus's 5,000,000 lines, which span 31 hours); as one object each, with boxed times, two
 * small arrays and an id string, they were about 380 bytes apiece and a quarter of the live
 * heap; a slot is about 80 bytes the garbage collector never walks.
 *
 * Until its insertion is committed a slot also holds the whole alert; after that only what a
 * repeat changes or an explanation shows (id, severity, risk, status, count, times), and a
 * hash of each evidence line the alert holds (to add no line twice); the lines a repeat adds
 * are held until the next commit appends them to the stored ones.
 */
export class OpenAlertTable {
  private capacity = 0;
  private used = 0;
  private readonly freed: number[] = [];
  private firstTs = new Float64Array(0);
  private until = new Float64Array(0);
  private lastTs = new Float64Array(0);
  private counts = new Float64Array(0);
  private totals = new Float64Array(0);
  private risks = new Float64Array(0);
  private idHigh = new Uint32Array(0);
  private idLow = new Uint32Array(0);
  private rules = new Uint16Array(0);
  private severities = new Uint8Array(0);
  private statuses = new Uint8Array(0);
  /** Repeated since the last commit (stored alerts only: a new one's repeats go into its pending row). */
  private dirty = new Uint8Array(0);
  private keyCounts = new Uint8Array(0);
  private keys = new Uint32Array(0);
  private readonly ruleNames: string[] = [];
  private readonly ruleIndex = new Map<string, number>();
  /** Ids not of alertId's shape (none today), as they are. */
  private readonly otherIds = new Map<number, string>();
  /** Evidence hashes beyond the first INLINE_KEYS. */
  private readonly moreKeys = new Map<number, number[]>();
  /** The whole alert, while its insertion waits for a commit: the slots raised since the last one. */
  private readonly pendingAlerts = new Map<number, StoredAlert>();
  /** Evidence lines a repeat added to a stored alert since the last commit. */
  private readonly addedLines = new Map<number, Evidence[]>();

  /** Slots in use: the alerts held. */
  get size(): number {
    return this.used - this.freed.length;
  }

  /** Takes a slot for `alert`, first raised at `firstTs`, open to repeats until `until`; `stored`: its row exists. */
  add(alert: StoredAlert, firstTs: number, until: number, stored: boolean): number {
    const slot = this.freed.pop() ?? this.take();
    this.firstTs[slot] = firstTs;
    this.until[slot] = until;
    this.lastTs[slot] = Date.parse(alert.lastTime);
    this.counts[slot] = alert.count;
    this.totals[slot] = alert.evidenceTotal;
    this.risks[slot] = alert.risk;
    this.setId(slot, alert.id);
    this.rules[slot] = this.ruleNumber(alert.rule);
    this.severities[slot] = SEVERITIES.indexOf(alert.severity);
    this.statuses[slot] = ALERT_STATUSES.indexOf(alert.status);
    this.dirty[slot] = 0;
    this.keyCounts[slot] = 0;
    for (const ev of alert.evidence) this.pushKey(slot, evidenceKey(ev));
    if (!stored) this.pendingAlerts.set(slot, { ...alert, evidence: alert.evidence.slice() });
    return slot;
  }

  /** Lets the slot go (the alert's window closed, or it was closed and holds nothing to write). */
  release(slot: number): void {
    this.otherIds.delete(slot);
    this.moreKeys.delete(slot);
    this.pendingAlerts.delete(slot);
    this.addedLines.delete(slot);
    this.freed.push(slot);
  }

  id(slot: number): string {
    return this.otherIds.get(slot) ?? hex8(this.idHigh[slot]) + hex8(this.idLow[slot]);
  }

  rule(slot: number): string {
    return this.ruleNames[this.rules[slot]];
  }

  severity(slot: number): Severity {
    return SEVERITIES[this.severities[slot]];
  }

  risk(slot: number): number {
    return this.risks[slot];
  }

  status(slot: number): AlertStatus {
    return ALERT_STATUSES[this.statuses[slot]];
  }

  setStatus(slot: number, status: AlertStatus): void {
    this.statuses[slot] = ALERT_STATUSES.indexOf(status);
  }

  count(slot: number): number {
    return this.counts[slot];
  }

  firstTime(slot: number): number {
    return this.firstTs[slot];
  }

  /** The log time of the alert's latest finding. */
  lastTime(slot: number): number {
    return this.lastTs[slot];
  }

  /** The end of the window in which a finding counts as a repeat (log time). */
  openUntil(slot: number): number {
    return this.until[slot];
  }

  /** Raised since the last commit: its row is still to be inserted. */
  isNew(slot: number): boolean {
    return this.pendingAlerts.has(slot);
  }

  /** Repeated since the last commit. */
  isDirty(slot: number): boolean {
    return this.dirty[slot] === 1;
  }

  /**
   * Counts a repeat at `ts` that brought `more` evidence lines (`total` lines in all): the lines
   * not held yet are added, up to `max` per alert. Returns whether the slot just became dirty
   * (a stored alert whose row the next commit updates).
   */
  repeat(slot: number, ts: number, more: readonly Evidence[], total: number, max: number): boolean {
    this.counts[slot]++;
    if (ts > this.lastTs[slot]) this.lastTs[slot] = ts;
    this.totals[slot] += total;
    this.addEvidence(slot, more, max);
    if (this.dirty[slot] === 1 || this.pendingAlerts.has(slot)) return false;
    this.dirty[slot] = 1;
    return true;
  }

  /** The whole alert with its repeats so far (only while it waits to be inserted). */
  full(slot: number): StoredAlert {
    const a = this.pendingAlerts.get(slot)!;
    return {
      ...a,
      status: this.status(slot),
      count: this.counts[slot],
      lastTime: iso(this.lastTs[slot]),
      evidence: a.evidence.slice(),
      evidenceTotal: this.totals[slot],
      response: a.response === null ? null : { ...a.response },
    };
  }

  /** What the row of a stored alert that was repeated needs. */
  update(slot: number): AlertUpdate {
    return {
      id: this.id(slot),
      rule: this.rule(slot),
      severity: this.severity(slot),
      count: this.counts[slot],
      lastTime: iso(this.lastTs[slot]),
      evidenceAdded: (this.addedLines.get(slot) ?? []).slice(),
      evidenceTotal: this.totals[slot],
    };
  }

  /** Stored: what only the row needs is let go. */
  stored(slot: number): void {
    this.dirty[slot] = 0;
    this.pendingAlerts.delete(slot);
    this.addedLines.delete(slot);
  }

  private addEvidence(slot: number, more: readonly Evidence[], max: number): void {
    for (const ev of more) {
      if (this.keyTotal(slot) >= max) return;
      const k = evidenceKey(ev);
      if (this.hasKey(slot, k)) continue;
      this.pushKey(slot, k);
      const pending = this.pendingAlerts.get(slot);
      if (pending !== undefined) pending.evidence.push(ev);
      else {
        let added = this.addedLines.get(slot);
        if (added === undefined) this.addedLines.set(slot, (added = []));
        added.push(ev);
      }
    }
  }

  private keyTotal(slot: number): number {
    return this.keyCounts[slot] + (this.moreKeys.get(slot)?.length ?? 0);
  }

  private hasKey(slot: number, k: number): boolean {
    const base = slot * INLINE_KEYS;
    for (let i = 0; i < this.keyCounts[slot]; i++) if (this.keys[base + i] === k) return true;
    return this.moreKeys.get(slot)?.includes(k) ?? false;
  }

  private pushKey(slot: number, k: number): void {
    const n = this.keyCounts[slot];
    if (n < INLINE_KEYS) {
      this.keys[slot * INLINE_KEYS + n] = k;
      this.keyCounts[slot] = n + 1;
      return;
    }
    let more = this.moreKeys.get(slot);
    if (more === undefined) this.moreKeys.set(slot, (more = []));
    more.push(k);
  }

  private setId(slot: number, id: string): void {
    if (HEX_ID.test(id)) {
      this.idHigh[slot] = parseInt(id.slice(0, 8), 16);
      this.idLow[slot] = parseInt(id.slice(8), 16);
      this.otherIds.delete(slot);
    } else this.otherIds.set(slot, id);
  }

  private ruleNumber(rule: string): number {
    let n = this.ruleIndex.get(rule);
    if (n === undefined) {
      n = this.ruleNames.length;
      this.ruleNames.push(rule);
      this.ruleIndex.set(rule, n);
    }
    return n;
  }

  /**
   * A slot never used yet, growing the columns by half when they are full: doubling left a
   * storm's table (190,000 open alerts at 5 M lines) a third empty, and the old columns beside
   * the new until a full collection.
   */
  private take(): number {
    if (this.used === this.capacity) this.grow(Math.max(1024, Math.ceil(this.capacity * 1.5)));
    return this.used++;
  }

  private grow(capacity: number): void {
    this.firstTs = grown(this.firstTs, capacity);
    this.until = grown(this.until, capacity);
    this.lastTs = grown(this.lastTs, capacity);
    this.counts = grown(this.counts, capacity);
    this.totals = grown(this.totals, capacity);
    this.risks = grown(this.risks, capacity);
    this.idHigh = grown(this.idHigh, capacity);
    this.idLow = grown(this.idLow, capacity);
    this.rules = grown(this.rules, capacity);
    this.severities = grown(this.severities, capacity);
    this.statuses = grown(this.statuses, capacity);
    this.dirty = grown(this.dirty, capacity);
    this.keyCounts = grown(this.keyCounts, capacity);
    this.keys = grown(this.keys, capacity * INLINE_KEYS);
    this.capacity = capacity;
  }
}

type Column = Float64Array | Uint32Array | Uint16Array | Uint8Array;

function grown<T extends Column>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/**
 * An evidence line by where it is and what it says (FNV-1a of both): a record of a JSON
 * export shares its position with the others of its document, so the position alone is not
 * enough.
 */
function evidenceKey(ev: Evidence): number {
  let h = 0x811c9dc5;
  for (const s of [ev.source, ev.line]) {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0, 0x01000193);
  }
  return h >>> 0;
}
