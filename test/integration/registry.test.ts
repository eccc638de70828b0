// The registry client against the real local registries (127.0.0.1:5000 open, :5001 basic auth), and small local proxies in front of them for bearer tokens, flaky networks, corruption and TLS.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import {
  createRegistryClient,
  MediaType,
  RegistryError,
  selectPlatform,
  type Descriptor,
  type RegistryClient,
  type RegistryClientOptions,
} from '../../src/image/registry';
import { loadEnv } from '../lib/env';

const E = loadEnv();
const creds = { username: E.authUser, password: E.authPassword };
const fast = { attempts: 3, delaysMs: [20, 50] };

interface Manifest { mediaType?: string; config: Descriptor; layers: Descriptor[] }

function split(ref: string): { domain: string; repository: string; tag: string } {
  const slash = ref.indexOf('/');
  const colon = ref.lastIndexOf(':');
  return { domain: ref.slice(0, slash), repository: ref.slice(slash + 1, colon), tag: ref.slice(colon + 1) };
}

function client(domain: string, repository: string, extra: Partial<RegistryClientOptions> = {}): RegistryClient {
  return createRegistryClient({ domain, repository, schemes: ['http'], userAgent: 'skiff-integration-test', retry: fast, ...extra });
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function rejects(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, RegistryError, `expected a RegistryError, got ${String(err)}`);
    return err as RegistryError;
  }
  throw new Error('expected the call to fail');
}

const uniqueName = (what: string): string => `skiff-test/it-${what}-${randomBytes(4).toString('hex')}`;

// ---------------------------------------------------------------------------------------------
// Local servers in front of the open registry
// ---------------------------------------------------------------------------------------------

interface Local {
  server: Server;
  port: number;
  domain: string;
  close(): Promise<void>;
}

const opened: Local[] = [];

async function listen(server: Server): Promise<Local> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const local: Local = {
    server,
    port,
    domain: `127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
  opened.push(local);
  return local;
}

/** Forwards a request to the open registry, keeping the Host header so that its Location URLs point back at us. */
function forward(req: IncomingMessage, res: ServerResponse, transform?: (body: Buffer) => Buffer): void {
  const [host, port] = E.registry.split(':');
  const upstream = httpRequest({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (answer) => {
    if (!transform) {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      return;
    }
    const chunks: Buffer[] = [];
    answer.on('data', (c: Buffer) => chunks.push(c));
    answer.on('end', () => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      res.end(transform(Buffer.concat(chunks)));
    });
  });
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
}

test.after(async () => {
  for (const local of opened) await local.close();
});

// ---------------------------------------------------------------------------------------------
// Manifests and platforms
// ---------------------------------------------------------------------------------------------

test('OCI manifest by tag, then by digest: same bytes, digest computed and verified', async () => {
  const { domain, repository, tag } = split(E.images.busybox);
  const c = client(domain, repository);
  const byTag = await c.getManifest(tag);
  assert.is(byTag.mediaType, MediaType.ociManifest);
  assert.is(byTag.digest, sha256(byTag.bytes));
  assert.is(byTag.size, byTag.bytes.length);
  assert.is((byTag.json as Manifest).layers.length, 1);
  const byDigest = await c.getManifest(byTag.digest);
  assert.ok(byDigest.bytes.equals(byTag.bytes));
  assert.is(byDigest.digest, byTag.digest);
  const head = await c.headManifest(tag);
  assert.is(head?.digest, byTag.digest);
  assert.is(await c.headManifest('no-such-tag'), undefined);
});

test('Docker schema2 manifest', async () => {
  const { domain, repository, tag } = split(E.images.busyboxV2s2);
  const m = await client(domain, repository).getManifest(tag);
  assert.is(m.mediaType, MediaType.dockerManifest);
  assert.is((m.json as Manifest).config.mediaType, 'application/vnd.docker.container.image.v1+json');
});

test('OCI index: select linux/amd64 and linux/arm64, configs and layers match', async () => {
  const { domain, repository, tag } = split(E.images.multiarch);
  const c = client(domain, repository);
  const index = await c.getManifest(tag);
  assert.is(index.mediaType, MediaType.ociIndex);
  for (const architecture of ['amd64', 'arm64']) {
    const wanted = architecture === 'arm64' ? { os: 'linux', architecture, variant: 'v8' } : { os: 'linux', architecture };
    const chosen = selectPlatform(index.json as { manifests: Descriptor[] }, wanted);
    const manifest = await c.getManifest(chosen.digest);
    assert.is(manifest.digest, chosen.digest);
    const body = manifest.json as Manifest;
    const config = JSON.parse((await c.fetchBlobBytes(body.config.digest, { size: body.config.size })).toString()) as { architecture: string };
    assert.is(config.architecture, architecture);
    const archLayer = body.layers[body.layers.length - 1]!;
    const tar = gunzipSync(await c.fetchBlobBytes(archLayer.digest, { size: archLayer.size }));
    assert.ok(tar.includes(Buffer.from(`${architecture}\n`)), `the /arch layer of ${architecture} says ${architecture}`);
  }
  assert.throws(() => selectPlatform(index.json as { manifests: Descriptor[] }, { os: 'linux', architecture: 's390x' }),
    /no matching manifest for linux\/s390x in the manifest list entries \(available: linux\/amd64, linux\/arm64\)/);
});

test('a missing tag is manifest unknown; a missing repository too (distribution answers NAME_UNKNOWN)', async () => {
  const { domain, repository } = split(E.images.busybox);
  const missing = await rejects(client(domain, repository).getManifest('no-such-tag'));
  assert.is(missing.reason, 'manifest-unknown');
  assert.is(missing.exitCode, 1);
  assert.is(missing.message, `manifest for ${domain}/${repository}:no-such-tag not found: manifest unknown: manifest unknown`);
  const noRepo = await rejects(client(domain, 'skiff-test/does-not-exist').getManifest('latest'));
  assert.ok(['manifest-unknown', 'name-unknown'].includes(noRepo.reason), noRepo.message);
  assert.match(noRepo.message, `${domain}/skiff-test/does-not-exist`);
});

// ---------------------------------------------------------------------------------------------
// Blobs
// ---------------------------------------------------------------------------------------------

test('blob download streams and verifies its digest', async () => {
  const { domain, repository, tag } = split(E.images.busybox);
  const c = client(domain, repository);
  const layer = ((await c.getManifest(tag)).json as Manifest).layers[0]!;
  const data = await readAll(await c.fetchBlob(layer.digest, { size: layer.size }));
  assert.is(data.length, layer.size);
  assert.is(sha256(data), layer.digest);
  assert.ok(await c.hasBlob(layer.digest));
  assert.not.ok(await c.hasBlob(sha256(Buffer.from('not there'))));
});

test('blob errors: unknown digest, wrong size, malformed digest', async () => {
  const { domain, repository, tag } = split(E.images.busybox);
  const c = client(domain, repository);
  const absent = sha256(Buffer.from('absent'));
  const unknown = await rejects(c.fetchBlob(absent));
  assert.is(unknown.reason, 'blob-unknown');
  assert.match(unknown.message, `blob ${absent} not found in ${domain}/${repository}`);
  const layer = ((await c.getManifest(tag)).json as Manifest).layers[0]!;
  const size = await rejects(c.fetchBlob(layer.digest, { size: layer.size + 1 }));
  assert.is(size.reason, 'digest-mismatch');
  assert.match(size.message, `size mismatch for blob ${layer.digest}`);
  assert.match((await rejects(c.fetchBlob('sha256:../../etc'))).message, /invalid digest/);
  assert.match((await rejects(c.getManifest('../x'))).message, /invalid manifest reference/);
});

test('corrupted content is refused: blob stream errors naming the digest, manifests by digest and by tag too', async () => {
  const flip = (body: Buffer): Buffer => {
    if (body.length > 0) body[body.length >> 1] ^= 0xff;
    return body;
  };
  const proxy = await listen(createServer((req, res) => {
    const corrupt = req.method === 'GET' && /\/(blobs|manifests)\//.test(req.url ?? '');
    forward(req, res, corrupt ? flip : undefined);
  }));
  const { repository, tag } = split(E.images.busybox);
  const good = await client(split(E.images.busybox).domain, repository).getManifest(tag);
  const layer = (good.json as Manifest).layers[0]!;
  const c = client(proxy.domain, repository);

  const stream = await c.fetchBlob(layer.digest, { size: layer.size });
  const failure = await rejects(readAll(stream));
  assert.is(failure.reason, 'digest-mismatch');
  assert.match(failure.message, `digest mismatch for blob ${layer.digest} from ${proxy.domain}/${repository}`);
  assert.ok(stream.destroyed);

  const byDigest = await rejects(c.getManifest(good.digest));
  assert.is(byDigest.reason, 'digest-mismatch');
  assert.match(byDigest.message, `digest mismatch for manifest ${proxy.domain}/${repository}@${good.digest}`);
  // By tag, the registry's Docker-Content-Digest header gives the digest to check against.
  const byTag = await rejects(c.getManifest(tag));
  assert.is(byTag.reason, 'digest-mismatch');
  assert.match(byTag.message, `the registry says ${good.digest}`);
});

// ---------------------------------------------------------------------------------------------
// Push, mount, tags
// ---------------------------------------------------------------------------------------------

async function pushImage(c: RegistryClient, layer: Buffer, options: { chunkSize?: number } = {}): Promise<{ manifest: Buffer; layerDigest: string }> {
  const layerDigest = sha256(layer);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layerDigest] }, config: {} }));
  for (const blob of [layer, config]) {
    const digest = sha256(blob);
    if (!(await c.hasBlob(digest))) await c.pushBlob(digest, blob.length, () => Readable.from([blob]), options);
    assert.ok(await c.hasBlob(digest));
  }
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length }],
  }));
  return { manifest, layerDigest };
}

test('push blobs (monolithic) and a manifest to a new repository, pull it back with the same digest', async () => {
  const repository = uniqueName('push');
  const c = client(E.registry, repository);
  const layer = randomBytes(300_000);
  assert.not.ok(await c.hasBlob(sha256(layer)));
  const { manifest, layerDigest } = await pushImage(c, layer);
  const digest = await c.putManifest('v1', MediaType.ociManifest, manifest);
  assert.is(digest, sha256(manifest));
  const back = await c.getManifest('v1');
  assert.is(back.digest, digest);
  assert.ok(back.bytes.equals(manifest));
  assert.ok((await c.fetchBlobBytes(layerDigest, { size: layer.length })).equals(layer));
  // By digest as reference, and refusing a digest that is not the content's.
  assert.is(await c.putManifest(digest, MediaType.ociManifest, manifest), digest);
  const wrong = await rejects(c.putManifest(sha256(Buffer.from('other')), MediaType.ociManifest, manifest));
  assert.is(wrong.reason, 'digest-mismatch');
});

test('chunked upload (PATCH with Content-Range, then PUT ?digest=)', async () => {
  const repository = uniqueName('chunked');
  const c = client(E.registry, repository);
  // Three PATCHes, the last one short; kept small because every run leaves its blobs in the test registry.
  const layer = randomBytes(1_200_000);
  const { manifest, layerDigest } = await pushImage(c, layer, { chunkSize: 512 * 1024 });
  assert.ok((await c.fetchBlobBytes(layerDigest)).equals(layer));
  const digest = await c.putManifest('chunked', MediaType.ociManifest, manifest);
  assert.is((await c.getManifest('chunked')).digest, digest);
});

test('pushing content that is not its digest or size fails clearly, and the client stays usable', async () => {
  const c = client(E.registry, uniqueName('bad'));
  const data = randomBytes(1000);
  const wrongDigest = await rejects(c.pushBlob(sha256(Buffer.from('something else')), data.length, () => Readable.from([data])));
  assert.is(wrongDigest.reason, 'digest-mismatch');
  assert.match(wrongDigest.message, /digest invalid/);
  // More bytes than declared must not spill into the next request on the kept-alive connection.
  const tooLong = await rejects(c.pushBlob(sha256(data), 10, () => Readable.from([data])));
  assert.match(tooLong.message, 'is more than the 10 bytes its descriptor gives');
  const tooShort = await rejects(c.pushBlob(sha256(data), 5000, () => Readable.from([data]), { chunkSize: 400 }));
  assert.match(tooShort.message, 'is 1000 bytes, not the 5000 its descriptor gives');
  const broken = await rejects(c.pushBlob(sha256(data), data.length, () => new Readable({
    read() {
      this.destroy(new RegistryError('cannot read the layer file', 'invalid'));
    },
  })));
  assert.match(broken.message, 'cannot read the layer file');
  await c.pushBlob(sha256(data), data.length, () => Readable.from([data]));
  assert.ok(await c.hasBlob(sha256(data)));
});

test('cross-repository mount: linked without upload; an unknown blob is not mounted', async () => {
  const { repository: from, tag } = split(E.images.busybox);
  const source = client(E.registry, from);
  const layer = ((await source.getManifest(tag)).json as Manifest).layers[0]!;
  const target = client(E.registry, uniqueName('mount'));
  assert.not.ok(await target.hasBlob(layer.digest));
  assert.ok(await target.mountBlob(layer.digest, from));
  assert.ok(await target.hasBlob(layer.digest));
  assert.not.ok(await target.mountBlob(sha256(Buffer.from('nowhere')), from));
});

test('listTags follows Link pagination', async () => {
  const repository = uniqueName('tags');
  const c = client(E.registry, repository);
  const { manifest } = await pushImage(c, randomBytes(100));
  for (const tag of ['v1', 'v2', 'v3']) await c.putManifest(tag, MediaType.ociManifest, manifest);
  assert.equal((await c.listTags({ pageSize: 1 })).sort(), ['v1', 'v2', 'v3']);
  assert.equal((await c.listTags()).sort(), ['v1', 'v2', 'v3']);
  const none = await rejects(client(E.registry, 'skiff-test/never-pushed').listTags());
  assert.is(none.reason, 'name-unknown');
});

// ---------------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------------

test('basic-auth registry: 401 without credentials, success with them, refused with wrong ones', async () => {
  const { domain, repository, tag } = split(E.images.authBusybox);
  const anonymous = await rejects(client(domain, repository).getManifest(tag));
  assert.is(anonymous.reason, 'unauthorized');
  assert.is(anonymous.message, `unauthorized: ${domain}/${repository} requires authentication; log in with: skiff login ${domain}`);

  const c = client(domain, repository, { credentials: creds });
  await c.authenticate();
  const m = await c.getManifest(tag);
  assert.is(m.mediaType, MediaType.ociManifest);
  const layer = (m.json as Manifest).layers[0]!;
  assert.is(sha256(await c.fetchBlobBytes(layer.digest)), layer.digest);

  const wrong = client(domain, repository, { credentials: { username: E.authUser, password: 'wrong' } });
  const refused = await rejects(wrong.authenticate());
  assert.is(refused.reason, 'unauthorized');
  assert.match(refused.message, `${domain} refused the credentials of "${E.authUser}"`);
  assert.match(refused.message, `skiff login ${domain}`);
  assert.is((await rejects(wrong.getManifest(tag))).reason, 'unauthorized');
});

test('basic-auth registry: push with credentials', async () => {
  const c = client(E.authRegistry, uniqueName('authpush'), { credentials: creds });
  const { manifest } = await pushImage(c, randomBytes(5000));
  const digest = await c.putManifest('latest', MediaType.ociManifest, manifest);
  assert.is((await c.getManifest('latest')).digest, digest);
});

/** A token service and a registry front that wants its bearer tokens, as Docker Hub works. */
async function tokenFront(): Promise<Local & { tokenRequests: () => number; forgetTokens: () => void; lastTokenQuery: () => URLSearchParams | undefined }> {
  const granted = new Map<string, Set<string>>();
  let requests = 0;
  let lastQuery: URLSearchParams | undefined;
  let realm = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/token') {
      requests++;
      lastQuery = url.searchParams;
      const auth = req.headers.authorization;
      let user: string | undefined;
      if (auth) {
        const [name, password] = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString().split(':');
        if (name !== E.authUser || password !== E.authPassword) {
          res.writeHead(401, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ details: 'incorrect username or password' }));
          return;
        }
        user = name;
      }
      const access = new Set<string>();
      for (const scope of url.searchParams.getAll('scope')) {
        const m = /^repository:(.+):([a-z,]+)$/.exec(scope);
        if (!m) continue;
        for (const action of m[2]!.split(',')) if (action === 'pull' || user) access.add(`${m[1]}:${action}`);
      }
      const token = randomBytes(12).toString('hex');
      granted.set(token, access);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const access = granted.get(token);
    const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(url.pathname);
    const action = req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push';
    const allowed = access !== undefined && (!m || access.has(`${m[1]}:${action}`));
    if (!allowed) {
      const scope = m ? ` ,scope="repository:${m[1]}:${action === 'push' ? 'pull,push' : 'pull'}"` : '';
      res.writeHead(401, {
        'Content-Type': 'application/json',
        'WWW-Authenticate': `Bearer realm="${realm}",service="skiff-test-token"${scope}`,
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    delete req.headers.authorization;
    forward(req, res);
  });
  const local = await listen(server);
  realm = `http://${local.domain}/token`;
  return { ...local, tokenRequests: () => requests, forgetTokens: () => granted.clear(), lastTokenQuery: () => lastQuery };
}

test('bearer tokens: anonymous pull token fetched once and cached per scope, refreshed when refused', async () => {
  const front = await tokenFront();
  const { repository, tag } = split(E.images.busybox);
  const c = client(front.domain, repository);
  const m = await c.getManifest(tag);
  assert.is(m.mediaType, MediaType.ociManifest);
  assert.is(front.tokenRequests(), 1);
  assert.equal(front.lastTokenQuery()?.getAll('scope'), [`repository:${repository}:pull`]);
  assert.is(front.lastTokenQuery()?.get('service'), 'skiff-test-token');
  await c.getManifest(m.digest);
  await client(front.domain, repository).hasBlob((m.json as Manifest).layers[0]!.digest);
  assert.is(front.tokenRequests(), 1, 'one token for the process and scope');
  // A token the registry no longer takes: one fresh token, one retry.
  front.forgetTokens();
  assert.is((await c.getManifest(tag)).digest, m.digest);
  assert.is(front.tokenRequests(), 2);
});

test('bearer tokens: push needs credentials; with them the token carries pull,push', async () => {
  const front = await tokenFront();
  const repository = uniqueName('bearer');
  const anonymous = await rejects(client(front.domain, repository).pushBlob(sha256(Buffer.from('x')), 1, () => Readable.from([Buffer.from('x')])));
  assert.is(anonymous.reason, 'unauthorized');
  assert.match(anonymous.message, `skiff login ${front.domain}`);

  const c = client(front.domain, repository, { credentials: creds });
  const { manifest } = await pushImage(c, randomBytes(4000));
  assert.ok(front.lastTokenQuery()?.getAll('scope').includes(`repository:${repository}:pull,push`));
  assert.is(front.lastTokenQuery()?.get('account'), E.authUser);
  const digest = await c.putManifest('latest', MediaType.ociManifest, manifest);
  assert.is((await c.getManifest('latest')).digest, digest);
  await c.authenticate();

  const wrong = await rejects(client(front.domain, repository, { credentials: { username: E.authUser, password: 'nope' } }).getManifest('latest'));
  assert.is(wrong.reason, 'unauthorized');
  assert.match(wrong.message, `${front.domain} refused the credentials of "${E.authUser}" (incorrect username or password)`);
});

// ---------------------------------------------------------------------------------------------
// Retries and network failures
// ---------------------------------------------------------------------------------------------

test('5xx is retried with backoff, then reported', async () => {
  let failuresLeft = 2;
  let seen = 0;
  const proxy = await listen(createServer((req, res) => {
    if (/\/manifests\//.test(req.url ?? '')) {
      seen++;
      if (failuresLeft === Infinity || failuresLeft-- > 0) {
        res.writeHead(503, { 'Content-Type': 'text/plain' });
        res.end('busy');
        return;
      }
    }
    forward(req, res);
  }));
  const { repository, tag } = split(E.images.busybox);
  // Default policy: 3 attempts, 200 ms and 800 ms apart.
  const c = createRegistryClient({ domain: proxy.domain, repository, schemes: ['http'], userAgent: 'skiff-integration-test' });
  const started = Date.now();
  assert.is((await c.getManifest(tag)).mediaType, MediaType.ociManifest);
  assert.is(seen, 3);
  assert.ok(Date.now() - started >= 1000, 'backed off 200 + 800 ms');
  failuresLeft = Infinity;
  seen = 0;
  const err = await rejects(client(proxy.domain, repository).getManifest(tag));
  assert.is(seen, 3);
  assert.is(err.reason, 'server');
  assert.match(err.message, `registry ${proxy.domain} failed: GET /v2/${repository}/manifests/${tag} answered 503`);
});

test('connection reset before the first byte is retried: before headers and after them', async () => {
  const { repository, tag } = split(E.images.busybox);
  const layer = ((await client(E.registry, repository).getManifest(tag)).json as Manifest).layers[0]!;
  let blobRequests = 0;
  let manifestRequests = 0;
  const proxy = await listen(createServer((req, res) => {
    if (req.url?.includes('/blobs/') && blobRequests++ === 0) {
      // Headers, then the connection drops before any body byte.
      res.writeHead(200, { 'Content-Length': String(layer.size), 'Content-Type': 'application/octet-stream' });
      res.flushHeaders();
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    if (req.url?.includes('/manifests/') && manifestRequests++ === 0) {
      req.socket.destroy();
      return;
    }
    forward(req, res);
  }));
  const c = client(proxy.domain, repository);
  assert.is((await c.getManifest(tag)).mediaType, MediaType.ociManifest);
  assert.is(manifestRequests, 2);
  const data = await readAll(await c.fetchBlob(layer.digest, { size: layer.size }));
  assert.is(sha256(data), layer.digest);
  assert.is(blobRequests, 2);
});

test('a connection lost in the middle of a blob fails clearly', async () => {
  const { repository, tag } = split(E.images.busybox);
  const layer = ((await client(E.registry, repository).getManifest(tag)).json as Manifest).layers[0]!;
  const proxy = await listen(createServer((req, res) => {
    if (req.url?.includes('/blobs/')) {
      res.writeHead(200, { 'Content-Length': String(layer.size) });
      res.write(Buffer.alloc(1000));
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    forward(req, res);
  }));
  const err = await rejects(readAll(await client(proxy.domain, repository).fetchBlob(layer.digest, { size: layer.size })));
  assert.match(err.message, `download of blob ${layer.digest} from ${proxy.domain}/${repository} broke off after 1000 bytes`);
});

test('a registry that stops answering times out: no headers, or a stalled body', async () => {
  const { repository, tag } = split(E.images.busybox);
  const layer = ((await client(E.registry, repository).getManifest(tag)).json as Manifest).layers[0]!;
  let stalls = 0;
  const proxy = await listen(createServer((req, res) => {
    if (req.url?.includes('/manifests/')) return; // never answers
    if (req.url?.includes('/blobs/')) {
      stalls++;
      res.writeHead(200, { 'Content-Length': String(layer.size) });
      res.flushHeaders();
      return; // headers, then nothing
    }
    forward(req, res);
  }));
  const c = client(proxy.domain, repository, { headersTimeoutMs: 300, idleTimeoutMs: 300 });
  const silent = await rejects(c.getManifest(tag));
  assert.is(silent.message, `registry ${proxy.domain} did not answer in time (HEADERS_TIMEOUT: no response within 300 ms); check the network, or try again`);
  const stalled = await rejects(readAll(await c.fetchBlob(layer.digest, { size: layer.size })));
  assert.match(stalled.message, `download of blob ${layer.digest} from ${proxy.domain}/${repository} broke off after 0 bytes: registry ${proxy.domain} did not answer in time (IDLE_TIMEOUT`);
  assert.is(stalls, 3, 'a stall before the first byte is retried like a reset');
});

test('unreachable registry, and HTTPS to a plain-HTTP registry: clear errors; http fallback when allowed', async () => {
  const closed = await listen(createServer());
  const port = closed.port;
  await closed.close();
  const unreachable = await rejects(createRegistryClient({ domain: `127.0.0.1:${port}`, repository: 'x', schemes: ['https', 'http'], userAgent: 't' }).ping());
  assert.is(unreachable.reason, 'unreachable');
  assert.is(unreachable.message, `cannot reach registry 127.0.0.1:${port} (ECONNREFUSED); check the name, or that it is running`);

  const httpsOnly = await rejects(createRegistryClient({ domain: E.registry, repository: 'x', schemes: ['https'], userAgent: 't' }).getManifest('latest'));
  assert.is(httpsOnly.reason, 'tls');
  assert.match(httpsOnly.message, `registry ${E.registry} does not speak HTTPS`);
  assert.match(httpsOnly.message, '--tls-verify=false');

  const fallback = await createRegistryClient({ domain: E.registry, repository: 'x', schemes: ['https', 'http'], userAgent: 't' }).ping();
  assert.is(fallback.url, `http://${E.registry}`);
  assert.equal(fallback.challenges, []);
  const auth = await createRegistryClient({ domain: E.authRegistry, schemes: ['http'], userAgent: 't' }).ping();
  assert.equal(auth.challenges, [{ scheme: 'basic', params: { realm: 'skiff-test' } }]);
});

test('TLS: a self-signed certificate is refused with the way out, and accepted without verification', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => forward(req, res));
    const local = await listen(server as unknown as Server);
    const { repository, tag } = split(E.images.busybox);
    const verifying = createRegistryClient({ domain: local.domain, repository, schemes: ['https'], userAgent: 't' });
    const err = await rejects(verifying.getManifest(tag));
    assert.is(err.reason, 'tls');
    assert.match(err.message, `TLS certificate of registry ${local.domain} is not trusted`);
    assert.match(err.message, '--tls-verify=false');
    // NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment (Node's own switch) changes nothing.
    const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
      const fresh = createRegistryClient({ domain: local.domain, repository, schemes: ['https'], userAgent: 't' });
      assert.is((await rejects(fresh.getManifest(tag))).reason, 'tls');
    } finally {
      if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
    }
    const trusting = createRegistryClient({ domain: local.domain, repository, schemes: ['https'], tlsVerify: false, userAgent: 't' });
    assert.is((await trusting.getManifest(tag)).mediaType, MediaType.ociManifest);
    assert.is((await trusting.ping()).url, `https://${local.domain}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
