import type { DetectorFactory } from '../detector.js';
import { impossibleTravel } from './impossible-travel.js';
import { ipNotAllowed } from './ip-not-allowed.js';
import { newValue } from './new-value.js';
import { refreshFailure } from './refresh-failure.js';
import { refreshTokenReplay } from './refresh-token-replay.js';
import { sessionMoved } from './session-moved.js';
import { successAfterFailures } from './success-after-failures.js';
import { threshold } from './threshold.js';

/** Every detector a rule can name (`detector: <name>`): a new detector is one file and one line here. */
export const DETECTORS: ReadonlyMap<string, DetectorFactory> = new Map(
  [threshold, newValue, refreshTokenReplay, refreshFailure, impossibleTravel, sessionMoved, ipNotAllowed, successAfterFailures].map((d) => [d.name, d]),
);
