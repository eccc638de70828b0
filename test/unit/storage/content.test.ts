// The content store: verified writes, nothing half-written visible, tee while ingesting, concurrent writers, gc-safe delete.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gzipSync } from 'node:zlib';
import { SkiffError } from '../../../src/errors';
import { type ContentStore, contentStoreDir, createVerifier, digestHex, openContentStore, sha256Of } from '../../../src/storage/content';

const storage = resolve(__dirname, '../../../src/storage');
let data = '';
let store: ContentStore;
test.before.each(() => {
  data = mkdtempSync(join(tmpdir(), 'skiff-content-'));
  store = openContentStore(contentStoreDir(data));
});
test.after.each(() => { rmSync(data, { recursive: true, force: true }); });

const blobsDir = () => join(contentStoreDir(data), 'blobs', 'sha256');
const entries = () => (existsSync(blobsDir()) ? readdirSync(blobsDir()) : []);

async function failure(promise: Promise<unknown>): Promise<SkiffError> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, SkiffError);
    return err as SkiffError;
  }
  throw new Error('expected a SkiffError');
}

/** A Readable that yields `data` in small chunks, so writes really stream. */
function chunked(data: Buffer, size = 64 * 1024): Readable {
  let offset = 0;
  return new Readable({
    read() {
      this.push(offset < data.length ? data.subarray(offset, (offset += size)) : null);
    },
  });
}

test('a buffer is stored under blobs/sha256/<hex>, read-only, and read back', async () => {
  const bytes = Buffer.from('{"schemaVersion":2}');
  const digest = sha256Of(bytes);
  await store.write(digest, bytes, bytes.length);
  assert.is(store.path(digest), join(blobsDir(), digestHex(digest)));
  assert.ok(await store.has(digest));
  assert.equal(await store.info(digest), { digest, size: bytes.length });
  assert.equal(await store.readBuffer(digest), bytes);
  assert.is(statSync(store.path(digest)).mode & 0o777, 0o444);
  assert.equal(entries(), [digestHex(digest)]);
  assert.equal(await store.list(), [{ digest, size: bytes.length }]);
  // Writing it again is a no-op that succeeds.
  await store.write(digest, bytes);
  assert.equal(entries(), [digestHex(digest)]);
});

test('a stream with the wrong digest stores nothing, leaves no temp file, and names both digests', async () => {
  const bytes = randomBytes(300_000);
  const wrong = sha256Of('something else');
  const err = await failure(store.write(wrong, chunked(bytes)));
  assert.match(err.message, wrong);
  assert.match(err.message, sha256Of(bytes));
  assert.not.ok(await store.has(wrong));
  assert.equal(entries(), []);
});

test('a buffer with the wrong digest stores nothing', async () => {
  const err = await failure(store.write(sha256Of('a'), Buffer.from('b')));
  assert.match(err.message, sha256Of('b'));
  assert.equal(entries(), []);
});

test('a wrong size stores nothing: too long fails early, too short fails at the end', async () => {
  const bytes = randomBytes(200_000);
  const digest = sha256Of(bytes);
  const long = await failure(store.write(digest, chunked(bytes), 1000));
  assert.match(long.message, 'larger than the expected 1000 bytes');
  const short = await failure(store.write(digest, chunked(bytes.subarray(0, 100_000)), bytes.length));
  assert.match(short.message, `is 100000 bytes, expected ${bytes.length}`);
  assert.equal(entries(), []);
});

test('a source that fails midway stores nothing and leaves no temp file', async () => {
  let sent = 0;
  const source = new Readable({
    read() {
      if (sent++ < 3) this.push(randomBytes(64 * 1024));
      else this.destroy(new Error('connection reset'));
    },
  });
  try {
    await store.write(sha256Of('x'), source);
    assert.unreachable('should have failed');
  } catch (err) {
    assert.match((err as Error).message, 'connection reset');
  }
  assert.equal(entries(), []);
});

test('digests other than sha256 and malformed digests are clear errors', async () => {
  const other = await failure(store.write(`sha512:${'a'.repeat(128)}`, Buffer.from('x')));
  assert.match(other.message, 'unsupported digest algorithm "sha512"');
  const bad = await failure(store.has('sha256:XYZ'));
  assert.match(bad.message, 'invalid digest "sha256:XYZ"');
  assert.throws(() => store.path('../../etc/passwd'), /invalid digest/);
});

test('ingest: one pass stores the compressed blob and feeds the decompressor', async () => {
  const tar = randomBytes(500_000);
  const gz = gzipSync(tar);
  const digest = sha256Of(gz);
  const { stream, done } = store.ingest(digest, gz.length);
  const unpacked: Buffer[] = [];
  const sink = new Writable({ write(chunk, _encoding, callback) { unpacked.push(chunk); callback(); } });
  await pipeline(chunked(gz), stream, createGunzip(), createVerifier(sha256Of(tar), { what: 'layer diff' }), sink);
  await done;
  assert.equal(Buffer.concat(unpacked), tar);
  assert.equal(readFileSync(store.path(digest)), gz);
  assert.equal(entries(), [digestHex(digest)]);
});

test('ingest of a stored blob passes the bytes through, verifies them, and writes nothing', async () => {
  const gz = gzipSync(randomBytes(10_000));
  const digest = sha256Of(gz);
  await store.write(digest, gz);
  const before = statSync(store.path(digest)).ino;
  const { stream, done } = store.ingest(digest);
  const out: Buffer[] = [];
  await pipeline(chunked(gz, 1000), stream, new Writable({ write(chunk, _e, callback) { out.push(chunk); callback(); } }));
  await done;
  assert.equal(Buffer.concat(out), gz);
  assert.is(statSync(store.path(digest)).ino, before);

  // Bad bytes for a stored digest still fail: the reader must not unpack them.
  const bad = store.ingest(digest);
  await failure(pipeline(chunked(randomBytes(100)), bad.stream, new Writable({ write: (_c, _e, callback) => callback() })));
  await failure(bad.done);
  assert.equal(readFileSync(store.path(digest)), gz);
});

test('a destroyed ingest rejects done and leaves no temp file', async () => {
  const { stream, done } = store.ingest(sha256Of('whatever'));
  stream.write(randomBytes(1000));
  await new Promise((r) => setTimeout(r, 20));
  stream.destroy();
  await failure(done);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(entries(), []);
});

test('the verifier rejects a wrong diffID', async () => {
  const bytes = randomBytes(1000);
  try {
    await pipeline(chunked(bytes), createVerifier(sha256Of('x'), { what: 'layer diff' }), new Writable({ write: (_c, _e, cb) => cb() }));
    assert.unreachable('should have failed');
  } catch (err) {
    assert.match((err as Error).message, `layer diff verification failed: expected digest ${sha256Of('x')}, got ${sha256Of(bytes)}`);
  }
});

test('delete, and a delete that spares a blob claimed since a given time', async () => {
  const a = Buffer.from('a');
  const b = Buffer.from('b');
  await store.write(sha256Of(a), a);
  await store.write(sha256Of(b), b);
  const old = new Date(Date.now() - 60_000);
  utimesSync(store.path(sha256Of(a)), old, old);
  utimesSync(store.path(sha256Of(b)), old, old);
  const since = Date.now() - 1000;
  assert.ok(await store.claim(sha256Of(b)));
  assert.ok(await store.delete(sha256Of(a), { unlessUsedSince: since }));
  assert.not.ok(await store.delete(sha256Of(b), { unlessUsedSince: since }));
  assert.not.ok(await store.has(sha256Of(a)));
  assert.ok(await store.has(sha256Of(b)));
  assert.ok(await store.delete(sha256Of(b)));
  assert.not.ok(await store.delete(sha256Of(b)));
  assert.not.ok(await store.claim(sha256Of(b)));
  assert.equal(entries(), []);
});

test('sweep removes old temp files only', async () => {
  await store.write(sha256Of('x'), Buffer.from('x'));
  const stale = join(blobsDir(), `.${'a'.repeat(64)}.0123456789ab.tmp`);
  const fresh = join(blobsDir(), `.${'b'.repeat(64)}.0123456789ab.tmp`);
  writeFileSync(stale, 'partial');
  writeFileSync(fresh, 'partial');
  const old = new Date(Date.now() - 2 * 3600_000);
  utimesSync(stale, old, old);
  assert.is(await store.sweep(3600_000), 1);
  assert.equal(entries().sort(), [`.${'b'.repeat(64)}.0123456789ab.tmp`, digestHex(sha256Of('x'))].sort());
});

// Several processes writing the same blob at once, each from a stream: all succeed, one file results.
test('concurrent writers of one blob in several processes all succeed and leave one file', async () => {
  const bytes = randomBytes(8 * 1024 * 1024);
  const source = join(data, 'source');
  writeFileSync(source, bytes);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const script = join(data, 'writer.js');
  writeFileSync(script, `
const { openContentStore } = require(${JSON.stringify(join(storage, 'content.js'))});
const { createReadStream } = require('node:fs');
const [root, digest, source, size] = process.argv.slice(2);
process.stdin.once('data', () => {
  openContentStore(root).write(digest, createReadStream(source, { highWaterMark: 64 * 1024 }), Number(size))
    .then(() => { process.stdout.write('stored\\n'); process.exit(0); },
          (err) => { process.stderr.write(String(err && err.stack) + '\\n'); process.exit(3); });
});
process.stdout.write('ready\\n');
`);
  const children: ChildProcess[] = [];
  const exits: Promise<{ code: number | null; out: string }>[] = [];
  const ready: Promise<void>[] = [];
  for (let i = 0; i < 4; i++) {
    const child = spawn(process.execPath, [script, contentStoreDir(data), digest, source, String(bytes.length)], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    ready.push(new Promise((done) => child.stdout!.on('data', (chunk) => { out += chunk; if (out.startsWith('ready\n')) done(); })));
    exits.push(new Promise((done) => child.once('exit', (code) => done({ code, out }))));
  }
  await Promise.all(ready);
  for (const child of children) child.stdin!.end('go\n');
  const results = await Promise.all(exits);
  for (const result of results) {
    assert.is(result.code, 0);
    assert.match(result.out, 'stored');
  }
  assert.equal(entries(), [digestHex(digest)]);
  assert.ok(readFileSync(store.path(digest)).equals(bytes));
});

test.run();
