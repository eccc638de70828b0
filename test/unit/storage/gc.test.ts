// Garbage collection: exactly the unreferenced layers and blobs go, shared ones stay, leases protect a pull in progress.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ContentStore, contentStoreDir, openContentStore, sha256Of } from '../../../src/storage/content';
import { collectGarbage, leasesDir, withLease } from '../../../src/storage/gc';
import { type ImageRecord, type ImageStore, imageStoreDir, openImageStore } from '../../../src/storage/images';
import { chainIds, type LayerStore, layerStoreDir, openLayerStore } from '../../../src/storage/layers';

const storage = resolve(__dirname, '../../../src/storage');
let data = '';
let images: ImageStore;
let layers: LayerStore;
let content: ContentStore;
test.before.each(() => {
  data = mkdtempSync(join(tmpdir(), 'skiff-gc-'));
  images = openImageStore(imageStoreDir(data));
  layers = openLayerStore(layerStoreDir(data));
  content = openContentStore(contentStoreDir(data));
});
test.after.each(() => { rmSync(data, { recursive: true, force: true }); });

const gc = () => collectGarbage({ images, layers, content, leases: leasesDir(data) });

/** Stores an image the way pull will: blobs, then layers (unpacked once per chain), then the record. */
async function pull(name: string, layerTexts: string[]): Promise<ImageRecord> {
  const diffIds = layerTexts.map((text) => sha256Of(`tar ${text}`));
  const chain = chainIds(diffIds);
  const layerRecords = [];
  for (let i = 0; i < layerTexts.length; i++) {
    const blob = Buffer.from(`gzip ${layerTexts[i]}`);
    await content.write(sha256Of(blob), blob);
    const prepared = await layers.prepare(chain[i]);
    if (prepared) {
      writeFileSync(join(prepared.tempDir, 'file'), layerTexts[i]);
      await prepared.commit({ diffId: diffIds[i], parent: chain[i - 1], size: 1000 });
    }
    layerRecords.push({ digest: sha256Of(blob), diffId: diffIds[i], chainId: chain[i], size: blob.length, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' });
  }
  const config = Buffer.from(JSON.stringify({ name, rootfs: { diff_ids: diffIds } }));
  const manifest = Buffer.from(JSON.stringify({ name, layers: layerRecords.map((l) => l.digest) }));
  await content.write(sha256Of(config), config);
  await content.write(sha256Of(manifest), manifest);
  return images.put({
    id: sha256Of(config),
    repoTags: [`docker.io/library/${name}:latest`],
    repoDigests: [`docker.io/library/${name}@${sha256Of(manifest)}`],
    manifestDigest: sha256Of(manifest),
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    configDigest: sha256Of(config),
    layers: layerRecords,
    platform: { os: 'linux', architecture: 'amd64' },
    size: 1000 * layerTexts.length,
    pulledAt: new Date().toISOString(),
  });
}

/** Makes everything look used a minute ago, as if pulled earlier. */
function ageEverything(): void {
  const old = new Date(Date.now() - 60_000);
  for (const dir of [join(contentStoreDir(data), 'blobs', 'sha256'), layerStoreDir(data)]) {
    for (const name of readdirSync(dir)) if (/^[0-9a-f]{64}$/.test(name)) utimesSync(join(dir, name), old, old);
  }
}

test('gc after rmi frees exactly the layers and blobs no image references; shared ones stay', async () => {
  const app = await pull('app', ['base', 'app']);
  const tool = await pull('tool', ['base', 'tool']);
  ageEverything();
  assert.equal(await gc(), { layers: 0, blobs: 0, temps: 0, bytes: 0, warnings: [] });

  await images.remove(app.id);
  const freed = await gc();
  assert.is(freed.layers, 1); // app's top layer; the base is tool's too.
  assert.is(freed.blobs, 3); // app's layer blob, config and manifest.
  assert.is(freed.bytes, 1000 + app.layers[1].size + (await sizeOfGone(app)));
  assert.equal(freed.warnings, []);
  assert.equal((await layers.list()).map((l) => l.chainId).sort(), tool.layers.map((l) => l.chainId).sort());
  const expectedBlobs = [tool.manifestDigest, tool.configDigest, ...tool.layers.map((l) => l.digest)].sort();
  assert.equal((await content.list()).map((b) => b.digest).sort(), expectedBlobs);

  await images.remove(tool.id);
  const rest = await gc();
  assert.is(rest.layers, 2);
  assert.is(rest.blobs, 4);
  assert.equal(await layers.list(), []);
  assert.equal(await content.list(), []);
});

// The config and manifest sizes, which the test does not keep: recomputed from what pull wrote.
async function sizeOfGone(image: ImageRecord): Promise<number> {
  const config = Buffer.from(JSON.stringify({ name: 'app', rootfs: { diff_ids: image.layers.map((l) => l.diffId) } }));
  const manifest = Buffer.from(JSON.stringify({ name: 'app', layers: image.layers.map((l) => l.digest) }));
  return config.length + manifest.length;
}

test('a dangling image (no names) still holds its layers', async () => {
  const old = await pull('app', ['base']);
  await images.untag('docker.io/library/app:latest');
  await images.untag(old.repoDigests[0]);
  ageEverything();
  const freed = await gc();
  assert.is(freed.layers + freed.blobs, 0);
});

test('a pull in progress under a lease keeps the unreferenced layer and blob it reuses; afterwards gc frees them', async () => {
  const app = await pull('app', ['base']);
  await images.remove(app.id);
  ageEverything();
  const blob = app.layers[0].digest;
  const chainId = app.layers[0].chainId;
  await withLease(leasesDir(data), async () => {
    // The pull finds both already stored and claims them; gc runs in between, as `rmi` in another terminal.
    assert.is(await layers.prepare(chainId), undefined);
    assert.ok(await content.claim(blob));
    const during = await gc();
    assert.is(during.layers, 0);
    assert.is(during.blobs, 2, 'the config and manifest, which this pull did not claim, go');
    assert.ok(await layers.has(chainId));
    assert.ok(await content.has(blob));
  });
  await new Promise((r) => setTimeout(r, 60)); // Past gc's clock slack for uses just before it starts.
  const after = await gc();
  assert.is(after.layers, 1);
  assert.is(after.blobs, 1);
});

test('a lease held by a killed process protects nothing and is cleaned away', async () => {
  const app = await pull('app', ['base']);
  await images.remove(app.id);
  ageEverything();
  const script = `require(${JSON.stringify(join(storage, 'gc.js'))}).withLease(${JSON.stringify(leasesDir(data))}, () => {
    process.stdout.write('leased\\n');
    return new Promise(() => setInterval(() => {}, 1000));
  });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((done) => child.stdout!.once('data', () => done()));
  assert.is(readdirSync(leasesDir(data)).length, 1);
  child.kill('SIGKILL');
  await new Promise((done) => child.once('exit', done));
  const freed = await gc();
  assert.is(freed.layers, 1);
  assert.is(freed.blobs, 3);
  assert.equal(readdirSync(leasesDir(data)), []);
});

test('items used after a live lease began are kept; the same items older than every lease are freed', async () => {
  const app = await pull('app', ['base']);
  await images.remove(app.id);
  const script = `require(${JSON.stringify(join(storage, 'gc.js'))}).withLease(${JSON.stringify(leasesDir(data))}, () => {
    process.stdout.write('leased\\n');
    return new Promise(() => setInterval(() => {}, 1000));
  });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((done) => child.stdout!.once('data', () => done()));
    // As if the leaseholder had claimed everything just after its lease began.
    const leaseStart = Number(readdirSync(leasesDir(data))[0].split('-')[0]);
    const justAfter = new Date(leaseStart + 5);
    for (const dir of [join(contentStoreDir(data), 'blobs', 'sha256'), layerStoreDir(data)]) {
      for (const name of readdirSync(dir)) if (/^[0-9a-f]{64}$/.test(name)) utimesSync(join(dir, name), justAfter, justAfter);
    }
    const kept = await gc();
    assert.is(kept.layers + kept.blobs, 0);
    ageEverything();
    const freed = await gc();
    assert.is(freed.layers, 1);
    assert.is(freed.blobs, 3);
  } finally {
    child.kill('SIGKILL');
    await new Promise((done) => child.once('exit', done));
  }
});

test('leftovers of killed pulls are swept: old blob temps and abandoned unpack dirs', async () => {
  const blobs = join(contentStoreDir(data), 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const staleBlob = join(blobs, `.${'a'.repeat(64)}.0123456789ab.tmp`);
  const freshBlob = join(blobs, `.${'b'.repeat(64)}.0123456789ab.tmp`);
  writeFileSync(staleBlob, 'partial');
  writeFileSync(freshBlob, 'partial');
  const old = new Date(Date.now() - 2 * 3600_000);
  utimesSync(staleBlob, old, old);
  const unpack = join(layerStoreDir(data), `.${'c'.repeat(64)}.0123456789ab.tmp`);
  mkdirSync(join(unpack, 'diff'), { recursive: true });
  const freed = await gc();
  assert.is(freed.temps, 2);
  assert.not.ok(existsSync(staleBlob));
  assert.ok(existsSync(freshBlob)); // A download may be writing it right now.
  assert.not.ok(existsSync(unpack));
});

test.run();
