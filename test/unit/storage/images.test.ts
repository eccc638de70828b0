// The image store: put and merge, Docker's lookup order, tag moves that leave dangling images, untag, remove.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseReference } from '../../../src/image/reference';
import { ExitCode, SkiffError } from '../../../src/errors';
import { sha256Of } from '../../../src/storage/content';
import { newId } from '../../../src/storage/ids';
import { type ImageRecord, type ImageStore, imageStoreDir, type NormalisedReference, openImageStore, splitFullReference } from '../../../src/storage/images';
import { chainIds } from '../../../src/storage/layers';

const storage = resolve(__dirname, '../../../src/storage');

/** What the CLI will pass: the real reference parser, reduced to what the store needs. */
function normalise(text: string): NormalisedReference {
  const ref = parseReference(text);
  return { name: `${ref.domain}/${ref.path}`, tag: ref.tag, digest: ref.digest };
}

let data = '';
let store: ImageStore;
test.before.each(() => {
  data = mkdtempSync(join(tmpdir(), 'skiff-images-'));
  store = openImageStore(imageStoreDir(data), { normalise });
});
test.after.each(() => { rmSync(data, { recursive: true, force: true }); });

async function failure(promise: Promise<unknown>): Promise<SkiffError> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, SkiffError);
    return err as SkiffError;
  }
  throw new Error('expected a SkiffError');
}

/** An image whose id starts with `prefix` (when given), with `layers` fake layers. */
function image(options: { prefix?: string; tags?: string[]; digests?: string[]; layers?: string[] } = {}): ImageRecord {
  const hex = (options.prefix ?? '') + newId().slice((options.prefix ?? '').length);
  const diffIds = (options.layers ?? ['base']).map((text) => sha256Of(text));
  const chain = chainIds(diffIds);
  return {
    id: `sha256:${hex}`,
    repoTags: options.tags ?? [],
    repoDigests: options.digests ?? [],
    manifestDigest: sha256Of(`manifest ${hex}`),
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    configDigest: `sha256:${hex}`,
    layers: diffIds.map((diffId, i) => ({
      digest: sha256Of(`blob ${diffId}`),
      diffId,
      chainId: chain[i],
      size: 100,
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    })),
    platform: { os: 'linux', architecture: 'amd64' },
    created: '2024-01-01T00:00:00Z',
    size: 1000,
    pulledAt: new Date().toISOString(),
  };
}

test('put stores the record and its names; get returns it with sorted names', async () => {
  const busybox = image({
    tags: ['docker.io/library/busybox:latest', 'docker.io/library/busybox:1.36'],
    digests: [`docker.io/library/busybox@${sha256Of('manifest')}`],
  });
  const stored = await store.put(busybox);
  assert.equal(stored.repoTags, ['docker.io/library/busybox:1.36', 'docker.io/library/busybox:latest']);
  const got = await store.get(busybox.id);
  assert.equal(got, { ...busybox, repoTags: stored.repoTags });
  assert.equal(await store.get(busybox.id.slice(7)), got);
  assert.is(await store.get(`sha256:${'0'.repeat(64)}`), undefined);
  // On disk: one record without names, and the index holding them.
  const dir = imageStoreDir(data);
  assert.equal(readdirSync(dir).sort(), [`${busybox.id.slice(7)}.json`, 'repositories.json']);
  const record = JSON.parse(readFileSync(join(dir, `${busybox.id.slice(7)}.json`), 'utf8'));
  assert.is(record.repoTags, undefined);
  assert.is(record.id, busybox.id.slice(7));
  assert.equal(JSON.parse(readFileSync(join(dir, 'repositories.json'), 'utf8')).refs, {
    'docker.io/library/busybox:1.36': busybox.id,
    'docker.io/library/busybox:latest': busybox.id,
    [`docker.io/library/busybox@${sha256Of('manifest')}`]: busybox.id,
  });
});

test('resolve: full id, sha256 prefix, short prefix, tag, bare name as :latest, digest', async () => {
  const digest = sha256Of('alpine manifest');
  const alpine = image({ prefix: 'abcd', tags: ['docker.io/library/alpine:3.19', 'docker.io/library/alpine:latest'], digests: [`docker.io/library/alpine@${digest}`] });
  const other = image({ prefix: 'ef', tags: ['localhost:5000/team/app:v1'] });
  await store.put(alpine);
  await store.put(other);
  for (const ref of [alpine.id, alpine.id.slice(7), 'sha256:abcd', 'abcd', 'abc', 'a', 'alpine', 'alpine:3.19', 'docker.io/library/alpine:latest', 'library/alpine', `alpine@${digest}`, `alpine:3.19@${digest}`]) {
    assert.is((await store.resolve(ref)).id, alpine.id, ref);
  }
  assert.is((await store.resolve('localhost:5000/team/app:v1')).id, other.id);
  assert.is((await store.resolve('ef')).id, other.id);
  for (const ref of ['alpine:3.18', 'busybox', `alpine@${sha256Of('nope')}`, `sha256:${'f'.repeat(64)}`, 'f'.repeat(64), 'localhost:5000/team/app', 'zz']) {
    const err = await failure(store.resolve(ref));
    assert.is(err.message, `No such image: ${ref}`);
    assert.is(err.exitCode, ExitCode.failure);
    assert.is(await store.find(ref), undefined);
  }
});

test('a name wins over an id prefix that looks the same, as in Docker', async () => {
  const byId = image({ prefix: 'beef' });
  const byName = image({ prefix: '00', tags: ['docker.io/library/beef:latest'] });
  await store.put(byId);
  await store.put(byName);
  assert.is((await store.resolve('beef')).id, byName.id);
  assert.is((await store.resolve('sha256:beef')).id, byId.id);
});

test('an ambiguous id prefix is an error that says so', async () => {
  await store.put(image({ prefix: 'aa1' }));
  await store.put(image({ prefix: 'aa2' }));
  const err = await failure(store.resolve('aa'));
  assert.match(err.message, 'multiple IDs found with provided prefix: aa');
  assert.ok(await store.resolve('aa1'));
});

test('tag moves the tag from its old image, which is left dangling but kept', async () => {
  const old = image({ tags: ['docker.io/library/app:latest'] });
  const fresh = image({ tags: ['docker.io/library/app:2'] });
  await store.put(old);
  await store.put(fresh);
  assert.is(await store.tag(fresh.id, 'docker.io/library/app:latest'), old.id);
  assert.equal((await store.resolve('app')).id, fresh.id);
  const left = await store.get(old.id);
  assert.equal(left!.repoTags, []);
  assert.equal(left!.repoDigests, []);
  assert.is((await store.list()).length, 2);
  assert.equal((await store.get(fresh.id))!.repoTags, ['docker.io/library/app:2', 'docker.io/library/app:latest']);
  // Tagging again with the same tag changes nothing; a tag with no tag part means :latest.
  assert.is(await store.tag(fresh.id, 'docker.io/library/app:latest'), undefined);
  await store.tag(old.id, 'docker.io/library/app');
  assert.is((await store.resolve('app:latest')).id, old.id);
  assert.match((await failure(store.tag(old.id, `docker.io/library/app@${sha256Of('m')}`))).message, 'refusing to create a tag with a digest reference');
  assert.match((await failure(store.tag(`sha256:${'1'.repeat(64)}`, 'docker.io/library/x:y'))).message, 'No such image');
});

test('put of a stored image merges names and moves tags from other images', async () => {
  const first = image({ tags: ['docker.io/library/a:1'] });
  const second = image({ tags: ['docker.io/library/b:1'] });
  await store.put(first);
  await store.put(second);
  const merged = await store.put({ ...first, repoTags: ['docker.io/library/b:1'], repoDigests: [`docker.io/library/a@${sha256Of('m')}`], pulledAt: 'later' });
  assert.equal(merged.repoTags, ['docker.io/library/a:1', 'docker.io/library/b:1']);
  assert.equal(merged.repoDigests, [`docker.io/library/a@${sha256Of('m')}`]);
  assert.is(merged.pulledAt, 'later');
  assert.equal((await store.get(second.id))!.repoTags, []);
  assert.is((await store.list()).length, 2);
});

test('untag removes one name; remove drops the record and all its names', async () => {
  const digest = sha256Of('m');
  const app = image({ tags: ['docker.io/library/app:1', 'docker.io/library/app:2'], digests: [`docker.io/library/app@${digest}`] });
  await store.put(app);
  assert.is(await store.untag('docker.io/library/app:1'), app.id);
  assert.equal((await store.get(app.id))!.repoTags, ['docker.io/library/app:2']);
  assert.match((await failure(store.untag('docker.io/library/app:1'))).message, 'No such image: docker.io/library/app:1');
  assert.is(await store.untag(`docker.io/library/app@${digest}`), app.id);
  assert.equal((await store.get(app.id))!.repoDigests, []);
  const removed = await store.remove(app.id);
  assert.equal(removed.repoTags, ['docker.io/library/app:2']);
  assert.is(await store.get(app.id), undefined);
  assert.is(await store.find('app:2'), undefined);
  assert.equal(await store.list(), []);
  assert.equal(JSON.parse(readFileSync(join(imageStoreDir(data), 'repositories.json'), 'utf8')).refs, {});
  assert.match((await failure(store.remove(app.id))).message, 'No such image');
});

test('the default normalise accepts full names only', () => {
  assert.equal(splitFullReference('docker.io/library/busybox:latest'), { name: 'docker.io/library/busybox', tag: 'latest', digest: undefined });
  assert.equal(splitFullReference('localhost:5000/x/y'), { name: 'localhost:5000/x/y', tag: undefined, digest: undefined });
  assert.equal(splitFullReference(`localhost:5000/x@${sha256Of('m')}`), { name: 'localhost:5000/x', tag: undefined, digest: sha256Of('m') });
  assert.is(splitFullReference('busybox'), undefined);
});

test('processes moving one tag between images at once: the index always names exactly one holder', async () => {
  const images = [image(), image(), image(), image()];
  for (const each of images) await store.put(each);
  const script = join(data, 'tagger.js');
  writeFileSync(script, `
const { openImageStore } = require(${JSON.stringify(join(storage, 'images.js'))});
const [dir, id, count] = process.argv.slice(2);
const store = openImageStore(dir);
process.stdin.once('data', async () => {
  try {
    for (let i = 0; i < Number(count); i++) {
      await store.tag(id, 'docker.io/library/contested:latest');
      await store.tag(id, 'docker.io/library/own-' + id.slice(7, 15) + ':' + i);
    }
    process.exit(0);
  } catch (err) {
    process.stderr.write(String(err && err.stack) + '\\n');
    process.exit(3);
  }
});
process.stdout.write('ready\\n');
`);
  const children: ChildProcess[] = [];
  const exits: Promise<number | null>[] = [];
  const ready: Promise<void>[] = [];
  for (const each of images) {
    const child = spawn(process.execPath, [script, imageStoreDir(data), each.id, '10'], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    ready.push(new Promise((done) => child.stdout!.once('data', () => done())));
    exits.push(new Promise((done) => child.once('exit', done)));
  }
  await Promise.all(ready);
  for (const child of children) child.stdin!.end('go\n');
  for (const code of await Promise.all(exits)) assert.is(code, 0);
  const all = await store.list();
  const holders = all.filter((each) => each.repoTags.includes('docker.io/library/contested:latest'));
  assert.is(holders.length, 1);
  for (const each of all) assert.is(each.repoTags.filter((tag) => tag.includes('/own-')).length, 10, 'no tag write was lost');
});

test.run();
