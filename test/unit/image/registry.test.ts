// Registry client, pure parts: WWW-Authenticate, scopes, platforms, digest-verifying streams, error mapping, Link and chunking; and stored credentials.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SkiffError } from '../../../src/errors';
import {
  checkDigest,
  compatiblePlatforms,
  digestOf,
  errorForNetwork,
  errorForStatus,
  formatPlatform,
  hostPlatform,
  manifestMediaType,
  MediaType,
  mergeScopes,
  nextLink,
  normalizePlatform,
  parsePlatform,
  parseWwwAuthenticate,
  RegistryError,
  selectPlatform,
  verifyingStream,
  type Descriptor,
  type Platform,
} from '../../../src/image/registry';
import { isTransientNetworkError } from '../../../src/image/registry/errors';
import { chunks, withDigest } from '../../../src/image/registry/push';
import { credentialKey, findCredentials, loadCredentials, registryName, removeCredentials, saveCredentials } from '../../../src/image/auth';

// ---------------------------------------------------------------------------------------------
// WWW-Authenticate and scopes
// ---------------------------------------------------------------------------------------------

test('Bearer challenge: quoted values, commas inside quotes', () => {
  const [c] = parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"');
  assert.is(c!.scheme, 'bearer');
  assert.equal(c!.params, { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' });
});

test('Basic challenge, case-insensitive names, spaces around =', () => {
  const challenges = parseWwwAuthenticate('BASIC Realm = "skiff-test"');
  assert.equal(challenges, [{ scheme: 'basic', params: { realm: 'skiff-test' } }]);
});

test('several challenges in one header (as Node joins repeated headers)', () => {
  const challenges = parseWwwAuthenticate('Basic realm="a, b", Bearer realm="https://t/x",service=reg , scope="repository:a:pull,push repository:b:pull"');
  assert.is(challenges.length, 2);
  assert.equal(challenges[0], { scheme: 'basic', params: { realm: 'a, b' } });
  assert.equal(challenges[1], { scheme: 'bearer', params: { realm: 'https://t/x', service: 'reg', scope: 'repository:a:pull,push repository:b:pull' } });
});

test('escaped quotes, error parameters, token68 and empty headers', () => {
  const [c] = parseWwwAuthenticate('Bearer realm="r\\"q",error="insufficient_scope",error_description="no \\\\ way"');
  assert.equal(c!.params, { realm: 'r"q', error: 'insufficient_scope', error_description: 'no \\ way' });
  assert.equal(parseWwwAuthenticate('Negotiate YWJj=='), [{ scheme: 'negotiate', params: { token68: 'YWJj==' } }]);
  assert.equal(parseWwwAuthenticate(''), []);
  assert.equal(parseWwwAuthenticate(null), []);
  assert.equal(parseWwwAuthenticate('Bearer'), [{ scheme: 'bearer', params: {} }]);
});

test('mergeScopes unions actions per repository and sorts', () => {
  assert.equal(mergeScopes(['repository:a:pull', 'repository:a:push,pull', 'repository:b:pull']), ['repository:a:pull,push', 'repository:b:pull']);
  assert.equal(mergeScopes(['repository:a:pull repository:c:pull', 'registry:catalog:*']), ['registry:catalog:*', 'repository:a:pull', 'repository:c:pull']);
  assert.equal(mergeScopes(['repository:host:5000/x:pull']), ['repository:host:5000/x:pull']);
  assert.equal(mergeScopes([]), []);
});

// ---------------------------------------------------------------------------------------------
// Platforms
// ---------------------------------------------------------------------------------------------

const entry = (digest: string, platform?: Platform): Descriptor => ({ mediaType: MediaType.ociManifest, digest: `sha256:${digest.repeat(64).slice(0, 64)}`, size: 1, platform });

const index = {
  manifests: [
    entry('a', { os: 'linux', architecture: 'amd64' }),
    entry('b', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
    entry('c', { os: 'linux', architecture: 'arm', variant: 'v7' }),
    entry('d', { os: 'linux', architecture: 'arm', variant: 'v6' }),
    entry('e', { os: 'unknown', architecture: 'unknown' }),
    entry('f'),
  ],
};

test('hostPlatform is this machine in Go names', () => {
  const host = hostPlatform();
  assert.is(host.os, 'linux');
  assert.ok(['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64'].includes(host.architecture));
  if (host.architecture === 'arm64') assert.is(host.variant, 'v8');
});

test('parsePlatform: os/arch[/variant], aliases, single words, errors', () => {
  assert.equal(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64' });
  assert.equal(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.equal(parsePlatform('Linux/ARM/7'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.equal(parsePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
  assert.equal(parsePlatform('linux/aarch64'), { os: 'linux', architecture: 'arm64' });
  assert.equal(parsePlatform('linux/armhf'), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.equal(parsePlatform('arm64'), { os: hostPlatform().os, architecture: 'arm64' });
  assert.equal(parsePlatform('linux'), hostPlatform());
  assert.throws(() => parsePlatform('foo'), (e: Error) => e instanceof SkiffError && e.message === '"foo": unknown operating system or architecture: invalid argument');
  assert.throws(() => parsePlatform('linux/arm/v7/extra'), /invalid platform/);
  assert.throws(() => parsePlatform('linux/'), /invalid platform/);
  assert.throws(() => parsePlatform('plan10/amd64'), /unknown operating system/);
});

test('normalizePlatform follows containerd: arm64 v8 is no variant, arm defaults to v7', () => {
  assert.equal(normalizePlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' }), { os: 'linux', architecture: 'arm64' });
  assert.equal(normalizePlatform({ os: 'linux', architecture: 'aarch64' }), { os: 'linux', architecture: 'arm64' });
  assert.equal(normalizePlatform({ os: 'linux', architecture: 'arm' }), { os: 'linux', architecture: 'arm', variant: 'v7' });
  assert.equal(normalizePlatform({ os: 'linux', architecture: 'x86_64', variant: 'v1' }), { os: 'linux', architecture: 'amd64' });
  assert.equal(normalizePlatform({ os: 'linux', architecture: 'i386' }), { os: 'linux', architecture: '386' });
  assert.equal(normalizePlatform({ os: 'Linux', architecture: 'arm', variant: '6' }), { os: 'linux', architecture: 'arm', variant: 'v6' });
});

test('compatiblePlatforms: best first, as containerd Only', () => {
  assert.equal(compatiblePlatforms({ os: 'linux', architecture: 'amd64' }).map(formatPlatform), ['linux/amd64', 'linux/386']);
  assert.equal(compatiblePlatforms({ os: 'linux', architecture: 'amd64', variant: 'v3' }).map(formatPlatform), ['linux/amd64/v3', 'linux/amd64/v2', 'linux/amd64', 'linux/386']);
  assert.equal(compatiblePlatforms({ os: 'linux', architecture: 'arm', variant: 'v7' }).map(formatPlatform), ['linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']);
  assert.equal(compatiblePlatforms({ os: 'linux', architecture: 'arm64', variant: 'v8' }).map(formatPlatform), ['linux/arm64', 'linux/arm/v8', 'linux/arm/v7', 'linux/arm/v6', 'linux/arm/v5']);
});

test('selectPlatform picks the matching entry, variants included', () => {
  assert.is(selectPlatform(index, { os: 'linux', architecture: 'amd64' }).digest, index.manifests[0]!.digest);
  // arm64 with or without v8 matches an entry written either way.
  assert.is(selectPlatform(index, { os: 'linux', architecture: 'arm64', variant: 'v8' }).digest, index.manifests[1]!.digest);
  assert.is(selectPlatform(index, { os: 'linux', architecture: 'arm64' }).digest, index.manifests[1]!.digest);
  const noVariant = { manifests: [entry('1', { os: 'linux', architecture: 'arm64' })] };
  assert.is(selectPlatform(noVariant, { os: 'linux', architecture: 'arm64', variant: 'v8' }).digest, noVariant.manifests[0]!.digest);
  assert.is(selectPlatform(index, { os: 'linux', architecture: 'arm' }).digest, index.manifests[2]!.digest);
  assert.is(selectPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v6' }).digest, index.manifests[3]!.digest);
  // arm/v5 runs nothing here; arm64 without an arm64 entry falls back to arm/v7.
  const armOnly = { manifests: index.manifests.slice(2) };
  assert.is(selectPlatform(armOnly, { os: 'linux', architecture: 'arm64', variant: 'v8' }).digest, index.manifests[2]!.digest);
  // The more specific compatible platform wins over index order.
  const both = { manifests: [entry('7', { os: 'linux', architecture: '386' }), entry('8', { os: 'linux', architecture: 'amd64' })] };
  assert.is(selectPlatform(both, { os: 'linux', architecture: 'amd64' }).digest, both.manifests[1]!.digest);
  assert.is(selectPlatform({ manifests: [both.manifests[0]!] }, { os: 'linux', architecture: 'amd64' }).digest, both.manifests[0]!.digest);
  // Default: the host.
  const host = hostPlatform();
  const own = { manifests: [entry('9', { os: host.os, architecture: host.architecture, variant: host.variant })] };
  assert.is(selectPlatform(own).digest, own.manifests[0]!.digest);
});

test("selectPlatform fails as Docker does, listing what the list offers", () => {
  try {
    selectPlatform({ manifests: [index.manifests[0]!, index.manifests[4]!, index.manifests[5]!] }, { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, SkiffError);
    assert.is((err as Error).message, 'no matching manifest for linux/arm64/v8 in the manifest list entries (available: linux/amd64); choose one with --platform');
    assert.is((err as SkiffError).exitCode, 1);
  }
  assert.throws(() => selectPlatform({ manifests: [] }, { os: 'linux', architecture: 's390x' }), /no matching manifest for linux\/s390x in the manifest list entries \(the list names no platforms\)/);
  assert.throws(() => selectPlatform(index, { os: 'windows', architecture: 'amd64' }), /no matching manifest for windows\/amd64/);
});

// ---------------------------------------------------------------------------------------------
// Digests and the verifying stream
// ---------------------------------------------------------------------------------------------

const sha = (data: string | Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function run(stream: Transform, data: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(data), stream, new Writable({ write(chunk, _e, cb) { out.push(chunk); cb(); } }));
  return Buffer.concat(out);
}

test('checkDigest and digestOf', () => {
  assert.is(digestOf(Buffer.from('hello')), sha('hello'));
  assert.is(digestOf(Buffer.from('hello'), 'sha512').length, 7 + 128);
  assert.is(checkDigest(sha('x')), sha('x'));
  for (const bad of ['sha256:abc', 'md5:' + 'a'.repeat(32), `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(64)}/../x`, 'latest']) {
    assert.throws(() => checkDigest(bad), /invalid digest/, bad);
  }
});

test('verifyingStream passes matching content through, in chunks', async () => {
  const data = [Buffer.from('hello '), Buffer.from('world')];
  const out = await run(verifyingStream(sha('hello world'), { size: 11, source: 'reg/repo' }), data);
  assert.is(out.toString(), 'hello world');
  const stream = verifyingStream(sha(''), { source: 'reg/repo' });
  assert.is((await run(stream, [])).length, 0);
});

test('verifyingStream fails on a digest mismatch, naming the digest', async () => {
  const expected = sha('hello world');
  const stream = verifyingStream(expected, { source: '127.0.0.1:5000/x' });
  try {
    await run(stream, [Buffer.from('hello w0rld')]);
    assert.unreachable('should have failed');
  } catch (err) {
    assert.instance(err, RegistryError);
    assert.is((err as RegistryError).reason, 'digest-mismatch');
    assert.match((err as Error).message, `digest mismatch for blob ${expected} from 127.0.0.1:5000/x`);
    assert.match((err as Error).message, sha('hello w0rld'));
  }
  assert.ok(stream.destroyed);
});

test('verifyingStream fails on too many or too few bytes', async () => {
  const digest = sha('hello');
  try {
    await run(verifyingStream(digest, { size: 3, source: 'r/x' }), [Buffer.from('hello')]);
    assert.unreachable('should have failed');
  } catch (err) {
    assert.match((err as Error).message, /size mismatch for blob sha256:[a-f0-9]{64} from r\/x: received more than the 3 bytes/);
  }
  try {
    await run(verifyingStream(digest, { size: 9, source: 'r/x' }), [Buffer.from('hello')]);
    assert.unreachable('should have failed');
  } catch (err) {
    assert.match((err as Error).message, /received 5 bytes where its descriptor gives 9/);
  }
});

// ---------------------------------------------------------------------------------------------
// Error mapping
// ---------------------------------------------------------------------------------------------

const body = (code: string, message: string) => ({ errors: [{ code, message }] });

test('401: missing credentials tell to log in; refused ones name the user', () => {
  const anon = errorForStatus(401, 'Unauthorized', body('UNAUTHORIZED', 'authentication required'), { domain: '127.0.0.1:5001', repository: 'a/b', what: 'manifest', reference: 'latest' });
  assert.is(anon.reason, 'unauthorized');
  assert.is(anon.message, 'unauthorized: 127.0.0.1:5001/a/b requires authentication; log in with: skiff login 127.0.0.1:5001');
  assert.is(anon.exitCode, 1);
  const hub = errorForStatus(401, 'Unauthorized', undefined, { domain: 'docker.io', repository: 'library/x', what: 'manifest' });
  assert.match(hub.message, /log in with: skiff login$/);
  const refused = errorForStatus(401, 'Unauthorized', { details: 'incorrect username or password' }, { domain: 'docker.io', what: 'token', username: 'me' });
  assert.is(refused.message, 'unauthorized: docker.io refused the credentials of "me" (incorrect username or password); check the username and password, then run: skiff login');
});

test('403, 404 (manifest, blob, repository), 429 and 5xx', () => {
  const ctx = { domain: 'reg:5000', repository: 'a/b' } as const;
  const denied = errorForStatus(403, 'Forbidden', body('DENIED', 'requested access to the resource is denied'), { ...ctx, what: 'upload' });
  assert.is(denied.reason, 'denied');
  assert.is(denied.message, 'denied: requested access to the resource is denied (reg:5000/a/b)');
  const manifest = errorForStatus(404, 'Not Found', body('MANIFEST_UNKNOWN', 'manifest unknown'), { ...ctx, what: 'manifest', reference: 'v1' });
  assert.is(manifest.reason, 'manifest-unknown');
  assert.is(manifest.message, 'manifest for reg:5000/a/b:v1 not found: manifest unknown: manifest unknown');
  const byDigest = errorForStatus(404, 'Not Found', undefined, { ...ctx, what: 'manifest', reference: sha('m') });
  assert.is(byDigest.message, `manifest for reg:5000/a/b@${sha('m')} not found: manifest unknown: manifest unknown`);
  const name = errorForStatus(404, 'Not Found', body('NAME_UNKNOWN', 'repository name not known to registry'), { ...ctx, what: 'manifest', reference: 'v1' });
  assert.is(name.reason, 'name-unknown');
  assert.is(name.message, 'repository reg:5000/a/b not found: name unknown: repository name not known to registry');
  const blob = errorForStatus(404, 'Not Found', undefined, { ...ctx, what: 'blob', reference: sha('b') });
  assert.is(blob.reason, 'blob-unknown');
  assert.match(blob.message, `blob ${sha('b')} not found in reg:5000/a/b`);
  const invalid = errorForStatus(400, 'Bad Request', body('DIGEST_INVALID', 'provided digest did not match uploaded content'), { ...ctx, what: 'upload', reference: sha('b') });
  assert.is(invalid.reason, 'digest-mismatch');
  assert.is(invalid.message, `registry reg:5000 refused ${sha('b')} for reg:5000/a/b: digest invalid: provided digest did not match uploaded content`);
  const limited = errorForStatus(429, 'Too Many Requests', body('TOOMANYREQUESTS', 'You have reached your pull rate limit.'), { ...ctx, what: 'manifest' });
  assert.is(limited.reason, 'too-many-requests');
  assert.match(limited.message, /^toomanyrequests: You have reached your pull rate limit\.; wait and try again, or log in/);
  const server = errorForStatus(503, 'Service Unavailable', undefined, { ...ctx, what: 'blob', method: 'GET', url: '/v2/a/b/blobs/x' });
  assert.is(server.reason, 'server');
  assert.ok(server.transient);
  assert.is(server.message, 'registry reg:5000 failed: GET /v2/a/b/blobs/x answered 503 Service Unavailable; try again later');
});

test('network failures: unreachable, TLS, plain HTTP, resets', () => {
  const sys = (code: string, message = `request failed, reason: ${code}`) => Object.assign(new Error(message), { code });
  const refused = errorForNetwork(sys('ECONNREFUSED'), '127.0.0.1:1');
  assert.is(refused.message, 'cannot reach registry 127.0.0.1:1 (ECONNREFUSED); check the name, or that it is running');
  assert.is(refused.reason, 'unreachable');
  assert.is(errorForNetwork(sys('ENOTFOUND'), 'nope.invalid').message, 'cannot reach registry nope.invalid (ENOTFOUND); check the name, or that it is running');
  const cert = errorForNetwork(sys('DEPTH_ZERO_SELF_SIGNED_CERT', 'request to https://r/v2/ failed, reason: self-signed certificate'), 'r:443');
  assert.is(cert.reason, 'tls');
  assert.match(cert.message, 'TLS certificate of registry r:443 is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate)');
  assert.match(cert.message, '--tls-verify=false');
  assert.match(cert.message, 'insecure-registries');
  const plain = errorForNetwork(sys('EPROTO', 'request to https://r/v2/ failed, reason: write EPROTO 80:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl.c:350:'), 'r:5000');
  assert.is(plain.message, 'registry r:5000 does not speak HTTPS (EPROTO: wrong version number); if it serves plain HTTP, pass --tls-verify=false or add "r:5000" to "insecure-registries" in skiff\'s registries.json');
  const reset = errorForNetwork(sys('ECONNRESET', 'request failed, reason: socket hang up'), 'r');
  assert.ok(reset.transient);
  assert.ok(isTransientNetworkError(sys('ECONNRESET')));
  assert.ok(isTransientNetworkError(new Error('socket hang up')));
  assert.not.ok(isTransientNetworkError(sys('ECONNREFUSED')));
  assert.not.ok(isTransientNetworkError(new RegistryError('x', 'denied')));
  // A RegistryError passes through unchanged.
  assert.is(errorForNetwork(denied(), 'r').reason, 'denied');
});

function denied(): RegistryError {
  return new RegistryError('denied', 'denied');
}

// ---------------------------------------------------------------------------------------------
// Manifests, Link, uploads
// ---------------------------------------------------------------------------------------------

test('manifestMediaType: field, then Content-Type, then shape', () => {
  assert.is(manifestMediaType({ mediaType: MediaType.dockerManifest }, 'application/json'), MediaType.dockerManifest);
  assert.is(manifestMediaType({ schemaVersion: 2 }, `${MediaType.ociIndex}; charset=utf-8`), MediaType.ociIndex);
  assert.is(manifestMediaType({ schemaVersion: 2, config: {}, layers: [] }, 'application/json'), MediaType.ociManifest);
  assert.is(manifestMediaType({ schemaVersion: 2, manifests: [] }, null), MediaType.ociIndex);
  assert.is(manifestMediaType({ schemaVersion: 1, fsLayers: [] }, 'application/json'), MediaType.dockerSchema1);
});

test('nextLink reads rel="next" from Link headers', () => {
  assert.is(nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"'), '/v2/a/tags/list?n=2&last=b');
  assert.is(nextLink('<https://r/v2/a/tags/list?last=b>; rel=next'), 'https://r/v2/a/tags/list?last=b');
  assert.is(nextLink('</x>; rel="prev", </y>; rel="next"'), '/y');
  assert.is(nextLink('</x>; rel="prev"'), undefined);
  assert.is(nextLink(null), undefined);
});

test('withDigest keeps the upload URL query; chunks re-slices a stream', async () => {
  assert.is(withDigest('http://r/v2/a/blobs/uploads/u?_state=abc', sha('x')), `http://r/v2/a/blobs/uploads/u?_state=abc&digest=sha256%3A${sha('x').slice(7)}`);
  const sizes: number[] = [];
  const joined: Buffer[] = [];
  for await (const chunk of chunks(Readable.from([Buffer.from('abc'), Buffer.from('defgh'), Buffer.from(''), Buffer.from('ij')]), 4)) {
    sizes.push(chunk.length);
    joined.push(chunk);
  }
  assert.equal(sizes, [4, 4, 2]);
  assert.is(Buffer.concat(joined).toString(), 'abcdefghij');
  const none: Buffer[] = [];
  for await (const chunk of chunks(Readable.from([]), 4)) none.push(chunk);
  assert.is(none.length, 0);
});

// ---------------------------------------------------------------------------------------------
// Stored credentials (src/image/auth.ts): files in a temporary directory, a fake helper on PATH
// ---------------------------------------------------------------------------------------------

let dir = '';
const envFor = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ HOME: join(dir, 'home'), PATH: `${join(dir, 'bin')}:${process.env.PATH}`, ...extra });
const b64 = (text: string): string => Buffer.from(text).toString('base64');

function writeDockerConfig(value: unknown, home = join(dir, 'home')): string {
  mkdirSync(join(home, '.docker'), { recursive: true });
  const file = join(home, '.docker', 'config.json');
  writeFileSync(file, JSON.stringify(value));
  return file;
}

/** A docker-credential-fake that keeps its store in DIR/helper-store.json, as real helpers do in a keychain. */
function installFakeHelper(): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const store = join(dir, 'helper-store.json');
  writeFileSync(join(bin, 'docker-credential-fake'), `#!${process.execPath}
const fs = require('fs');
const store = ${JSON.stringify(store)};
const read = () => { try { return JSON.parse(fs.readFileSync(store, 'utf8')); } catch { return {}; } };
let input = '';
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', () => {
  const all = read();
  const action = process.argv[2];
  if (action === 'store') { const v = JSON.parse(input); all[v.ServerURL] = v; fs.writeFileSync(store, JSON.stringify(all)); return; }
  const key = input.trim();
  if (!all[key]) { process.stdout.write('credentials not found in native keychain\\n'); process.exit(1); }
  if (action === 'get') process.stdout.write(JSON.stringify(all[key]));
  if (action === 'erase') { delete all[key]; fs.writeFileSync(store, JSON.stringify(all)); }
});
`);
  chmodSync(join(bin, 'docker-credential-fake'), 0o755);
  return store;
}

test.before.each(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-auth-'));
});
test.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('registryName and credentialKey reduce servers as Docker does', () => {
  assert.is(registryName('https://index.docker.io/v1/'), 'docker.io');
  assert.is(registryName('registry-1.docker.io'), 'docker.io');
  assert.is(registryName('http://MyReg:5000/v2/'), 'myreg:5000');
  assert.is(registryName('127.0.0.1:5001'), '127.0.0.1:5001');
  assert.is(credentialKey('docker.io'), 'https://index.docker.io/v1/');
  assert.is(credentialKey('https://127.0.0.1:5001/'), '127.0.0.1:5001');
});

test('loadCredentials reads auths (base64, identity token, URL-shaped keys) from ~/.docker/config.json', async () => {
  writeDockerConfig({
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass') },
      'https://myreg:5000': { auth: b64('me:secret') },
      'tokenreg.example': { identitytoken: 'refresh-me', auth: b64('tok:') },
      'empty.example': {},
    },
  });
  assert.equal(await loadCredentials('docker.io', envFor()), { username: 'hubuser', password: 'hub:pass' });
  assert.equal(await loadCredentials('registry-1.docker.io', envFor()), { username: 'hubuser', password: 'hub:pass' });
  assert.equal(await loadCredentials('myreg:5000', envFor()), { username: 'me', password: 'secret' });
  assert.equal(await loadCredentials('tokenreg.example', envFor()), { identitytoken: 'refresh-me', username: 'tok' });
  assert.is(await loadCredentials('empty.example', envFor()), undefined);
  assert.is(await loadCredentials('other.example', envFor()), undefined);
});

test('$DOCKER_CONFIG moves config.json; a missing file means no credentials', async () => {
  assert.is(await loadCredentials('r:1', envFor()), undefined);
  const alt = join(dir, 'alt');
  mkdirSync(alt);
  writeFileSync(join(alt, 'config.json'), JSON.stringify({ auths: { 'r:1': { auth: b64('a:b') } } }));
  assert.equal(await loadCredentials('r:1', envFor({ DOCKER_CONFIG: alt })), { username: 'a', password: 'b' });
});

test("Podman's auth.json is read when Docker's config has nothing: $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR", async () => {
  writeDockerConfig({ auths: { 'docker-only.example': { auth: b64('d:1') } } });
  const runtime = join(dir, 'run');
  mkdirSync(join(runtime, 'containers'), { recursive: true });
  writeFileSync(join(runtime, 'containers', 'auth.json'), JSON.stringify({ auths: { 'docker.io': { auth: b64('p:2') }, 'quay.io/org': { auth: b64('ns:3') }, 'docker-only.example': { auth: b64('x:x') } } }));
  const env = envFor({ XDG_RUNTIME_DIR: runtime });
  assert.equal(await loadCredentials('docker.io', env), { username: 'p', password: '2' });
  assert.equal(await findCredentials('docker-only.example', env), { credentials: { username: 'd', password: '1' }, source: join(dir, 'home', '.docker', 'config.json') });
  // A namespace key is for that namespace, not the whole registry.
  assert.is(await loadCredentials('quay.io', env), undefined);
  const file = join(dir, 'auth.json');
  writeFileSync(file, JSON.stringify({ auths: { 'quay.io': { auth: b64('q:4') } } }));
  assert.equal(await loadCredentials('quay.io', envFor({ XDG_RUNTIME_DIR: runtime, REGISTRY_AUTH_FILE: file })), { username: 'q', password: '4' });
});

test('saveCredentials writes base64 auths with mode 0600, keeping other keys; removeCredentials forgets every alias', async () => {
  const file = writeDockerConfig({ currentContext: 'x', auths: { 'http://r:1/': { auth: b64('old:old') }, 'keep.example': { auth: b64('k:k') } } });
  const saved = await saveCredentials('r:1', 'user', 'pa:ss', envFor());
  assert.equal(saved, { file, helper: undefined, plaintext: true });
  const written = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(written, { currentContext: 'x', auths: { 'keep.example': { auth: b64('k:k') }, 'r:1': { auth: b64('user:pa:ss') } } });
  assert.is(statSync(file).mode & 0o777, 0o600);
  assert.equal(await loadCredentials('r:1', envFor()), { username: 'user', password: 'pa:ss' });
  assert.ok(await removeCredentials('https://r:1', envFor()));
  assert.not.ok(await removeCredentials('r:1', envFor()));
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).auths, { 'keep.example': { auth: b64('k:k') } });
});

test('saveCredentials creates ~/.docker (0700) and keys Docker Hub by its URL; a symlinked config.json stays a link', async () => {
  const home = join(dir, 'home');
  await saveCredentials('docker.io', 'hub', 'pw', envFor());
  assert.is(statSync(join(home, '.docker')).mode & 0o777, 0o700);
  assert.equal(JSON.parse(readFileSync(join(home, '.docker', 'config.json'), 'utf8')), { auths: { 'https://index.docker.io/v1/': { auth: b64('hub:pw') } } });
  const real = join(dir, 'dotfiles-config.json');
  writeFileSync(real, '{}');
  rmSync(join(home, '.docker', 'config.json'));
  symlinkSync(real, join(home, '.docker', 'config.json'));
  await saveCredentials('r:2', 'a', 'b', envFor());
  assert.ok(lstatSync(join(home, '.docker', 'config.json')).isSymbolicLink());
  assert.equal(JSON.parse(readFileSync(real, 'utf8')).auths, { 'r:2': { auth: b64('a:b') } });
});

test('credsStore and credHelpers: docker-credential-* get/store/erase', async () => {
  const store = installFakeHelper();
  const file = writeDockerConfig({ credsStore: 'fake' });
  const saved = await saveCredentials('r:3', 'helped', 'secret', envFor());
  assert.equal(saved, { file, helper: 'fake', plaintext: false });
  assert.equal(JSON.parse(readFileSync(store, 'utf8')), { 'r:3': { ServerURL: 'r:3', Username: 'helped', Secret: 'secret' } });
  // The file records the login without its secret, as Docker's does.
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).auths, { 'r:3': {} });
  assert.equal(await findCredentials('r:3', envFor()), { credentials: { username: 'helped', password: 'secret' }, source: 'docker-credential-fake' });
  assert.is(await loadCredentials('unknown.example', envFor()), undefined);
  assert.ok(await removeCredentials('r:3', envFor()));
  assert.equal(JSON.parse(readFileSync(store, 'utf8')), {});
  assert.is(await loadCredentials('r:3', envFor()), undefined);

  // credHelpers wins for its host; `<token>` means an identity token.
  writeFileSync(store, JSON.stringify({ 'https://index.docker.io/v1/': { ServerURL: 'https://index.docker.io/v1/', Username: '<token>', Secret: 'idtok' } }));
  writeDockerConfig({ credsStore: 'missing-helper', credHelpers: { 'docker.io': 'fake' } });
  assert.equal(await loadCredentials('docker.io', envFor()), { identitytoken: 'idtok' });
  try {
    await loadCredentials('r:4', envFor());
    assert.unreachable('a missing helper must be reported');
  } catch (err) {
    assert.instance(err, SkiffError);
    assert.match((err as Error).message, /docker-credential-missing-helper is not installed or not in PATH; .*config\.json names "missing-helper"/);
  }
});

test('a config.json that is not JSON is an error naming the file', async () => {
  const file = join(dir, 'home', '.docker', 'config.json');
  mkdirSync(join(dir, 'home', '.docker'), { recursive: true });
  writeFileSync(file, '{ nope');
  try {
    await loadCredentials('r:5', envFor());
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.match((err as Error).message, file);
  }
});

test.run();
