// save, load and import through the CLI as the unprivileged user: round trips that keep ids, tags and unpacked files,
// several images per archive, OCI archives, gzip, archives written by skopeo, and import from a file, stdin and http.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as tar from 'tar';
import { loadEnv } from '../lib/env';
import { newSession, skiffBinary, type Session } from '../lib/skiff';

const E = loadEnv();
const { busybox, layers } = E.images;
let s: Session;

test.before(() => {
  // Its own data dir: these tests remove images, which must not pull the rug from under other test files.
  s = newSession();
});

async function ok(args: string[], input?: Buffer): Promise<string> {
  const r = await s.skiff(args, input ? { input } : {});
  assert.is(r.code, 0, `skiff ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

async function inspect(name: string): Promise<{ Id: string; RepoTags: string[]; RootFS: { Layers: string[] }; Comment: string; Config: Record<string, unknown>; Created: string }> {
  const [image] = JSON.parse(await ok(['image', 'inspect', name]));
  return image;
}

async function exists(name: string): Promise<boolean> {
  return (await s.skiff(['image', 'inspect', '--format', '{{.Id}}', name])).code === 0;
}

/** The store's layer directories of an image, bottom first (chain IDs from the diffIDs inspect reports). */
function layerDirs(diffIds: string[]): string[] {
  const chain: string[] = [];
  for (const d of diffIds) chain.push(chain.length === 0 ? d : `sha256:${createHash('sha256').update(`${chain[chain.length - 1]} ${d}`).digest('hex')}`);
  return chain.map((c) => join(s.dataHome, 'skiff', 'layers', c.replace('sha256:', ''), 'diff'));
}

/** Every entry of a directory tree: type, mode, owner, size, link target, content hash (when readable). */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const path = join(dir, rel);
    const st = lstatSync(path);
    let extra = '';
    if (st.isSymbolicLink()) extra = `-> ${readlinkSync(path)}`;
    else if (st.isFile()) {
      try {
        extra = createHash('sha256').update(readFileSync(path)).digest('hex');
      } catch {
        extra = 'unreadable';
      }
    }
    out.push(`${rel || '.'} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.isFile() ? st.size : ''} ${st.rdev} ${extra}`);
    if (st.isDirectory()) for (const name of readdirSync(path).sort()) walk(rel ? `${rel}/${name}` : name);
  };
  walk('');
  return out;
}

function unpackedFiles(diffIds: string[]): string[][] {
  return layerDirs(diffIds).map((d) => {
    assert.ok(existsSync(d), `layer dir ${d} exists`);
    return snapshot(d);
  });
}

function entriesOf(file: string): string[] {
  const names: string[] = [];
  tar.t({ file, sync: true, onReadEntry: (e) => { names.push(e.path.replace(/\/$/, '')); } });
  return names;
}

function member(file: string, name: string): string {
  const r = spawnSync('tar', ['-xOf', file, name], { encoding: 'utf8' });
  assert.is(r.status, 0, `tar -xOf ${file} ${name}: ${r.stderr}`);
  return r.stdout;
}

function archivePath(name: string): string {
  return join(s.mkdir('archives'), name);
}

// ---------------------------------------------------------------------------------------------
// save → rmi → load
// ---------------------------------------------------------------------------------------------

test('pull → save (two images) → rmi → load: same ids, tags, layers and unpacked files', async () => {
  await ok(['pull', '-q', busybox]);
  await ok(['pull', '-q', layers]);
  const before = { busybox: await inspect(busybox), layers: await inspect(layers) };
  const files = { busybox: unpackedFiles(before.busybox.RootFS.Layers), layers: unpackedFiles(before.layers.RootFS.Layers) };
  assert.ok(files.layers.length === 4 && files.layers.every((entries) => entries.length > 1), 'four non-empty layers to compare');

  const file = archivePath('two.tar');
  assert.is(await ok(['save', '-o', file, busybox, layers]), '');
  const names = entriesOf(file);
  for (const n of ['manifest.json', 'index.json', 'oci-layout', 'repositories']) assert.ok(names.includes(n), `${n} in ${names.join(' ')}`);
  const manifest = JSON.parse(member(file, 'manifest.json')) as Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
  assert.equal(manifest.map((m) => m.RepoTags), [[busybox], [layers]]);
  assert.equal(manifest.map((m) => m.Config), [before.busybox.Id, before.layers.Id].map((id) => `blobs/sha256/${id.slice(7)}`));
  assert.is(manifest[1]!.Layers.length, before.layers.RootFS.Layers.length);
  // The shared bottom layer is in the archive once.
  assert.is(names.filter((n) => n === manifest[0]!.Layers[0]).length, 1);

  const rmi = await s.skiff(['rmi', busybox, layers]);
  assert.is(rmi.code, 0, rmi.stderr);
  assert.not.ok(await exists(busybox));
  for (const d of layerDirs(before.layers.RootFS.Layers)) assert.not.ok(existsSync(d), `layer ${d} removed by rmi`);

  const loaded = await ok(['load', '-i', file]);
  assert.match(loaded, new RegExp(`(^|\\n)Loaded image: ${busybox.replace(/[.]/g, '\\.')}\\nLoaded image: ${layers.replace(/[.]/g, '\\.')}\\n$`));
  const after = { busybox: await inspect(busybox), layers: await inspect(layers) };
  for (const key of ['busybox', 'layers'] as const) {
    assert.is(after[key].Id, before[key].Id);
    assert.equal(after[key].RepoTags, before[key].RepoTags);
    assert.equal(after[key].RootFS, before[key].RootFS);
    assert.equal(unpackedFiles(after[key].RootFS.Layers), files[key], `unpacked files of ${key}`);
  }
  // Saving again gives the same bytes: the archive is reproducible.
  const again = archivePath('two-again.tar');
  await ok(['save', '-o', again, busybox, layers]);
  assert.ok(readFileSync(again).equals(readFileSync(file)));
});

test('load -q prints only the result; loading what is there already changes nothing', async () => {
  const file = archivePath('bb.tar');
  await ok(['save', '--output', file, busybox]);
  const id = (await inspect(busybox)).Id;
  assert.is(await ok(['load', '-q', '-i', file]), `Loaded image: ${busybox}\n`);
  assert.is((await inspect(busybox)).Id, id);
});

test('save of a repository name takes all its tags; by id the image has no tags', async () => {
  await ok(['tag', busybox, 'skiff-archive/bb:one']);
  await ok(['tag', busybox, 'skiff-archive/bb:two']);
  const file = archivePath('repo.tar');
  await ok(['save', '-o', file, 'skiff-archive/bb']);
  const manifest = JSON.parse(member(file, 'manifest.json')) as Array<{ RepoTags: string[] | null }>;
  assert.equal(manifest.map((m) => m.RepoTags), [['skiff-archive/bb:one', 'skiff-archive/bb:two']]);
  const index = JSON.parse(member(file, 'index.json')) as { manifests: Array<{ annotations?: Record<string, string> }> };
  assert.equal(index.manifests.map((m) => m.annotations?.['io.containerd.image.name']), ['docker.io/skiff-archive/bb:one', 'docker.io/skiff-archive/bb:two']);

  const id = (await inspect(busybox)).Id;
  const byId = archivePath('byid.tar');
  await ok(['save', '-o', byId, id.slice(7, 19)]);
  assert.equal((JSON.parse(member(byId, 'manifest.json')) as Array<{ RepoTags: unknown }>)[0]!.RepoTags, null);
  assert.not.ok(entriesOf(byId).includes('repositories'));
  await ok(['rmi', 'skiff-archive/bb:one', 'skiff-archive/bb:two']);
  assert.is(await ok(['load', '-i', byId]), `Loaded image ID: ${id}\n`);
});

test('save of a missing image fails with Docker\'s words and writes nothing', async () => {
  const file = archivePath('missing.tar');
  const tagged = await s.skiff(['save', '-o', file, busybox, 'skiff-archive/nosuch:tag']);
  assert.is(tagged.code, 1);
  assert.match(tagged.stderr, /reference does not exist/);
  const bare = await s.skiff(['save', '-o', file, 'skiff-archive/nosuch']);
  assert.is(bare.code, 1);
  assert.match(bare.stderr, /No such image: skiff-archive\/nosuch/);
  assert.not.ok(existsSync(file) && readFileSync(file).length > 0, 'no archive written');
});

test('--format oci-archive: an OCI layout with names in annotations, loaded back with its tags', async () => {
  const before = await inspect(layers);
  const file = archivePath('oci.tar');
  await ok(['save', '--format', 'oci-archive', '-o', file, layers]);
  const names = entriesOf(file);
  assert.ok(names.includes('index.json') && names.includes('oci-layout'));
  assert.not.ok(names.includes('manifest.json'), 'no docker manifest.json');
  const index = JSON.parse(member(file, 'index.json')) as { manifests: Array<{ mediaType: string; digest: string; annotations: Record<string, string> }> };
  assert.is(index.manifests.length, 1);
  assert.equal(index.manifests[0]!.annotations, { 'io.containerd.image.name': layers, 'org.opencontainers.image.ref.name': 'latest' });
  const ociManifest = JSON.parse(member(file, `blobs/sha256/${index.manifests[0]!.digest.slice(7)}`)) as { config: { digest: string } };
  assert.is(ociManifest.config.digest, before.Id);
  // skopeo reads it as an OCI archive.
  const sk = await s.run(['skopeo', '--insecure-policy', 'inspect', '--config', `oci-archive:${file}`]);
  assert.is(sk.code, 0, sk.stderr);
  assert.equal(JSON.parse(sk.stdout).rootfs.diff_ids, before.RootFS.Layers);

  await ok(['rmi', layers]);
  assert.match(await ok(['load', '-i', file]), /Loaded image: 127\.0\.0\.1:5000\/skiff-test\/layers:latest\n$/);
  const after = await inspect(layers);
  assert.is(after.Id, before.Id);
  assert.equal(after.RootFS, before.RootFS);
});

test('a gzip-compressed archive loads, from a file and from stdin', async () => {
  const plain = archivePath('gz-source.tar');
  await ok(['save', '-o', plain, busybox]);
  const id = (await inspect(busybox)).Id;
  const gz = gzipSync(readFileSync(plain));
  const file = s.writeFile('archives/bb.tar.gz', gz);
  await ok(['rmi', busybox]);
  assert.match(await ok(['load', '-i', file]), /Loaded image: 127\.0\.0\.1:5000\/skiff-test\/busybox:latest\n$/);
  assert.is((await inspect(busybox)).Id, id);
  await ok(['rmi', busybox]);
  assert.match(await ok(['load'], gz), /Loaded image: 127\.0\.0\.1:5000\/skiff-test\/busybox:latest\n$/);
  assert.is((await inspect(busybox)).Id, id);
});

test('an archive written by skopeo (docker-archive, symlinked layer.tar) loads, and saves again', async () => {
  const file = archivePath('skopeo.tar');
  const name = '127.0.0.1:5000/skiff-archive/from-skopeo:v1';
  const copy = await s.run(['skopeo', '--insecure-policy', 'copy', '-q', '--src-tls-verify=false', `docker://${layers}`, `docker-archive:${file}:${name}`]);
  assert.is(copy.code, 0, copy.stderr);
  assert.ok(entriesOf(file).some((n) => n.endsWith('/layer.tar')), 'the legacy layout');
  // Without the pulled image, so that the load stores the archive's own (uncompressed) layers; the bottom layer stays
  // unpacked for busybox, so that one is only checked and stored as a blob.
  const pulled = await inspect(layers);
  await ok(['rmi', layers]);
  assert.is(await ok(['load', '-i', file]), `Loaded image: ${name}\n`);
  const loaded = await inspect(name);
  assert.is(loaded.Id, pulled.Id, 'skopeo keeps the config, so the id');
  assert.equal(loaded.RootFS, pulled.RootFS);
  // Its layers came uncompressed and without a manifest: it can still be saved, and read back by skopeo.
  const resaved = archivePath('resaved.tar');
  await ok(['save', '-o', resaved, name]);
  const sk = await s.run(['skopeo', '--insecure-policy', 'inspect', '--config', `docker-archive:${resaved}`]);
  assert.is(sk.code, 0, sk.stderr);
  assert.equal(JSON.parse(sk.stdout).rootfs.diff_ids, loaded.RootFS.Layers);
});

test('load refuses what is not an image archive, saying why', async () => {
  const garbage = s.writeFile('archives/garbage.tar', 'not an archive\n'.repeat(100));
  const r = await s.skiff(['load', '-i', garbage]);
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /invalid archive: the input is not a tar archive/);
  const plain = join(s.mkdir('archives/plain'), 'hello.txt');
  writeFileSync(plain, 'hi\n');
  const notImage = archivePath('not-image.tar');
  await tar.c({ cwd: join(s.dir, 'archives', 'plain'), file: notImage }, ['hello.txt']);
  s.chownToUser(notImage);
  const r2 = await s.skiff(['load', '-i', notImage]);
  assert.is.not(r2.code, 0);
  assert.match(r2.stderr, /neither manifest\.json \(docker archive\) nor index\.json \(OCI archive\)/);
});

// ---------------------------------------------------------------------------------------------
// import
// ---------------------------------------------------------------------------------------------

/** A small root filesystem tarball (as `tar -C rootfs -c .` makes it), and the diffID import must report. */
function rootfsTarball(): { tar: Buffer; diffId: string } {
  const dir = mkdtempSync(join(E.tmpDir, 'skiff-import-rootfs-'));
  try {
    mkdirSync(join(dir, 'etc'));
    writeFileSync(join(dir, 'etc', 'hello.txt'), 'hello from import\n', { mode: 0o640 });
    mkdirSync(join(dir, 'bin'));
    symlinkSync('../etc/hello.txt', join(dir, 'bin', 'hello'));
    const r = spawnSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', dir, '-cf', '-', '.'], { maxBuffer: 1 << 24 });
    assert.is(r.status, 0, String(r.stderr));
    return { tar: r.stdout, diffId: `sha256:${createHash('sha256').update(r.stdout).digest('hex')}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function idLine(stdout: string): string {
  const last = stdout.trim().split('\n').pop() ?? '';
  assert.match(last, /^sha256:[0-9a-f]{64}$/);
  return last;
}

test('import a tarball file with -c and -m: config, comment, history and files as Docker sets them', async () => {
  const { tar: tarball, diffId } = rootfsTarball();
  const file = s.writeFile('archives/rootfs.tar', tarball);
  const out = await ok(['import', '-c', 'CMD ["sh"]', '-c', 'ENV A=1', '-c', 'WORKDIR /etc', '-m', 'made by a test', file, 'skiff-archive/imported:v1']);
  const id = idLine(out);
  const image = await inspect('skiff-archive/imported:v1');
  assert.is(image.Id, id);
  assert.equal(image.RepoTags, ['skiff-archive/imported:v1']);
  assert.equal(image.RootFS.Layers, [diffId]);
  assert.is(image.Comment, 'made by a test');
  assert.equal(image.Config.Cmd, ['sh']);
  assert.equal(image.Config.Env, ['A=1']);
  assert.is(image.Config.WorkingDir, '/etc');
  assert.ok(Date.now() - Date.parse(image.Created) < 10 * 60_000, `created now, not ${image.Created}`);
  const history = await ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', 'skiff-archive/imported:v1']);
  assert.is(history, '|made by a test\n');
  const [dir] = layerDirs(image.RootFS.Layers);
  assert.is(readFileSync(join(dir!, 'etc', 'hello.txt'), 'utf8'), 'hello from import\n');
  assert.is(readlinkSync(join(dir!, 'bin', 'hello')), '../etc/hello.txt');
  // An imported image saves and loads like any other.
  const archive = archivePath('imported.tar');
  await ok(['save', '-o', archive, 'skiff-archive/imported:v1']);
  await ok(['rmi', 'skiff-archive/imported:v1']);
  assert.is(await ok(['load', '-q', '-i', archive]), 'Loaded image: skiff-archive/imported:v1\n');
  assert.is((await inspect('skiff-archive/imported:v1')).Id, id);
});

test('import - reads stdin; without -m the comment is "Imported from -"; gzip is accepted', async () => {
  const { tar: tarball, diffId } = rootfsTarball();
  const id = idLine(await ok(['import', '-', 'skiff-archive/stdin'], gzipSync(tarball)));
  const image = await inspect('skiff-archive/stdin:latest');
  assert.is(image.Id, id);
  assert.equal(image.RootFS.Layers, [diffId]);
  assert.is(image.Comment, 'Imported from -');
  // Without a name the image is dangling, found by its id.
  const bare = idLine(await ok(['import', '-c', 'USER nobody', '-'], tarball));
  const dangling = await inspect(bare);
  assert.equal(dangling.RepoTags, []);
  assert.is(dangling.Config.User, 'nobody');
});

test('the README quick start: a rootfs made in a private temp dir imports and runs', async () => {
  // install.sh's first container: mktemp -d gives the rootfs root mode 0700 and the user's own ids,
  // so the unpacked layer's root is a directory the user cannot search outside the namespace.
  const script = [
    'set -e',
    'rootfs=$(mktemp -d)',
    'mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp"',
    'cp "$(command -v busybox)" "$rootfs/bin/busybox"',
    'ln -s busybox "$rootfs/bin/sh"',
    `printf 'root:x:0:0:root:/root:/bin/sh\\n' >"$rootfs/etc/passwd"`,
    `tar -C "$rootfs" -c . | "$SKIFF" import -c 'CMD ["sh"]' - skiff-archive/quickstart:latest >/dev/null`,
    'rm -rf "$rootfs"',
    `"$SKIFF" run --rm skiff-archive/quickstart:latest sh -c 'echo hello from $(busybox uname -s)'`,
  ].join('\n');
  const r = await s.run(['sh', '-c', script], { env: { SKIFF: skiffBinary() } });
  assert.equal([r.code, r.stdout], [0, 'hello from Linux\n'], r.stderr);
});

test('import from an http URL served on 127.0.0.1; a 404 fails with the status', async () => {
  const { tar: tarball, diffId } = rootfsTarball();
  const gz = gzipSync(tarball);
  assert.ok(gunzipSync(gz).equals(tarball));
  const server: Server = createServer((req, res) => {
    if (req.url === '/rootfs.tar.gz') {
      res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': gz.length });
      res.end(gz);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('no such file\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const url = `http://127.0.0.1:${port}/rootfs.tar.gz`;
    const id = idLine(await ok(['import', '-c', 'CMD ["sh"]', '-c', 'ENV A=1', '-m', 'from the web', url, 'skiff-archive/url:v2']));
    const image = await inspect('skiff-archive/url:v2');
    assert.is(image.Id, id);
    assert.equal(image.RootFS.Layers, [diffId]);
    assert.is(image.Comment, 'from the web');
    assert.equal(image.Config.Cmd, ['sh']);
    assert.equal(image.Config.Env, ['A=1']);
    const plain = idLine(await ok(['import', url]));
    assert.is((await inspect(plain)).Comment, `Imported from ${url}`);
    const missing = await s.skiff(['import', `http://127.0.0.1:${port}/nope.tar`]);
    assert.is.not(missing.code, 0);
    assert.match(missing.stderr, /failed to GET http:\/\/127\.0\.0\.1:\d+\/nope\.tar with status 404/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('import -c refuses instructions Docker refuses, with Docker\'s words, before reading the input', async () => {
  const { tar: tarball } = rootfsTarball();
  const run = await s.skiff(['import', '-c', 'RUN ls', '-'], { input: tarball });
  assert.is(run.code, 1);
  assert.match(run.stderr, /run is not a valid change command/);
  const env = await s.skiff(['import', '-c', 'ENV A', '-'], { input: tarball });
  assert.is(env.code, 1);
  assert.match(env.stderr, /ENV must have two arguments/);
  const digest = await s.skiff(['import', '-', `x@sha256:${'a'.repeat(64)}`], { input: tarball });
  assert.is(digest.code, 1);
  assert.match(digest.stderr, /cannot import digest reference/);
});

test.run();
