// The layer store: chain IDs, prepare/commit/abort, unpack-once across processes, removal through removeTree, sweeps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chainIds, type LayerStore, layerStoreDir, openLayerStore } from '../../../src/storage/layers';
import { withLock } from '../../../src/storage/lock';

const storage = resolve(__dirname, '../../../src/storage');
let data = '';
let store: LayerStore;
test.before.each(() => {
  data = mkdtempSync(join(tmpdir(), 'skiff-layers-'));
  store = openLayerStore(layerStoreDir(data));
});
test.after.each(() => { rmSync(data, { recursive: true, force: true }); });

const digest = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const rootEntries = () => readdirSync(layerStoreDir(data)).filter((name) => name !== 'locks').sort();

test('chain IDs: the first is the diffID, each next one hashes "parent diffID"', () => {
  const diffIds = [digest('layer 0'), digest('layer 1'), digest('layer 2')];
  const c1 = `sha256:${createHash('sha256').update(`${diffIds[0]} ${diffIds[1]}`).digest('hex')}`;
  const c2 = `sha256:${createHash('sha256').update(`${c1} ${diffIds[2]}`).digest('hex')}`;
  assert.equal(chainIds(diffIds), [diffIds[0], c1, c2]);
  assert.equal(chainIds([]), []);
  // Fixed values, computed outside node with sha256sum: printf 'sha256:<d0> sha256:<d1>' | sha256sum.
  assert.equal(
    chainIds([
      'sha256:fe441d6673b17f3bb674a3ef8331432bf90a1061ad3bd25e8c0d1354d183eb73', // printf 'layer zero' | sha256sum
      'sha256:f191e625176e7514249870c60bc24622131b04927a418001d1969c9cecd260f1', // printf 'layer one' | sha256sum
    ]),
    [
      'sha256:fe441d6673b17f3bb674a3ef8331432bf90a1061ad3bd25e8c0d1354d183eb73',
      'sha256:e86b76bd7457817dc7204071aa7117aa3984dd5fccfcd6a8c36eb304b89de693',
    ],
  );
  assert.throws(() => chainIds(['md5:abc']), /unsupported digest algorithm|invalid digest/);
});

test('prepare, unpack into tempDir, commit: the layer appears whole with its meta', async () => {
  const [chainId] = chainIds([digest('a')]);
  assert.not.ok(await store.has(chainId));
  const prepared = await store.prepare(chainId);
  assert.ok(prepared);
  writeFileSync(join(prepared!.tempDir, 'hello'), 'world');
  assert.not.ok(await store.has(chainId)); // Nothing half-unpacked is visible.
  await prepared!.commit({ diffId: digest('a'), size: 5 });
  assert.ok(await store.has(chainId));
  assert.is(readFileSync(join(store.dir(chainId), 'hello'), 'utf8'), 'world');
  const meta = await store.meta(chainId);
  assert.is(meta!.chainId, chainId);
  assert.is(meta!.diffId, digest('a'));
  assert.is(meta!.size, 5);
  assert.is(meta!.parent, undefined);
  assert.equal((await store.list()).map((layer) => layer.chainId), [chainId]);
  assert.equal(rootEntries(), [chainId.slice(7)]);
  // Prepared again: already there, nothing to do.
  assert.is(await store.prepare(chainId), undefined);
});

test('abort throws the unpacked content away and frees the chain for the next prepare', async () => {
  const [chainId] = chainIds([digest('b')]);
  const prepared = await store.prepare(chainId);
  writeFileSync(join(prepared!.tempDir, 'partial'), 'x');
  await prepared!.abort();
  assert.equal(rootEntries(), []);
  const again = await store.prepare(chainId);
  assert.ok(again);
  await again!.commit({ diffId: digest('b'), size: 0 });
  assert.ok(await store.has(chainId));
});

test('a second prepare of the same chain in this process waits for the first, then finds it present', async () => {
  const [chainId] = chainIds([digest('c')]);
  const first = await store.prepare(chainId);
  let secondDone = false;
  const second = store.prepare(chainId).then((result) => { secondDone = true; return result; });
  await new Promise((r) => setTimeout(r, 100));
  assert.not.ok(secondDone);
  await first!.commit({ diffId: digest('c'), size: 1 });
  assert.is(await second, undefined);
});

test('remove goes through removeTree, and spares a layer used since the given time', async () => {
  const removed: string[] = [];
  const layers = openLayerStore(layerStoreDir(data), {
    removeTree: async (dir) => { removed.push(dir); await rm(dir, { recursive: true, force: true }); },
  });
  const [a, b] = [chainIds([digest('x')])[0], chainIds([digest('y')])[0]];
  for (const chainId of [a, b]) {
    const prepared = await layers.prepare(chainId);
    mkdirSync(join(prepared!.tempDir, 'etc'));
    await prepared!.commit({ diffId: chainId, size: 10 });
  }
  const old = new Date(Date.now() - 60_000);
  utimesSync(join(layerStoreDir(data), a.slice(7)), old, old);
  utimesSync(join(layerStoreDir(data), b.slice(7)), old, old);
  const since = Date.now() - 1000;
  assert.is(await layers.prepare(b), undefined); // Marks b used now.
  const meta = await layers.remove(a, { unlessUsedSince: since });
  assert.is(meta!.size, 10);
  assert.is(await layers.remove(b, { unlessUsedSince: since }), undefined);
  assert.not.ok(await layers.has(a));
  assert.ok(await layers.has(b));
  assert.is(removed.length, 1);
  assert.match(removed[0], `.${a.slice(7)}.removed.`);
  assert.is(await layers.remove(a), undefined);
  assert.ok(await layers.remove(b));
  assert.equal(rootEntries(), []);
});

test('sweep removes abandoned unpacks and removals, but not an unpack in progress', async () => {
  const root = layerStoreDir(data);
  const [busy] = chainIds([digest('busy')]);
  const [dead] = chainIds([digest('dead')]);
  const inProgress = await store.prepare(busy);
  const abandoned = join(root, `.${dead.slice(7)}.0123456789ab.tmp`);
  mkdirSync(join(abandoned, 'diff'), { recursive: true });
  const removal = join(root, `.${dead.slice(7)}.removed.0123456789ab.tmp`);
  mkdirSync(join(removal, 'diff'), { recursive: true });
  assert.is(await store.sweep(3600_000), 2);
  assert.not.ok(existsSync(abandoned));
  assert.not.ok(existsSync(removal));
  assert.ok(existsSync(inProgress!.tempDir));
  await inProgress!.commit({ diffId: busy, size: 0 });
  assert.equal(rootEntries(), [busy.slice(7)]);
});

test('a layer whose unpacker was killed is taken over and unpacked again', async () => {
  const [chainId] = chainIds([digest('killed')]);
  const script = `const { openLayerStore } = require(${JSON.stringify(join(storage, 'layers.js'))});
openLayerStore(${JSON.stringify(layerStoreDir(data))}).prepare(${JSON.stringify(chainId)}).then((p) => {
  require('node:fs').writeFileSync(p.tempDir + '/partial', 'x');
  process.stdout.write('prepared\\n');
  setInterval(() => {}, 1000);
});`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((done) => child.stdout!.once('data', () => done()));
  child.kill('SIGKILL');
  await new Promise((done) => child.once('exit', done));
  const prepared = await store.prepare(chainId);
  assert.ok(prepared);
  await prepared!.commit({ diffId: chainId, size: 0 });
  assert.is(await store.sweep(0), 1); // The killed process's temp dir.
  assert.equal(rootEntries(), [chainId.slice(7)]);
});

test('processes racing to unpack the same layers unpack each exactly once, and all succeed', async () => {
  const chain = chainIds([digest('base'), digest('middle'), digest('top')]);
  const script = join(data, 'unpack.js');
  writeFileSync(script, `
const { openLayerStore } = require(${JSON.stringify(join(storage, 'layers.js'))});
const { writeFileSync } = require('node:fs');
const [root, ...chain] = process.argv.slice(2);
const store = openLayerStore(root);
async function main() {
  // Each layer on its own, in parallel, as a pull does.
  await Promise.all(chain.map(async (chainId, i) => {
    const prepared = await store.prepare(chainId);
    if (!prepared) return process.stdout.write('present ' + i + '\\n');
    writeFileSync(prepared.tempDir + '/file', 'pid ' + process.pid);
    await new Promise((r) => setTimeout(r, 150)); // A slow unpack, so that the others must wait.
    await prepared.commit({ diffId: chainId, parent: chain[i - 1], size: 4 });
    process.stdout.write('unpacked ' + i + '\\n');
  }));
}
process.stdin.once('data', () => main().then(() => process.exit(0), (err) => {
  process.stderr.write(String(err && err.stack) + '\\n');
  process.exit(3);
}));
process.stdout.write('ready\\n');
`);
  const children: ChildProcess[] = [];
  const exits: Promise<{ code: number | null; lines: string[] }>[] = [];
  const ready: Promise<void>[] = [];
  for (let i = 0; i < 3; i++) {
    const child = spawn(process.execPath, [script, layerStoreDir(data), ...chain], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    ready.push(new Promise((done) => child.stdout!.on('data', (chunk) => { out += chunk; if (out.startsWith('ready\n')) done(); })));
    exits.push(new Promise((done) => child.once('exit', (code) => done({ code, lines: out.split('\n').slice(1, -1) }))));
  }
  await Promise.all(ready);
  for (const child of children) child.stdin!.end('go\n');
  const results = await Promise.all(exits);
  const lines = results.flatMap((result) => result.lines);
  for (const result of results) assert.is(result.code, 0);
  for (let i = 0; i < chain.length; i++) {
    assert.is(lines.filter((line) => line === `unpacked ${i}`).length, 1, `layer ${i} unpacked once`);
    assert.is(lines.filter((line) => line === `present ${i}`).length, 2);
    assert.match(readFileSync(join(store.dir(chain[i]), 'file'), 'utf8'), /^pid \d+$/);
  }
  assert.is((await store.meta(chain[2]))!.parent, chain[1]);
  assert.equal(rootEntries(), chain.map((chainId) => chainId.slice(7)).sort());
});

test('the chain lock is the one lock.ts lock under locks/', async () => {
  const [chainId] = chainIds([digest('lock')]);
  // Holding the lock the store uses makes prepare wait: proof that the store and lock.ts agree on it.
  let prepared = false;
  let pending: Promise<void> | undefined;
  await withLock(join(layerStoreDir(data), 'locks', chainId.slice(7)), async () => {
    pending = store.prepare(chainId).then(async (p) => { prepared = true; await p!.abort(); });
    await new Promise((r) => setTimeout(r, 80));
    assert.not.ok(prepared);
  });
  await pending;
  assert.ok(prepared);
});

test.run();
