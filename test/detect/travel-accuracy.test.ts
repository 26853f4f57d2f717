import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ALICE, MIN, RU, SE, T0, US, az, detect, keys, rulesDir, scratch } from './helpers.js';

// Offline geolocation is approximate, and says how much: each place has an accuracy radius
// (GeoLite2: from a few km for a city's address to 1000 km for one located only to its
// country, at or near the country's centre). Inside one country impossible-travel allows for
// it; across a border it keeps the distance between the places' centres.

const s = scratch();
after(() => s.done());
let n = 0;
const run = (lines: string[], params: Record<string, unknown> = {}) =>
  detect(s.path(`t${n++}.db`), rulesDir(s.path(`r${n}`), ['impossible-travel'], { 'impossible-travel': { params } }), lines);

// Where geoip-lite places these addresses (country, coordinates, radius).
const NEW_YORK = '12.63.10.10'; // US, New York, 20 km
const US_CENTRE = '24.25.20.20'; // US, 37.751 -97.822 (the country's centre), 1000 km: a cable line located only to the US
const RETHEM = '2.205.138.163'; // DE, Rethem, 20 km
const SCHWENDI = '93.220.136.33'; // DE, Schwendi, 20 km: 513 km from Rethem

test('inside one country, an address located only to its country is no distance to judge: New York then the US centre minutes later stays quiet', async () => {
  const lines = [az(T0, ALICE, NEW_YORK), az(T0 + 5 * MIN, ALICE, US_CENTRE), az(T0 + 10 * MIN, ALICE, NEW_YORK)];
  assert.deepEqual((await run(lines)).alerts, []);
  // Taken at face value, the 2,071 km to Kansas in five minutes is travel.
  const literal = await run(lines, { allowForAccuracy: false });
  assert.deepEqual(keys(literal.alerts), [`impossible-travel ${ALICE} ${US_CENTRE}`]);
  assert.match(literal.alerts[0].reason, /: 2,071 km, 24,851 km\/h/);
});

test('inside one country the distance counts from the edges of the two places: 513 km between centres located to 20 km each is at least 473 km, under the 500 km floor', async () => {
  const lines = [az(T0, ALICE, RETHEM), az(T0 + 5 * MIN, ALICE, SCHWENDI)];
  assert.deepEqual((await run(lines)).alerts, []);
  const literal = await run(lines, { allowForAccuracy: false });
  assert.deepEqual(keys(literal.alerts), [`impossible-travel ${ALICE} ${SCHWENDI}`]);
  // The floor applies to what is certain: at 470 km the same move is travel again.
  const lowFloor = await run(lines, { minDistanceKm: 470 });
  assert.deepEqual(keys(lowFloor.alerts), [`impossible-travel ${ALICE} ${SCHWENDI}`]);
  assert.match(lowFloor.alerts[0].reason, /513 km between the places' centres, at least 473 km given their accuracy \(40 km together\), 5,6\d\d km\/h/);
});

test('inside one country a move far enough even from the edges is travel, and its reason gives both distances', async () => {
  const { alerts } = await run([az(T0, ALICE, NEW_YORK), az(T0 + 20 * MIN, ALICE, US)]);
  assert.deepEqual(keys(alerts), [`impossible-travel ${ALICE} ${US}`]);
  assert.match(alerts[0].reason, /3,8\d\d km between the places' centres, at least 3,7\d\d km given their accuracy \(120 km together\), 11,\d{3} km\/h/);
});

test('across a border the centres count whatever the radii: Stockholm (500 km) to Moscow (1000 km, located only to Russia) is 1,228 km', async () => {
  const { alerts } = await run([az(T0, ALICE, SE), az(T0 + 30 * MIN, ALICE, RU)]);
  assert.deepEqual(keys(alerts), [`impossible-travel ${ALICE} ${RU}`]);
  assert.match(alerts[0].reason, /: 1,228 km, 2,456 km\/h/);
});
