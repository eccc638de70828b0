// The record store in one process: create, lookup order, prefixes, names, update, rename, remove, list.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode, SkiffError } from '../../../src/errors';
import { tempPathFor } from '../../../src/storage/atomic';
import { newId } from '../../../src/storage/ids';
import { openRecords, RecordConflictError, recordsDir, type RecordStore } from '../../../src/storage/records';

interface Container {
  id: string;
  name?: string;
  image: string;
  restarts: number;
}

let data = '';
let store: RecordStore<Container>;
test.before.each(() => {
  data = mkdtempSync(join(tmpdir(), 'skiff-records-'));
  store = openRecords<Container>(recordsDir(data, 'container'), 'container');
});
test.after.each(() => { rmSync(data, { recursive: true, force: true }); });

/** An id that starts with `prefix`, to make prefix collisions on purpose. */
function idWith(prefix: string): string {
  return prefix + newId().slice(prefix.length);
}

async function failure(promise: Promise<unknown>): Promise<SkiffError> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, SkiffError);
    return err as SkiffError;
  }
  throw new Error('expected a SkiffError');
}

test('create stores one file per record under records/containers, private to the user', async () => {
  const id = newId();
  const created = await store.create({ id, name: 'web', image: 'busybox', restarts: 0 });
  assert.equal(created, { id, name: 'web', image: 'busybox', restarts: 0 });
  assert.is(store.dir, join(data, 'records', 'containers'));
  assert.equal(readdirSync(store.dir).sort(), ['.by-name', `${id}.json`]);
  assert.is(statSync(join(store.dir, `${id}.json`)).mode & 0o777, 0o600);
  // The name index: one entry per name holding the id, and the mark that it covers every record.
  assert.equal(readdirSync(join(store.dir, '.by-name')).sort(), ['.complete', 'n=web']);
  assert.is(readFileSync(join(store.dir, '.by-name', 'n=web'), 'utf8'), `${id}\n`);
  assert.is(statSync(join(store.dir, '.by-name', 'n=web')).mode & 0o777, 0o600);
});

test('lookup: full id, name, /name, unique prefix, short id', async () => {
  const id = newId();
  await store.create({ id, name: 'web', image: 'busybox', restarts: 0 });
  for (const ref of [id, 'web', '/web', id.slice(0, 12), id.slice(0, 1)]) {
    assert.is((await store.get(ref)).id, id, ref);
  }
});

test('lookup order: exact id, then exact name, then prefix', async () => {
  const a = idWith('abc');
  const b = newId();
  // A record named like the other's id prefix wins over the prefix, as in Docker.
  await store.create({ id: a, name: 'first', image: 'x', restarts: 0 });
  await store.create({ id: b, name: 'abc', image: 'x', restarts: 0 });
  assert.is((await store.get('abc')).id, b);
  assert.is((await store.get('ab')).id, a);
  // A name that is someone's full id does not hide the record with that id.
  const c = newId();
  await store.create({ id: c, name: a, image: 'x', restarts: 0 });
  assert.is((await store.get(a)).id, a);
});

test('missing: get fails with Docker wording and exit 1, find returns undefined', async () => {
  const err = await failure(store.get('nope'));
  assert.is(err.message, 'No such container: nope');
  assert.is(err.exitCode, ExitCode.failure);
  assert.is(await store.find('nope'), undefined);
  assert.is(await store.find(''), undefined);
  assert.is(await store.find(newId()), undefined);
  const images = openRecords(recordsDir(data, 'image'), 'image');
  assert.is((await failure(images.get('sha256:abc'))).message, 'No such image: sha256:abc');
  const networks = openRecords(recordsDir(data, 'network'), 'network');
  assert.is((await failure(networks.get('front'))).message, 'network front not found');
});

test('ambiguous prefix is an error that names the matches and the way out', async () => {
  const a = idWith('ab1');
  const b = idWith('ab2');
  await store.create({ id: a, image: 'x', restarts: 0 });
  await store.create({ id: b, image: 'x', restarts: 0 });
  const err = await failure(store.get('ab'));
  assert.match(err.message, /^multiple IDs found with provided prefix: ab /);
  assert.match(err.message, a.slice(0, 12));
  assert.match(err.message, b.slice(0, 12));
  assert.match(err.message, 'container name');
  assert.is(err.exitCode, ExitCode.failure);
  await failure(store.find('ab'));
  assert.is((await store.get('ab1')).id, a);
});

test('names are unique: Docker conflict message, exit 125 on create', async () => {
  const first = newId();
  await store.create({ id: first, name: 'web', image: 'x', restarts: 0 });
  const err = await failure(store.create({ id: newId(), name: '/web', image: 'x', restarts: 0 }));
  assert.instance(err, RecordConflictError);
  assert.is(
    err.message,
    `Conflict. The container name "/web" is already in use by container "${first}". You have to remove (or rename) that container to be able to reuse that name.`,
  );
  assert.is(err.exitCode, ExitCode.engine);
  assert.is((err as RecordConflictError).holderId, first);
  assert.is((await store.list()).length, 1);
  // Records without names do not conflict with each other.
  await store.create({ id: newId(), image: 'x', restarts: 0 });
  await store.create({ id: newId(), image: 'x', restarts: 0 });
  assert.is((await store.list()).length, 3);
});

test('a removed record frees its name', async () => {
  await store.create({ id: newId(), name: 'web', image: 'x', restarts: 0 });
  await store.remove('web');
  await store.create({ id: newId(), name: 'web', image: 'y', restarts: 0 });
  assert.is((await store.get('web')).image, 'y');
});

test('update: read-modify-write, returning or mutating; unchanged records are not rewritten', async () => {
  const id = newId();
  await store.create({ id, name: 'web', image: 'x', restarts: 0 });
  assert.is((await store.update('web', (c) => ({ ...c, restarts: c.restarts + 1 }))).restarts, 1);
  assert.is((await store.update(id.slice(0, 5), (c) => { c.restarts += 1; })).restarts, 2);
  assert.is((await store.get(id)).restarts, 2);
  const path = join(store.dir, `${id}.json`);
  const past = new Date(Date.now() - 60_000);
  utimesSync(path, past, past);
  const before = statSync(path).mtimeMs;
  await store.update(id, () => undefined);
  assert.is(statSync(path).mtimeMs, before);
});

test('update refuses to change id or name, and a throwing change writes nothing', async () => {
  const id = newId();
  await store.create({ id, name: 'web', image: 'x', restarts: 0 });
  for (const change of [(c: Container) => ({ ...c, name: 'other' }), (c: Container) => ({ ...c, id: newId() })]) {
    try {
      await store.update(id, change);
      assert.unreachable('should have thrown');
    } catch (err) {
      assert.match((err as Error).message, 'use rename');
    }
  }
  try {
    await store.update(id, (c) => { c.restarts = 99; throw new Error('refused'); });
  } catch (err) {
    assert.is((err as Error).message, 'refused');
  }
  assert.equal(await store.get(id), { id, name: 'web', image: 'x', restarts: 0 });
  assert.is((await failure(store.update('gone', (c) => c))).message, 'No such container: gone');
});

test('rename: new name works, old one is free, conflicts and same-name are refused', async () => {
  const a = newId();
  const b = newId();
  await store.create({ id: a, name: 'web', image: 'x', restarts: 3 });
  await store.create({ id: b, name: 'db', image: 'x', restarts: 0 });
  const renamed = await store.rename('web', '/front');
  assert.equal(renamed, { id: a, name: 'front', image: 'x', restarts: 3 });
  assert.is((await store.get('front')).id, a);
  assert.is(await store.find('web'), undefined);
  const conflict = await failure(store.rename('front', 'db'));
  assert.instance(conflict, RecordConflictError);
  assert.match(conflict.message, `Conflict. The container name "/db" is already in use by container "${b}"`);
  assert.is(conflict.exitCode, ExitCode.failure);
  const same = await failure(store.rename('db', 'db'));
  assert.is(same.message, 'Renaming a container with the same name as its current name');
  assert.is((await failure(store.rename('nope', 'x'))).message, 'No such container: nope');
  await store.create({ id: newId(), name: 'web', image: 'x', restarts: 0 });
});

test('remove: returns the record, honours the guard, then it is gone', async () => {
  const id = newId();
  await store.create({ id, name: 'web', image: 'x', restarts: 0 });
  const refused = await failure(store.remove('web', () => {
    throw new SkiffError('You cannot remove a running container', ExitCode.failure);
  }));
  assert.is(refused.message, 'You cannot remove a running container');
  assert.ok(await store.find(id));
  assert.is((await store.remove(id.slice(0, 12))).id, id);
  assert.is(await store.find(id), undefined);
  assert.is((await failure(store.remove(id))).message, `No such container: ${id}`);
  assert.equal(readdirSync(store.dir), ['.by-name']); // The record's lock directory is gone too,
  assert.equal(readdirSync(join(store.dir, '.by-name')), ['.complete']); // and its name entry.
});

test('name index: a store without one gets it on the first create; stale entries are free names', async () => {
  // Records written before the index existed (an older skiff): found by scanning, then indexed.
  const dir = store.dir;
  const old = newId();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${old}.json`), JSON.stringify({ id: old, name: 'legacy', image: 'x', restarts: 0 }));
  assert.is((await store.get('legacy')).id, old);
  assert.is((await failure(store.create({ id: newId(), name: 'legacy', image: 'x', restarts: 0 }))).exitCode, ExitCode.engine);
  assert.is(readFileSync(join(dir, '.by-name', 'n=legacy'), 'utf8'), `${old}\n`);
  // An entry whose record is gone (a crash between entry and record) does not hold the name.
  const ghost = newId();
  writeFileSync(join(dir, '.by-name', 'n=ghost'), `${ghost}\n`);
  assert.is(await store.find('ghost'), undefined);
  const real = newId();
  await store.create({ id: real, name: 'ghost', image: 'x', restarts: 0 });
  assert.is((await store.get('ghost')).id, real);
  // Rename moves the entry: the old name is free, the new one taken.
  await store.rename('ghost', 'spirit');
  assert.is(await store.find('ghost'), undefined);
  assert.is((await store.get('spirit')).id, real);
  assert.equal(readdirSync(join(dir, '.by-name')).sort(), ['.complete', 'n=legacy', 'n=spirit']);
  await store.create({ id: newId(), name: 'ghost', image: 'x', restarts: 0 });
  // Names that do not fit a file name are indexed by hash.
  const long = 'x'.repeat(300);
  const longId = newId();
  await store.create({ id: longId, name: long, image: 'x', restarts: 0 });
  assert.is((await store.get(long)).id, longId);
});

test('list skips temp files and lock directories; create sweeps old temp files', async () => {
  assert.equal(await store.list(), []); // Before the directory exists.
  const ids = [newId(), newId(), newId()];
  for (const id of ids) await store.create({ id, image: 'x', restarts: 0 });
  const stale = tempPathFor(join(store.dir, `${ids[0]}.json`));
  writeFileSync(stale, '{"half": ');
  assert.equal((await store.list()).map((c) => c.id).sort(), [...ids].sort());
  const past = new Date(Date.now() - 2 * 3600_000);
  utimesSync(stale, past, past);
  await store.create({ id: newId(), image: 'x', restarts: 0 });
  assert.not.ok(readdirSync(store.dir).some((name) => name.endsWith('.tmp')));
});

test('list of 500 records is fast', async () => {
  const dir = store.dir;
  await store.create({ id: newId(), image: 'x', restarts: 0 });
  for (let i = 0; i < 499; i++) {
    const id = newId();
    writeFileSync(join(dir, `${id}.json`), JSON.stringify({ id, name: `c${i}`, image: 'busybox', restarts: 0, labels: { a: 'b'.repeat(500) } }));
  }
  const started = process.hrtime.bigint();
  const all = await store.list();
  const listMs = Number(process.hrtime.bigint() - started) / 1e6;
  const byName = process.hrtime.bigint();
  assert.is((await store.get('c498')).name, 'c498');
  const nameMs = Number(process.hrtime.bigint() - byName) / 1e6;
  assert.is(all.length, 500);
  console.log(`    list 500: ${listMs.toFixed(1)} ms, get by name among 500: ${nameMs.toFixed(1)} ms`);
  assert.ok(listMs < 1000, `list took ${listMs} ms`);
});

test.run();
