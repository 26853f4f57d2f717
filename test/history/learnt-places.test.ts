import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LearntPlaces } from '../../src/components/history/learnt-places.js';

// A user's learnt networks, ASNs and countries: each holds its first value in a field and
// makes a set only at a second one.

test('each kind holds its values once each, in the order first learnt, past the first', () => {
  const p = new LearntPlaces();
  assert.deepEqual([p.nets(), p.asns(), p.countries()], [[], [], []]);
  assert.equal(p.hasNet('10.0.0.0/24'), false);
  p.add('10.0.0.0/24', null, null);
  p.add('10.0.0.0/24', 3320, 'DE');
  p.add('192.0.2.0/24', 3320, 'DE');
  p.add('10.0.0.0/24', 64500, 'FR');
  p.add('198.51.100.0/24', null, 'DE');
  p.add('192.0.2.0/24', 0, null);
  assert.deepEqual(p.nets(), ['10.0.0.0/24', '192.0.2.0/24', '198.51.100.0/24']);
  assert.deepEqual(p.asns(), [3320, 64500, 0]);
  assert.deepEqual(p.countries(), ['DE', 'FR']);
  assert.equal(p.hasNet('192.0.2.0/24'), true);
  assert.equal(p.hasNet('203.0.113.0/24'), false);
  assert.equal(p.hasAsn(0), true, 'zero is an ASN like any other');
  assert.equal(p.hasAsn(1), false);
  assert.equal(p.hasCountry('FR'), true);
  assert.equal(p.hasCountry('JP'), false);
});

test('one kind growing past its first value leaves the others as they were', () => {
  const p = new LearntPlaces();
  p.add('10.0.0.0/24', 3320, 'DE');
  p.add('10.0.1.0/24', 3320, 'DE');
  assert.deepEqual([p.nets(), p.asns(), p.countries()], [['10.0.0.0/24', '10.0.1.0/24'], [3320], ['DE']]);
});

test('places taken back go, wherever they stood; the first of the others moves up, and the counts follow', () => {
  const p = new LearntPlaces();
  p.add('10.0.0.0/24', 3320, 'DE');
  p.add('10.0.1.0/24', 64500, 'FR');
  p.add('10.0.2.0/24', null, 'SE');
  p.remove('10.0.0.0/24', null, 'FR');
  assert.deepEqual([p.nets(), p.asns(), p.countries()], [['10.0.1.0/24', '10.0.2.0/24'], [3320, 64500], ['DE', 'SE']]);
  assert.equal(p.hasNet('10.0.0.0/24'), false);
  assert.equal(p.hasCountry('FR'), false);
  p.remove('10.0.2.0/24', 3320, 'DE');
  assert.deepEqual([p.nets(), p.asns(), p.countries()], [['10.0.1.0/24'], [64500], ['SE']]);
  assert.deepEqual([p.netCount(), p.asnCount(), p.countryCount()], [1, 1, 1]);
  p.remove('10.0.1.0/24', 64500, 'SE');
  p.remove('192.0.2.0/24', 1, 'JP'); // never learnt: nothing happens
  assert.deepEqual([p.nets(), p.asns(), p.countries(), p.netCount()], [[], [], [], 0]);
  p.add('10.0.9.0/24', 7, 'NO');
  assert.deepEqual([p.nets(), p.asns(), p.countries()], [['10.0.9.0/24'], [7], ['NO']]);
});
