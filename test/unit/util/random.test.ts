// Random bytes from /dev/urandom and the lazily loaded SHA-256.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { randomBytes, randomHex, randomInt, sha256, sha256Hex } from '../../../src/util/random';

test('randomBytes gives the length asked for, across pool refills, and never repeats', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const n = 1 + (i % 40);
    const bytes = randomBytes(n);
    assert.is(bytes.length, n);
    if (n >= 8) {
      const hex = bytes.toString('hex');
      assert.not.ok(seen.has(hex), 'a repeated value');
      seen.add(hex);
    }
  }
  assert.is(randomBytes(1000).length, 1000); // larger than the pool
});

test('randomBytes hands out copies: changing one does not change the next', () => {
  const a = randomBytes(16);
  const before = a.toString('hex');
  const b = randomBytes(16);
  b.fill(0);
  assert.is(a.toString('hex'), before);
});

test('randomHex is 2n lowercase hex characters', () => {
  assert.match(randomHex(32), /^[0-9a-f]{64}$/);
  assert.match(randomHex(6), /^[0-9a-f]{12}$/);
});

test('randomInt stays in [0, max) and reaches every value', () => {
  for (const max of [1, 2, 10, 40]) {
    const hits = new Array<number>(max).fill(0);
    for (let i = 0; i < max * 200; i++) {
      const v = randomInt(max);
      assert.ok(Number.isInteger(v) && v >= 0 && v < max, `${v} out of [0, ${max})`);
      hits[v]++;
    }
    assert.ok(hits.every((h) => h > 0), `some value below ${max} never came: ${hits}`);
  }
  assert.throws(() => randomInt(0), /bad bound/);
  assert.throws(() => randomInt(1.5), /bad bound/);
});

test('sha256Hex and sha256 match node:crypto', () => {
  const want = createHash('sha256').update('skiff').digest('hex');
  assert.is(sha256Hex('skiff'), want);
  assert.is(sha256Hex(Buffer.from('skiff')), want);
  assert.is(sha256().update('sk').update('iff').digest('hex'), want);
});

test.run();
