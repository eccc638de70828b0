// Ids: shape, short form, validation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isId, isIdPrefix, newId, shortId, stripAlgorithm } from '../../../src/storage/ids';

test('newId is 64 lowercase hex, random, and its short form is never all digits', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const id = newId();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.not.match(id.slice(0, 12), /^[0-9]+$/);
    seen.add(id);
  }
  assert.is(seen.size, 2000);
});

test('shortId keeps 12 characters and drops an algorithm prefix', () => {
  const id = 'ab'.repeat(32);
  assert.is(shortId(id), 'abababababab');
  assert.is(shortId(`sha256:${id}`), 'abababababab');
  assert.is(stripAlgorithm(`sha256:${id}`), id);
  assert.is(stripAlgorithm('web'), 'web');
});

test('isId accepts only full ids, isIdPrefix any hex start of one', () => {
  const id = newId();
  assert.ok(isId(id));
  assert.not.ok(isId(id.slice(0, 63)));
  assert.not.ok(isId(id.toUpperCase()));
  assert.not.ok(isId(`${id}0`));
  assert.not.ok(isId(`sha256:${id}`));
  assert.ok(isIdPrefix(id));
  assert.ok(isIdPrefix('a'));
  assert.not.ok(isIdPrefix(''));
  assert.not.ok(isIdPrefix('web'));
  assert.not.ok(isIdPrefix(`${id}0`));
});

test.run();
