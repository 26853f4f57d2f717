import type { LogEvent } from '../core/log-event.js';
import type { DetectionEngine } from '../components/detect/engine.js';
import type { History } from '../components/history/history.js';
import type { EventBatch } from './batch.js';
import type { EventProcessor } from './ingest.js';

/**
 * What happens to each event: detection judges it against the user's history before it, then
 * history records it (an address whose event raised an alert is not learnt).
 */
export class HistoryAndDetection implements EventProcessor {
  constructor(
    readonly history: History,
    readonly detection: DetectionEngine,
    /** Analysts' changes (an alert closed, closed as benign) applied before each batch. */
    private readonly noticeChanges: () => Promise<void> = async () => {},
  ) {}

  get pending(): number {
    return this.detection.pending;
  }

  get backlog(): number {
    return this.history.changedUsers;
  }

  get heldRows(): number {
    return this.history.heldRows;
  }

  get newUsers(): number {
    return this.history.newUsers;
  }

  get heldAlerts(): number {
    return this.detection.heldAlerts;
  }

  async prepare(batch: EventBatch): Promise<void> {
    await this.noticeChanges();
    await this.history.prepare(batch.added.dns, batch.added.dnSha1s);
    // Pinned on arrival (MainTables.pin): the values its ids stood for.
    if (batch.pinned !== undefined) await this.history.readBack(batch.dns, batch.pinned.dns, batch.pinned.ips);
  }

  endOfInput(): void {
    this.detection.finish();
  }

  event(e: LogEvent): void {
    const user = this.history.userOf(e);
    const quarantinedBy = this.detection.event(e, user);
    if (user !== null) this.history.record(user, e, quarantinedBy);
  }
}
