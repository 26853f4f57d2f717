import type { Event } from '../../core/events.js';
import type { Evidence } from '../../core/alerts.js';
import { detach } from '../../core/strings.js';

/** An event as evidence: where it is and its line, detached from the read buffer. */
export function evidenceOf(e: Event): Evidence {
  return { source: detach(e.source), line: detach(e.raw) };
}

/** Appends `more` to `into` while it holds fewer than `max` entries, skipping duplicates. */
export function appendEvidence(into: Evidence[], more: readonly Evidence[], max: number): void {
  for (const ev of more) {
    if (into.length >= max) return;
    if (!into.some((x) => x.source === ev.source && x.line === ev.line)) into.push(ev);
  }
}
