// Atomic replacement of files and the JSON read helper.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTempName, readJson, removeFileDurably, removeStaleTemps, tempPathFor, writeFileAtomic, writeJsonAtomic } from '../../../src/storage/atomic';
import { SkiffError } from '../../../src/errors';

let dir = '';
test.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'skiff-atomic-')); });
test.after.each(() => { rmSync(dir, { recursive: true, force: true }); });

test('writeFileAtomic creates and replaces, leaving no temp file', async () => {
  const path = join(dir, 'a.json');
  await writeFileAtomic(path, 'one');
  assert.is(readFileSync(path, 'utf8'), 'one');
  await writeFileAtomic(path, Buffer.from('two'));
  assert.is(readFileSync(path, 'utf8'), 'two');
  assert.equal(readdirSync(dir), ['a.json']);
});

test('writeFileAtomic sets the mode', async () => {
  const path = join(dir, 'secret');
  await writeFileAtomic(path, 'x', { mode: 0o600 });
  assert.is(statSync(path).mode & 0o777, 0o600);
});

test('a failing beforeCommit keeps the old content and removes the temp file', async () => {
  const path = join(dir, 'a.json');
  await writeFileAtomic(path, 'old');
  try {
    await writeFileAtomic(path, 'new', { beforeCommit: async () => { throw new Error('lost the lock'); } });
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.is((err as Error).message, 'lost the lock');
  }
  assert.is(readFileSync(path, 'utf8'), 'old');
  assert.equal(readdirSync(dir), ['a.json']);
});

test('writeFileAtomic into a missing directory fails with ENOENT', async () => {
  try {
    await writeFileAtomic(join(dir, 'missing', 'a'), 'x');
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.is((err as NodeJS.ErrnoException).code, 'ENOENT');
  }
});

test('readJson: round trip, missing file is undefined, garbage is an error naming the file', async () => {
  const path = join(dir, 'r.json');
  assert.is(await readJson(path), undefined);
  await writeJsonAtomic(path, { id: 'x', n: [1, 2] });
  assert.equal(await readJson(path), { id: 'x', n: [1, 2] });
  writeFileSync(path, '{"id": ');
  try {
    await readJson(path);
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, SkiffError);
    assert.match((err as Error).message, path);
    assert.match((err as Error).message, 'not valid JSON');
  }
});

test('removeFileDurably reports whether there was a file', async () => {
  const path = join(dir, 'gone');
  writeFileSync(path, 'x');
  assert.is(await removeFileDurably(path), true);
  assert.is(await removeFileDurably(path), false);
});

test('temp names are recognisable and only old ones are swept', async () => {
  const old = tempPathFor(join(dir, 'a.json'));
  const fresh = tempPathFor(join(dir, 'a.json'));
  const oldDir = tempPathFor(join(dir, 'a.json.lock'));
  assert.ok(isTempName(old.slice(dir.length + 1)));
  assert.not.ok(isTempName('a.json'));
  writeFileSync(old, 'x');
  writeFileSync(fresh, 'x');
  mkdirSync(oldDir);
  writeFileSync(join(oldDir, 'owner'), '{}');
  writeFileSync(join(dir, 'a.json'), '{}');
  const past = new Date(Date.now() - 2 * 3600_000);
  utimesSync(old, past, past);
  utimesSync(oldDir, past, past);
  assert.is(await removeStaleTemps(dir, 3600_000), 2);
  assert.equal(readdirSync(dir).sort(), [fresh.slice(dir.length + 1), 'a.json'].sort());
  assert.is(await removeStaleTemps(join(dir, 'nope'), 0), 0);
});

test.run();
