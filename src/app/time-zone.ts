import { LogClock } from '../components/parse/time.js';

/** Throws RangeError naming the zone when it is not an IANA time zone the log clock can use. */
export function validateTimeZone(zone: string): void {
  LogClock.validateZone(zone);
}
