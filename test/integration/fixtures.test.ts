// Checks the test environment itself: registries, fixture images and the test user's rootless prerequisites.
//
// Everything here runs as the test user with independent tools (skopeo, curl, tar, unshare), so
// when a skiff test fails, this file tells whether skiff or the environment is to blame.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnv } from '../lib/env';
import { asUser, session } from '../lib/skiff';

const E = loadEnv();
const TLS = '--tls-verify=false';
const CREDS = `--creds=${E.authUser}:${E.authPassword}`;

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const LAYER_ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface Descriptor { mediaType: string; digest: string; size: number; platform?: { architecture: string; os: string } }
interface Manifest { schemaVersion: number; mediaType?: string; config: Descriptor; layers: Descriptor[] }
interface Index { schemaVersion: number; mediaType?: string; manifests: Descriptor[] }
interface ImageConfig { architecture: string; os: string; config: { Cmd?: string[]; Env?: string[] }; rootfs: { diff_ids: string[] } }

/** Runs a command as the test user and returns its stdout; fails the test with stderr otherwise. */
async function ok(cmd: string[]): Promise<string> {
  const r = await asUser(cmd);
  assert.is(r.code, 0, `\`${cmd.join(' ')}\` exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

function credsFor(ref: string): string[] {
  return ref.startsWith(`${E.authRegistry}/`) ? [CREDS] : [];
}

async function rawManifest<T>(ref: string): Promise<T> {
  return JSON.parse(await ok(['skopeo', 'inspect', TLS, ...credsFor(ref), '--raw', `docker://${ref}`])) as T;
}

async function imageConfig(ref: string, extra: string[] = []): Promise<ImageConfig> {
  return JSON.parse(await ok(['skopeo', ...extra, 'inspect', TLS, ...credsFor(ref), '--config', `docker://${ref}`])) as ImageConfig;
}

let copies = 0;
/** Copies an image to a `dir:` layout as the test user; returns the dir and its manifest. */
async function copyToDir(ref: string, flags: string[] = [], global: string[] = []): Promise<{ dir: string; manifest: Manifest }> {
  copies += 1;
  const dir = join(session().mkdir('fixtures'), `copy${copies}`);
  await ok(['skopeo', '--insecure-policy', ...global, 'copy', '-q', `--src-tls-verify=false`, ...flags, `docker://${ref}`, `dir:${dir}`]);
  return { dir, manifest: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest };
}

function blobPath(dir: string, digest: string): string {
  return join(dir, digest.replace(/^sha256:/, ''));
}

/** `tar -tv` of a layer blob (gzip or plain), numeric owners, as lines. */
async function listLayer(path: string): Promise<string[]> {
  return (await ok(['tar', '--numeric-owner', '-tvf', path])).split('\n').filter((l) => l !== '');
}

function sha256(path: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}

function hasLine(lines: string[], re: RegExp, what: string): void {
  assert.ok(lines.some((l) => re.test(l)), `${what}: no entry matching ${re} in\n${lines.join('\n')}`);
}

// ---------------------------------------------------------------------------------------------

test('every fixture image is served (skopeo inspect as the test user)', async () => {
  const refs = Object.entries(E.images).filter((e): e is [string, string] => typeof e[1] === 'string');
  assert.ok(refs.length >= 7, 'env.json lists the fixture images');
  for (const [name, ref] of refs) {
    const info = JSON.parse(await ok(['skopeo', 'inspect', TLS, ...credsFor(ref), `docker://${ref}`])) as { Os: string; Architecture: string; Layers: string[] };
    assert.is(info.Os, 'linux', `${name}: os`);
    assert.is(info.Architecture, 'amd64', `${name}: architecture`);
    assert.ok(info.Layers.length >= 1, `${name}: has layers`);
  }
});

test('busybox:latest is an OCI image with one gzip layer, Cmd sh and PATH', async () => {
  const m = await rawManifest<Manifest>(E.images.busybox);
  assert.is(m.schemaVersion, 2);
  assert.ok(m.mediaType === undefined || m.mediaType === OCI_MANIFEST, `manifest mediaType ${m.mediaType}`);
  assert.is(m.config.mediaType, OCI_CONFIG);
  assert.equal(m.layers.map((l) => l.mediaType), [LAYER_GZIP]);
  const c = await imageConfig(E.images.busybox);
  assert.equal(c.config.Cmd, ['sh']);
  assert.equal(c.config.Env, [PATH_ENV]);
  assert.is(c.rootfs.diff_ids.length, 1);
});

test('busybox layer holds busybox, its applet links, passwd/group and a 1777 /tmp', async () => {
  const { dir, manifest } = await copyToDir(E.images.busybox);
  const lines = await listLayer(blobPath(dir, manifest.layers[0].digest));
  hasLine(lines, /^-rwxr-xr-x 0\/0 .* bin\/busybox$/, 'busybox binary');
  hasLine(lines, /^lrwxrwxrwx 0\/0 .* bin\/sh -> \/bin\/busybox$/, 'sh applet');
  hasLine(lines, /^lrwxrwxrwx 0\/0 .* bin\/ls -> \/bin\/busybox$/, 'ls applet');
  hasLine(lines, /^-rw-r--r-- 0\/0 .* etc\/passwd$/, 'passwd');
  hasLine(lines, /^-rw-r--r-- 0\/0 .* etc\/group$/, 'group');
  hasLine(lines, /^drwxrwxrwt 0\/0 .* tmp\/$/, '/tmp 1777');
  hasLine(lines, /^drwx------ 0\/0 .* root\/$/, '/root 0700');
  const passwd = await ok(['tar', '-xzOf', blobPath(dir, manifest.layers[0].digest), 'etc/passwd']);
  assert.match(passwd, /^root:x:0:0:/m);
  assert.match(passwd, /^nobody:x:65534:65534:/m);
});

test('busybox:v2s2 is a Docker schema2 manifest of the same content', async () => {
  const m = await rawManifest<Manifest>(E.images.busyboxV2s2);
  assert.is(m.mediaType, DOCKER_MANIFEST);
  assert.is(m.config.mediaType, DOCKER_CONFIG);
  assert.equal(m.layers.map((l) => l.mediaType), [DOCKER_LAYER]);
  const [a, b] = await Promise.all([imageConfig(E.images.busyboxV2s2), imageConfig(E.images.busybox)]);
  assert.equal(a.rootfs.diff_ids, b.rootfs.diff_ids);
  assert.equal(a.config.Cmd, ['sh']);
});

test('busybox:zstd has a zstd layer that decompresses to the same tar', async () => {
  const m = await rawManifest<Manifest>(E.images.busyboxZstd);
  assert.equal(m.layers.map((l) => l.mediaType), [LAYER_ZSTD]);
  const { dir, manifest } = await copyToDir(E.images.busyboxZstd);
  const head = readFileSync(blobPath(dir, manifest.layers[0].digest)).subarray(0, 4);
  assert.equal([...head], [0x28, 0xb5, 0x2f, 0xfd], 'zstd frame magic');
  const plain = await copyToDir(E.images.busyboxZstd, ['--dest-decompress']);
  const c = await imageConfig(E.images.busybox);
  assert.is(sha256(blobPath(plain.dir, plain.manifest.layers[0].digest)), c.rootfs.diff_ids[0]);
});

test('busybox:uncompressed has a plain tar layer equal to the diff id', async () => {
  const m = await rawManifest<Manifest>(E.images.busyboxUncompressed);
  assert.equal(m.layers.map((l) => l.mediaType), [LAYER_TAR]);
  const c = await imageConfig(E.images.busybox);
  assert.is(m.layers[0].digest, c.rootfs.diff_ids[0]);
  const { dir, manifest } = await copyToDir(E.images.busyboxUncompressed);
  const blob = readFileSync(blobPath(dir, manifest.layers[0].digest));
  assert.is(blob.subarray(257, 262).toString('latin1'), 'ustar', 'tar header');
});

test('layers:latest has the four documented layers', async () => {
  const m = await rawManifest<Manifest>(E.images.layers);
  assert.is(m.layers.length, 4);
  const busybox = await rawManifest<Manifest>(E.images.busybox);
  assert.is(m.layers[0].digest, busybox.layers[0].digest, 'layer 1 is the busybox layer blob');
  const { dir } = await copyToDir(E.images.layers);
  const [, l2, l3, l4] = await Promise.all(m.layers.map((l) => listLayer(blobPath(dir, l.digest))));

  hasLine(l2, /^-rw-r--r-- 0\/0 +5 .* data\/keep\.txt$/, 'keep.txt');
  hasLine(l2, /^-rw-r--r-- 0\/0 .* data\/deleted\.txt$/, 'deleted.txt');
  hasLine(l2, /^-rw-r--r-- 0\/0 .* data\/opaque\/old-a\.txt$/, 'opaque/old-a.txt');
  hasLine(l2, /^-rw-r--r-- 0\/0 .* data\/opaque\/sub\/old-b\.txt$/, 'opaque/sub/old-b.txt');
  hasLine(l2, /^-rw-r--r-- 0\/0 .* data\/gone-dir\/file\.txt$/, 'gone-dir/file.txt');
  hasLine(l2, /^-rw-r--r-- 0\/0 .* data\/hardlink\/a-original$/, 'hard link target');
  hasLine(l2, /^hrw-r--r-- 0\/0 .* data\/hardlink\/b-link link to data\/hardlink\/a-original$/, 'hard link');
  hasLine(l2, /^lrwxrwxrwx 0\/0 .* data\/links\/rel -> \.\.\/keep\.txt$/, 'relative symlink');
  hasLine(l2, /^lrwxrwxrwx 0\/0 .* data\/links\/abs -> \/data\/keep\.txt$/, 'absolute symlink');
  hasLine(l2, /^lrwxrwxrwx 0\/0 .* data\/links\/dangling -> \/nonexistent$/, 'dangling symlink');
  hasLine(l2, /^lrwxrwxrwx 0\/0 .* data\/links\/dir -> \.\.\/hardlink$/, 'directory symlink');
  hasLine(l2, /^-rw-r--r-- 1000\/1000 .* data\/owned\/user1000$/, 'file of 1000:1000');
  hasLine(l2, /^drwxr-x--- 1000\/1000 .* data\/owned\/dir1000\/$/, 'dir of 1000:1000');
  hasLine(l2, /^-rw------- 1000\/1000 .* data\/owned\/dir1000\/file$/, 'file in dir1000');
  hasLine(l2, /^-rw-r----- 65534\/65534 .* data\/owned\/nobody$/, 'file of 65534:65534');
  hasLine(l2, /^-rwsr-xr-x 0\/0 .* data\/modes\/setuid$/, 'setuid file');
  hasLine(l2, /^-rw------- 0\/0 .* data\/modes\/secret$/, '0600 file');
  hasLine(l2, /^-rwxr-xr-x 0\/0 .* data\/modes\/exec\.sh$/, 'executable');
  hasLine(l2, /^drwxr-xr-x 0\/0 .* data\/modes\/empty-dir\/$/, 'empty dir');
  hasLine(l2, /^drwxrwxrwt 0\/0 .* data\/modes\/sticky\/$/, 'sticky dir');
  hasLine(l2, /^-rw-r--r-- 0\/0 .* data\/with space\/file name\.txt$/, 'name with spaces');
  assert.not.ok(l2.some((l) => l.includes('empty-dir/') && !l.endsWith('empty-dir/')), 'empty-dir is empty');

  hasLine(l3, /^-rw-r--r-- 0\/0 +0 .* data\/\.wh\.deleted\.txt$/, 'whiteout of deleted.txt');
  hasLine(l3, /^-rw-r--r-- 0\/0 +0 .* data\/\.wh\.gone-dir$/, 'whiteout of gone-dir');
  hasLine(l3, /^-rw-r--r-- 0\/0 +0 .* data\/opaque\/\.wh\.\.wh\.\.opq$/, 'opaque marker');
  hasLine(l3, /^-rw-r--r-- 0\/0 .* data\/opaque\/new\.txt$/, 'opaque/new.txt');
  hasLine(l3, /^-rw-r--r-- 0\/0 .* data\/added-in-3\.txt$/, 'added-in-3.txt');

  hasLine(l4, /^-rw-r--r-- 0\/0 +3 .* data\/replaced\.txt$/, 'replaced.txt');
  hasLine(l4, /^-rw-r--r-- 1000\/1000 .* data\/owned\/user1000-again$/, 'user1000-again');
  const replaced = await ok(['tar', '-xzOf', blobPath(dir, m.layers[3].digest), 'data/replaced.txt']);
  assert.is(replaced, 'v2\n');
});

test('multiarch:latest is an OCI index of linux/amd64 and linux/arm64 with matching /arch', async () => {
  const index = await rawManifest<Index>(E.images.multiarch);
  assert.is(index.mediaType, OCI_INDEX);
  assert.equal(index.manifests.map((d) => `${d.platform?.os}/${d.platform?.architecture}`).sort(), ['linux/amd64', 'linux/arm64']);
  for (const arch of ['amd64', 'arm64']) {
    const { dir, manifest } = await copyToDir(E.images.multiarch, [], ['--override-arch', arch]);
    const config = JSON.parse(readFileSync(blobPath(dir, manifest.config.digest), 'utf8')) as ImageConfig;
    assert.is(config.architecture, arch);
    assert.is(manifest.layers.length, 2);
    const marker = await ok(['tar', '-xzOf', blobPath(dir, manifest.layers[1].digest), 'arch']);
    assert.is(marker, `${arch}\n`, `/arch of ${arch}`);
  }
});

(E.debian ? test : test.skip)('debian:bookworm is a one-layer Debian 12 minbase', async () => {
  const ref = E.images.debian ?? '';
  const m = await rawManifest<Manifest>(ref);
  assert.equal(m.layers.map((l) => l.mediaType), [LAYER_GZIP]);
  assert.ok(m.layers[0].size > 20_000_000, 'a real root filesystem');
  const c = await imageConfig(ref);
  assert.equal(c.config.Cmd, ['bash']);
  const { dir, manifest } = await copyToDir(ref);
  const osRelease = await ok(['tar', '-xzOf', blobPath(dir, manifest.layers[0].digest), './usr/lib/os-release']);
  assert.match(osRelease, /VERSION_CODENAME=bookworm/);
});

test('the auth registry refuses anonymous access and accepts the credentials', async () => {
  const base = `http://${E.authRegistry}/v2/`;
  assert.is(await ok(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', base]), '401');
  assert.is(await ok(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-u', `${E.authUser}:${E.authPassword}`, base]), '200');
  const anon = await asUser(['skopeo', 'inspect', TLS, `docker://${E.images.authBusybox}`]);
  assert.is.not(anon.code, 0, 'anonymous inspect must fail');
  assert.match(anon.stderr, /unauthorized|authentication required|401/i);
  const wrong = await asUser(['skopeo', 'inspect', TLS, `--creds=${E.authUser}:wrong`, `docker://${E.images.authBusybox}`]);
  assert.is.not(wrong.code, 0, 'a wrong password must fail');
  await ok(['skopeo', 'inspect', TLS, CREDS, `docker://${E.images.authBusybox}`]);
  assert.is(await ok(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `http://${E.registry}/v2/`]), '200', 'the open registry needs no auth');
});

test('the test user has subuid/subgid ranges that newuidmap/newgidmap apply', async () => {
  for (const [file, range] of [['/etc/subuid', E.subuid], ['/etc/subgid', E.subgid]] as const) {
    assert.ok(range, `env.json has a ${file} range`);
    const lines = readFileSync(file, 'utf8').split('\n');
    const entry = lines.find((l) => l.startsWith(`${E.user}:`) || l.startsWith(`${E.uid}:`));
    assert.ok(entry, `${file} has an entry for ${E.user}`);
    const [, start, count] = (entry ?? '').split(':').map(Number);
    assert.is(start, range?.start);
    assert.ok(count >= 65536, `${file}: ${count} ids, 65536 needed`);
  }
  const u = E.subuid ?? { start: 0, count: 0 };
  const g = E.subgid ?? { start: 0, count: 0 };
  const maps = await ok(['unshare', '--map-root-user', `--map-users=${u.start},1,65536`, `--map-groups=${g.start},1,65536`,
    'cat', '/proc/self/uid_map', '/proc/self/gid_map']);
  const rows = maps.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  assert.equal(rows, [`0 ${E.uid} 1`, `1 ${u.start} 65536`, `0 ${E.gid} 1`, `1 ${g.start} 65536`]);
});

test('/dev/fuse works for the test user: fuse-overlayfs mounts in a user namespace', async () => {
  await ok(['sh', '-c', 'exec 3<>/dev/fuse']);
  const dir = session().mkdir('fuse-check');
  const out = await ok(['unshare', '--user', '--map-root-user', '--mount', 'sh', '-c',
    `cd '${dir}' && mkdir l u w m && echo lower > l/f && fuse-overlayfs -o lowerdir=l,upperdir=u,workdir=w m 2>/dev/null && cat m/f && echo up > m/g && ls u && fusermount3 -u m`]);
  assert.is(out, 'lower\ng\n');
});

test('/dev/net/tun works for the test user: a tap device in a user+network namespace', async () => {
  await ok(['sh', '-c', 'exec 3<>/dev/net/tun']);
  const out = await ok(['unshare', '--user', '--map-root-user', '--net', 'sh', '-c', 'ip tuntap add mode tap name tap0 && ip -o link show tap0']);
  assert.match(out, /tap0/);
  await ok(['slirp4netns', '--version']);
});

test.run();
