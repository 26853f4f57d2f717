import type { DetectorFactory } from '../detector.js';
import { authFailureBurst } from './auth-failure-burst.js';
import { authzFailureBurst } from './authz-failure-burst.js';
import { impossibleTravel } from './impossible-travel.js';
import { ipNotAllowed } from './ip-not-allowed.js';
import { newCountry } from './new-country.js';
import { newSourceIp } from './new-source-ip.js';
import { refreshTokenGraceBurst } from './refresh-token-grace-burst.js';
import { refreshTokenReplay } from './refresh-token-replay.js';
import { staleRefreshToken } from './stale-refresh-token.js';

/** Every detector a rule can name (`detector: <name>`). */
export const DETECTORS: ReadonlyMap<string, DetectorFactory> = new Map(
  [
    refreshTokenReplay,
    refreshTokenGraceBurst,
    staleRefreshToken,
    newSourceIp,
    newCountry,
    impossibleTravel,
    authFailureBurst,
    authzFailureBurst,
    ipNotAllowed,
  ].map((d) => [d.name, d]),
);
