import type { Evidence } from '../../core/alerts.js';
import { sourceOf, type LogEvent } from '../../core/log-event.js';

/** An event as evidence: where it is and its line. */
export function evidenceOf(e: LogEvent): Evidence {
  return { source: sourceOf(e), line: e.raw() };
}

/** Appends `more` to `into` while it holds fewer than `max` entries, skipping duplicates. */
export function appendEvidence(into: Evidence[], more: readonly Evidence[], max: number): void {
  for (const ev of more) {
    if (into.length >= max) return;
    if (!into.some((x) => x.source === ev.source && x.line === ev.line)) into.push(ev);
  }
}
