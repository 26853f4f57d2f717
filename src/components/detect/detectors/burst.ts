import { z } from 'zod';
import type { Event, EventType } from '../../../core/events.js';
import type { Evidence } from '../../../core/alerts.js';
import { isUserDn } from '../../../core/events.js';
import { defineDetector, type DetectorFactory, type Finding } from '../detector.js';
import { durationSchema, formatDuration } from '../../../core/duration.js';
import { evidenceOf } from '../evidence.js';
import { KeyedState } from '../state.js';
import { EventWindow, windowCodec } from '../window.js';

/** What a burst detector counts and how it says so. */
export interface BurstSpec {
  name: string;
  summary: string;
  event: EventType;
  /** `ip`: one window per address, the alert has no DN. `dn`: one window per user. */
  keyedBy: 'ip' | 'dn';
  defaults: { threshold: number; window: string };
  /** `failed logins (AuFail)`: what the window holds, plural. */
  what: string;
  /** The sentence of the alert. */
  reason(n: number, spanMs: number, e: Event, p: BurstParams): string;
}

export interface BurstParams {
  threshold: number;
  window: number;
}

/** A full burst: the window's count and span, its first lines and the one that completed it. */
class Burst implements Finding {
  readonly dn: string | null;
  readonly dnSha1: string | null;
  readonly ip: string | null;
  readonly country: string | null;
  readonly lines: number;
  constructor(
    readonly event: Event,
    private readonly spec: BurstSpec,
    private readonly p: BurstParams,
    key: string,
    private readonly n: number,
    private readonly span: number,
    private readonly kept: Evidence[],
  ) {
    this.dn = spec.keyedBy === 'dn' ? key : null;
    this.dnSha1 = spec.keyedBy === 'dn' ? event.dnSha1 : null;
    this.ip = event.ip;
    this.country = event.geo?.country ?? null;
    this.lines = n;
  }

  reason(): string {
    return this.spec.reason(this.n, this.span, this.event, this.p);
  }

  evidence(): Evidence[] {
    return this.kept;
  }
}

/**
 * N events of one kind for one key (address or DN) within a sliding window of log time.
 * Once a burst is reported its window starts afresh, so a long attack counts one repeat per
 * full burst on the open alert instead of one per line.
 */
export function burstDetector(spec: BurstSpec): DetectorFactory {
  const params = z
    .object({
      threshold: z.number().int().min(2).max(10_000).default(spec.defaults.threshold).describe('events that make a burst'),
      window: durationSchema.prefault(spec.defaults.window).describe('how close together (log time)'),
    })
    .strict();
  return defineDetector({
    name: spec.name,
    summary: spec.summary,
    events: [spec.event],
    params,
    describe: (p) => `${p.threshold} ${spec.what} for one ${spec.keyedBy === 'ip' ? 'address' : 'user'} within ${formatDuration(p.window)}`,
    create: (p, ctx) => {
      const state = new KeyedState(ctx.state, ctx.scope, windowCodec(p.window));
      return {
        check(e, _history, trace): Finding | null {
          const key = spec.keyedBy === 'ip' ? e.ip : isUserDn(e.dn) ? e.dn : null;
          if (key === null) {
            trace?.(spec.keyedBy === 'ip' ? 'the line names no address' : `${JSON.stringify(e.dn)} is not a user: no per-user window`);
            return null;
          }
          let w = state.get(key);
          if (w === undefined) {
            w = new EventWindow();
            state.set(key, w);
          }
          w.prune(e.ts, p.window);
          w.add(e.ts, w.wantsEvidence(ctx.maxEvidence) ? evidenceOf(e) : null);
          w.lastIp = e.ip;
          state.touch(key, w);
          const n = w.count;
          if (n < p.threshold) {
            trace?.(`${n} of the ${p.threshold} ${spec.what} that make a burst, for ${key} within the last ${formatDuration(p.window)} (this one included)`);
            return null;
          }
          // The first lines of the burst, and the line that completed it.
          const evidence = w.kept();
          if (w.evidence[w.evidence.length - 1] === null) evidence.push(evidenceOf(e));
          const finding = new Burst(e, spec, p, key, n, w.last - w.first, evidence);
          w.clear();
          state.delete(key);
          return finding;
        },
        persist: () => state.persist(),
        reset: () => state.reset(),
        trim: (now) => {
          state.sweep(now);
          state.trim();
        },
      };
    },
  });
}
