// --filter parsing and matching shared by ps, images and the prune commands.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labelsMatch, parseFilters, parseGoDuration, pruneFilter } from '../../../src/cli/filters';

test('parseFilters groups by key, rejects unknown keys as Docker does', () => {
  const f = parseFilters(['label=a', 'LABEL=b=c', 'label!=d'], ['label', 'label!']);
  assert.equal([...f.entries()], [['label', ['a', 'b=c']], ['label!', ['d']]]);
  assert.throws(() => parseFilters(['foo=bar'], ['label']), /Invalid filter 'foo'/);
  assert.throws(() => parseFilters(['label'], ['label']), /bad format of filter \(expected name=value\): label/);
});

test('labelsMatch: all label filters hold, no label! filter does', () => {
  const f = parseFilters(['label=a', 'label=b=2', 'label!=c', 'label!=d=4'], ['label', 'label!']);
  assert.ok(labelsMatch(f, { a: '', b: '2', d: '5' }));
  assert.not.ok(labelsMatch(f, { a: '', b: '3' }));
  assert.not.ok(labelsMatch(f, { a: '', b: '2', c: 'x' }));
  assert.not.ok(labelsMatch(f, { a: '', b: '2', d: '4' }));
  assert.not.ok(labelsMatch(f, null));
  assert.ok(labelsMatch(new Map(), null));
});

test('parseGoDuration reads Go durations only', () => {
  assert.is(parseGoDuration('1h30m'), 5_400_000);
  assert.is(parseGoDuration('-2s'), -2000);
  assert.is(parseGoDuration('.5s'), 500);
  assert.is(parseGoDuration('10'), undefined);
  assert.is(parseGoDuration('1d'), undefined);
  assert.is(parseGoDuration('h'), undefined);
});

test('pruneFilter: until keeps what was created at or after it, and what has no creation time', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  const f = pruneFilter(['until=1h'], now);
  assert.ok(f.matches('2026-11-24T10:59:59Z', {}));
  assert.not.ok(f.matches('2026-11-24T11:00:00Z', {}));
  assert.not.ok(f.matches(undefined, {}));
  const both = pruneFilter(['until=2026-11-24T11:00:00Z', 'label=x'], now);
  assert.ok(both.matches('2026-11-24T10:00:00Z', { x: '1' }));
  assert.not.ok(both.matches('2026-11-24T10:00:00Z', {}));
  assert.ok(pruneFilter([], now).matches(undefined, null));
  assert.throws(() => pruneFilter(['until=soon'], now), /failed to parse value as time or duration: "soon"/);
  assert.throws(() => pruneFilter(['dangling=true'], now), /Invalid filter 'dangling'/);
  assert.equal(pruneFilter(['dangling=false'], now, ['dangling']).filters.get('dangling'), ['false']);
});

test.run();
