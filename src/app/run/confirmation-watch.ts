import { CONFIRM_WITHIN_MS, UNCONFIRMED_ADVICE } from '../../core/actions.js';
import type { Log } from '../../core/log.js';
import type { ActionRepository } from '../../core/ports.js';
import type { BackgroundWorker, WorkerStats } from '../../core/runtime.js';

/** How often the daemon looks for end-session actions OpenUnison has not confirmed. */
export const CHECK_EVERY_MS = 60_000;
/** Actions older than this are no longer looked at (nor remembered as reported). */
export const LOOK_BACK_MS = 24 * 3_600_000;

export interface ConfirmationWatch extends BackgroundWorker {
  /** One look now (the timer's turn; tests call it directly). */
  check(): Promise<void>;
}

/**
 * The daemon's watch over its end-session actions: one carried out more than
 * CONFIRM_WITHIN_MS ago whose logout line was never read is logged once as a warning and
 * counted (`ouwatch_actions_total{result="unconfirmed"}`). An EndSession that OpenUnison
 * ignores (`openunison.enable_end_session` off, a version before 1.0.43) is answered 201 like
 * any other; without this, a platform team running the daemon unattended would never know.
 */
export function confirmationWatch(actions: ActionRepository, log: Log, opts: { now?: () => number; everyMs?: number } = {}): ConfirmationWatch {
  const now = opts.now ?? Date.now;
  /** Actions reported, by id, with their time: forgotten once past LOOK_BACK_MS. */
  const reported = new Map<number, number>();
  let unconfirmed = 0;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();

  const check = async (): Promise<void> => {
    const t = now();
    for (const [id, at] of reported) if (at < t - LOOK_BACK_MS) reported.delete(id);
    for (const a of await actions.unconfirmedEndSessions(t - LOOK_BACK_MS, t - CONFIRM_WITHIN_MS)) {
      if (reported.has(a.id)) continue;
      reported.set(a.id, Date.parse(a.time));
      unconfirmed++;
      log.warn(
        `end-session action ${a.id} (${a.mode}, EndSession ${a.name ?? '-'}) was carried out at ${a.time}, and no 'Logging out user' line of its DN has been read in the ${CONFIRM_WITHIN_MS / 60_000} min since: ` + UNCONFIRMED_ADVICE,
        { action: a.id, dn: a.dn, name: a.name, context: a.context },
      );
    }
  };

  return {
    name: 'confirmations',
    check,
    start() {
      timer = setInterval(() => {
        running = running.then(check).catch((err: Error) => log.warn('end-session confirmations not checked this time', { err: err.message }));
      }, opts.everyMs ?? CHECK_EVERY_MS);
      timer.unref();
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      await running;
    },
    stats: (): WorkerStats => ({ actions: { unconfirmed } }),
  };
}
