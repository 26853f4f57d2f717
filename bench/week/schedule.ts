import type { Person } from './people.js';
import { Rng } from './random.js';
import { DAY, HOUR, MINUTE, type Locator, type Stint, type Via } from './whereabouts.js';

/**
 * Who works when, and where: one plan per person and day. Times are planned in the company's
 * local time (Hamburg, UTC+1 in March) and stored as UTC instants, as the logs are in UTC.
 */

const LOCAL_OFFSET_H = 1;

/** Local clock time `h` (hours, may exceed 24) on day `d` of the week starting at `start`, as a UTC instant. */
export const localClock = (start: number) => (d: number, h: number) => start + d * DAY + Math.round((h - LOCAL_OFFSET_H) * HOUR);
/** Share of people who work on a given weekday (leave, sick days, days without the cluster). */
const ACTIVE_WEEKDAY = 0.88;
/** Share who look at the cluster on a weekend day (on call). */
const ACTIVE_WEEKEND = 0.05;
const EVENING_SESSION = 0.08;
const OFFICE_PERSON_HOME_DAY = 0.15;
const HYBRID_KEEPS_PLAN = 0.9;
const EARLY_LEAVE = 0.12;
const TETHERING_ON_HOME_DAY = 0.03;
const VPN_LATE_CONNECT = 0.25;
const MOBILE_PERSON_HOME_DAY = 0.3;
const ROAMING_ON_TRIP_DAY = 0.35;

/** A stretch of work at one kind of place; `intense` keeps the cluster busy (no idle gaps). */
export interface Block {
  from: number;
  to: number;
  via: Via;
  intense: boolean;
  stints: Stint[];
}

/** Someone must be working at `via` during [from, to] (an attack needs its victim there). */
export interface Requirement {
  person: number;
  from: number;
  to: number;
  via: Via;
}

/** Someone must not be active during [from, to]. */
export interface Quiet {
  person: number;
  from: number;
  to: number;
}

type Segment = Omit<Block, 'stints'>;

export class Planner {
  constructor(
    private readonly seed: number,
    private readonly start: number,
    private readonly locator: Locator,
    private readonly requirements: Requirement[],
    private readonly quiets: Quiet[],
  ) {
    this.at = localClock(start);
  }

  readonly at: (d: number, h: number) => number;

  plan(p: Person, d: number): Block[] {
    const rng = Rng.of(this.seed, `plan-${p.index}-${d}`);
    const dayStart = this.start + d * DAY;
    const reqs = this.requirements.filter((r) => r.person === p.index && r.from >= dayStart && r.from < dayStart + DAY);
    let segs = this.usual(rng, p, d, reqs[0]?.via ?? null);
    for (const r of reqs) segs = insert(segs, { from: r.from, to: r.to, via: r.via, intense: true });
    for (const q of this.quiets.filter((q) => q.person === p.index)) segs = cut(segs, q.from, q.to);
    return segs
      .filter((s) => s.to - s.from >= 5 * MINUTE)
      .map((s) => ({ ...s, stints: this.locator.stints(rng, p, s.via, s.from, s.to) }));
  }

  /** The person's ordinary day; `required` is the place an attack needs them at that day, if any. */
  private usual(rng: Rng, p: Person, d: number, required: Via | null): Segment[] {
    const weekday = d % 7;
    if (p.trip && d >= p.trip.outDay && d <= p.trip.backDay) return this.tripDay(rng, p, d);
    if (weekday >= 5) {
      if (required === null && !rng.chance(ACTIVE_WEEKEND)) return [];
      const from = this.at(d, rng.int(10, 19) + rng.next());
      return [{ from, to: from + rng.int(30, 90) * MINUTE, via: this.remoteVia(p), intense: false }];
    }
    if (required === null && !rng.chance(ACTIVE_WEEKDAY)) return [];
    const place = required ?? this.place(rng, p, weekday);
    const segs = this.workday(rng, d, place);
    // An attack's victim keeps to one place that day, so the attack is the only oddity in it.
    if (required !== null) return segs;
    if (place === 'office' && rng.chance(EARLY_LEAVE)) {
      // Leaves the office in the afternoon, goes on working at home after the commute.
      const leave = this.at(d, rng.normal(15.2, 0.5, 14, 16.5));
      const end = Math.max(...segs.map((s) => s.to));
      const back = leave + rng.int(35, 80) * MINUTE;
      const kept = cut(segs, leave, end);
      if (end - back > 20 * MINUTE) kept.push({ from: back, to: end, via: 'home', intense: false });
      return this.evening(rng, p, d, kept);
    }
    if (place === 'home' && rng.chance(TETHERING_ON_HOME_DAY)) {
      // The line is down or the person works from a train for a while: the phone's connection.
      const from = this.at(d, rng.normal(11, 1.5, 8, 16));
      return this.evening(rng, p, d, insert(segs, { from, to: from + rng.int(60, 180) * MINUTE, via: 'mobile', intense: false }));
    }
    if (place === 'vpn' && rng.chance(VPN_LATE_CONNECT)) {
      // Starts on the home line, connects the VPN a little later.
      const first = Math.min(...segs.map((s) => s.from));
      return this.evening(rng, p, d, insert(segs, { from: first, to: first + rng.int(20, 90) * MINUTE, via: 'home', intense: false }));
    }
    return this.evening(rng, p, d, segs);
  }

  private place(rng: Rng, p: Person, weekday: number): Via {
    switch (p.profile) {
      case 'office':
        return rng.chance(OFFICE_PERSON_HOME_DAY) ? 'home' : 'office';
      case 'hybrid':
        return p.officeDays.includes(weekday) === rng.chance(HYBRID_KEEPS_PLAN) ? 'office' : 'home';
      case 'remote':
        return 'home';
      case 'vpn':
        return 'vpn';
      case 'mobile':
        return rng.chance(MOBILE_PERSON_HOME_DAY) ? 'home' : 'mobile';
    }
  }

  private remoteVia(p: Person): Via {
    return p.profile === 'vpn' ? 'vpn' : p.profile === 'mobile' ? 'mobile' : 'home';
  }

  /** A working day: start, end, lunch and meetings leave blocks of cluster work. */
  private workday(rng: Rng, d: number, via: Via): Segment[] {
    const s = rng.normal(8.5, 0.8, 6.5, 11);
    const e = s + rng.normal(8.3, 1, 4, 10.5);
    let segs: Segment[] = [{ from: this.at(d, s), to: this.at(d, e), via, intense: false }];
    const lunch = rng.normal(12.4, 0.4, 11.5, 13.5);
    segs = cut(segs, this.at(d, lunch), this.at(d, lunch + 0.5 + rng.next() * 0.5));
    for (let m = rng.int(0, 3); m > 0; m--) {
      const at = s + rng.next() * (e - s);
      segs = cut(segs, this.at(d, at), this.at(d, at + 0.5 + rng.next()));
    }
    return segs;
  }

  private evening(rng: Rng, p: Person, d: number, segs: Segment[]): Segment[] {
    if (!rng.chance(EVENING_SESSION)) return segs;
    const from = this.at(d, rng.normal(20.5, 0.8, 19, 22.5));
    return [...segs, { from, to: from + rng.int(20, 60) * MINUTE, via: this.remoteVia(p), intense: false }];
  }

  /** Out on Tuesday morning (a flight), a hotel abroad, back on Friday evening. */
  private tripDay(rng: Rng, p: Person, d: number): Segment[] {
    const trip = p.trip!;
    if (d === trip.outDay) {
      return [
        { from: this.at(d, 6 + rng.next() * 0.5), to: this.at(d, 7.25 + rng.next() * 0.25), via: 'home', intense: false },
        { from: this.at(d, 15 + rng.next()), to: this.at(d, 18.5 + rng.next()), via: 'hotel', intense: false },
      ];
    }
    if (d === trip.backDay) {
      return [
        { from: this.at(d, 7.25 + rng.next() * 0.5), to: this.at(d, 8.75 + rng.next() * 0.25), via: 'hotel', intense: false },
        { from: this.at(d, 17 + rng.next() * 0.5), to: this.at(d, 18.25 + rng.next() * 0.5), via: 'home', intense: false },
      ];
    }
    let segs = this.workday(rng, d, 'hotel');
    if (rng.chance(ROAMING_ON_TRIP_DAY)) {
      // At a customer's site the phone (home-routed roaming: a German address) is the connection.
      const from = this.at(d, rng.normal(11, 1.5, 9, 15));
      segs = insert(segs, { from, to: from + rng.int(60, 120) * MINUTE, via: 'roaming', intense: false });
    }
    return segs;
  }
}

/** Removes [from, to) from the segments. */
function cut(segs: Segment[], from: number, to: number): Segment[] {
  const out: Segment[] = [];
  for (const s of segs) {
    if (s.to <= from || s.from >= to) out.push(s);
    else {
      if (s.from < from) out.push({ ...s, to: from });
      if (s.to > to) out.push({ ...s, from: to });
    }
  }
  return out.sort((a, b) => a.from - b.from);
}

/** Puts `seg` in, replacing whatever overlapped it. */
function insert(segs: Segment[], seg: Segment): Segment[] {
  return [...cut(segs, seg.from, seg.to), seg].sort((a, b) => a.from - b.from);
}
