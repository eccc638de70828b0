// pull, images, inspect, history, tag, rmi, prune as the unprivileged user against the local registry:
// unpacked files, owners mapped to subordinate ids, whiteouts, platforms, corruption, concurrency.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, request, type Server } from 'node:http';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadEnv } from '../lib/env';
import { newSession, type Session } from '../lib/skiff';

const env = loadEnv();
const images = env.images;
const rootless = env.uid !== 0;
let s: Session;

/** Host uid of id `inner` in the user namespace: 0 → the user, n → subuid start + n - 1. */
function hostUid(inner: number): number {
  if (!rootless) return inner;
  return inner === 0 ? env.uid : env.subuid!.start + inner - 1;
}
function hostGid(inner: number): number {
  if (!rootless) return inner;
  return inner === 0 ? env.gid : env.subgid!.start + inner - 1;
}

async function layerDirs(session: Session, name: string): Promise<string[]> {
  const r = await session.skiff(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', name]);
  assert.is(r.code, 0, r.stderr);
  const diffIds = JSON.parse(r.stdout) as string[];
  const { createHash } = await import('node:crypto');
  const chain: string[] = [];
  for (const d of diffIds) chain.push(chain.length === 0 ? d : `sha256:${createHash('sha256').update(`${chain[chain.length - 1]} ${d}`).digest('hex')}`);
  return chain.map((c) => join(session.dataHome, 'skiff', 'layers', c.replace('sha256:', ''), 'diff'));
}

function xattr(path: string, name: string): string | undefined {
  const r = spawnSync('python3', ['-c', 'import os,sys\ntry: print(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode())\nexcept OSError: print("<none>")', path, name], { encoding: 'utf8' });
  const out = r.stdout.trim();
  return out === '<none>' ? undefined : out;
}

test.before(() => {
  s = newSession();
});

test('pull prints Docker\'s progress and result lines; a second pull is up to date', async () => {
  const r = await s.skiff(['pull', images.busybox]);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines[0], 'latest: Pulling from skiff-test/busybox');
  assert.match(r.stdout, /\n[0-9a-f]{12}: Pull complete\n/);
  assert.match(r.stdout, /\nDigest: sha256:[0-9a-f]{64}\n/);
  assert.match(r.stdout, /\nStatus: Downloaded newer image for 127\.0\.0\.1:5000\/skiff-test\/busybox:latest\n/);
  assert.is(lines[lines.length - 1], images.busybox);
  const again = await s.skiff(['pull', images.busybox]);
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stdout, /Status: Image is up to date for 127\.0\.0\.1:5000\/skiff-test\/busybox:latest/);
  assert.not.match(again.stdout, /Pull complete/);
  const quiet = await s.skiff(['pull', '-q', images.busybox]);
  assert.is(quiet.stdout, `${images.busybox}\n`);
});

test('images lists it with Docker\'s columns; inspect matches the registry\'s manifest and config', async () => {
  const r = await s.skiff(['images']);
  assert.is(r.code, 0, r.stderr);
  const [header, row] = r.stdout.split('\n');
  assert.match(header, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$/);
  assert.match(row, /^127\.0\.0\.1:5000\/skiff-test\/busybox +latest +[0-9a-f]{12} +\d+ years ago +1\.9\dMB$/);
  const sk = await s.run(['skopeo', 'inspect', '--tls-verify=false', '--config', `docker://${images.busybox}`]);
  assert.is(sk.code, 0, sk.stderr);
  const config = JSON.parse(sk.stdout);
  const raw = await s.run(['skopeo', 'inspect', '--tls-verify=false', '--raw', `docker://${images.busybox}`]);
  const { createHash } = await import('node:crypto');
  const manifestDigest = `sha256:${createHash('sha256').update(raw.stdout).digest('hex')}`;
  const info = JSON.parse((await s.skiff(['image', 'inspect', images.busybox])).stdout)[0];
  assert.equal(info.RootFS.Layers, config.rootfs.diff_ids);
  assert.equal(info.Config.Cmd, ['sh']);
  assert.equal(info.RepoTags, [images.busybox]);
  assert.equal(info.RepoDigests, [`127.0.0.1:5000/skiff-test/busybox@${manifestDigest}`]);
  assert.is(info.Architecture, 'amd64');
  assert.is(info.Os, 'linux');
  const id = JSON.parse(raw.stdout).config.digest;
  assert.is(info.Id, id);
  const q = await s.skiff(['images', '-q', '--no-trunc']);
  assert.is(q.stdout, `${id}\n`);
  const missing = await s.skiff(['image', 'inspect', 'nosuchimage']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /No such image: nosuchimage/);
});

test('unpacked busybox: files present, owned by the user (root in the namespace)', async () => {
  const [dir] = await layerDirs(s, images.busybox);
  const bb = statSync(join(dir, 'bin/busybox'));
  assert.is(bb.mode & 0o7777, 0o755);
  assert.is(bb.uid, hostUid(0));
  assert.is(readlinkSync(join(dir, 'bin/sh')), '/bin/busybox');
  assert.is(statSync(join(dir, 'tmp')).mode & 0o7777, 0o1777);
  assert.is(statSync(join(dir, 'root')).mode & 0o7777, 0o700);
});

test('on ext4 the layer store carries the top-directory flag (chattr +T), so new layers are spread', async () => {
  // Without it, a layer unpacked right after rmi freed another lands in the block group just freed,
  // which a journal-less ext4 makes quadratic (see spread_directories() in helpers/src/unpack.c).
  const store = join(s.dataHome, 'skiff', 'layers');
  const fsType = spawnSync('stat', ['-f', '-c', '%T', store], { encoding: 'utf8' }).stdout.trim();
  const attrs = spawnSync('lsattr', ['-d', store], { encoding: 'utf8' });
  const flags = attrs.stdout.split(' ')[0];
  if (fsType === 'ext2/ext3') assert.ok(flags.includes('T'), `lsattr -d ${store}: ${attrs.stdout}${attrs.stderr}`);
  else assert.not.ok(flags.includes('T'), `${fsType}: ${attrs.stdout}`);
  // Each layer is its own top directory; the files in it are not marked.
  const [dir] = await layerDirs(s, images.busybox);
  const inner = spawnSync('lsattr', ['-d', join(dir, 'bin')], { encoding: 'utf8' }).stdout.split(' ')[0];
  assert.not.ok(inner.includes('T'), inner);
});

test('the layers fixture: owners, modes, links, whiteouts and opaque dirs as overlay reads them', async () => {
  const r = await s.skiff(['pull', images.layers]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Already exists/, 'the busybox base layer is shared, not downloaded again');
  const [, l2, l3, l4] = await layerDirs(s, images.layers);
  const d2 = join(l2, 'data');
  assert.is(readFileSync(join(d2, 'keep.txt'), 'utf8'), 'keep\n');
  const owned = lstatSync(join(d2, 'owned/user1000'));
  assert.is(owned.uid, hostUid(1000));
  assert.is(owned.gid, hostGid(1000));
  assert.is(lstatSync(join(d2, 'owned/nobody')).uid, hostUid(65534));
  assert.is(lstatSync(join(d2, 'owned/nobody')).mode & 0o7777, 0o640);
  assert.is(lstatSync(join(d2, 'modes/setuid')).mode & 0o7777, 0o4755);
  assert.is(lstatSync(join(d2, 'modes/secret')).mode & 0o7777, 0o600);
  assert.is(lstatSync(join(d2, 'modes/sticky')).mode & 0o7777, 0o1777);
  assert.ok(lstatSync(join(d2, 'modes/empty-dir')).isDirectory());
  assert.is(readdirSync(join(d2, 'modes/empty-dir')).length, 0);
  const a = lstatSync(join(d2, 'hardlink/a-original'));
  const b = lstatSync(join(d2, 'hardlink/b-link'));
  assert.is(a.ino, b.ino, 'hard link shares the inode');
  assert.is(a.nlink, 2);
  assert.is(readlinkSync(join(d2, 'links/rel')), '../keep.txt');
  assert.is(readlinkSync(join(d2, 'links/abs')), '/data/keep.txt');
  assert.is(readlinkSync(join(d2, 'links/dangling')), '/nonexistent');
  assert.ok(existsSync(join(d2, 'with space/file name.txt')));
  // Layer 3: whiteouts are 0:0 character devices, the opaque dir carries overlay's xattr.
  const wh = lstatSync(join(l3, 'data/deleted.txt'));
  assert.ok(wh.isCharacterDevice(), 'whiteout is a character device');
  assert.is(wh.rdev, 0);
  assert.ok(lstatSync(join(l3, 'data/gone-dir')).isCharacterDevice());
  assert.not.ok(existsSync(join(l3, 'data/.wh.deleted.txt')), 'no .wh. file left behind');
  assert.is(xattr(join(l3, 'data/opaque'), rootless ? 'user.overlay.opaque' : 'trusted.overlay.opaque'), 'y');
  assert.not.ok(existsSync(join(l3, 'data/opaque/.wh..wh..opq')));
  assert.ok(existsSync(join(l3, 'data/opaque/new.txt')));
  assert.is(readFileSync(join(l4, 'data/replaced.txt'), 'utf8'), 'v2\n');
  const h = await s.skiff(['history', images.layers]);
  assert.is(h.code, 0, h.stderr);
  assert.is(h.stdout.trim().split('\n').length, 5, h.stdout);
  assert.match(h.stdout, /^IMAGE +CREATED +CREATED BY +SIZE +COMMENT\n/);
});

test('every transport variant of one image yields the same image id', async () => {
  const ids = new Set<string>();
  for (const ref of [images.busybox, images.busyboxV2s2, images.busyboxZstd, images.busyboxUncompressed]) {
    const r = await s.skiff(['pull', '-q', ref]);
    assert.is(r.code, 0, `${ref}: ${r.stderr}`);
    ids.add((await s.skiff(['image', 'inspect', '-f', '{{.Id}}', ref])).stdout.trim());
  }
  assert.is(ids.size, 1, [...ids].join(' '));
});

test('multi-arch index: the host platform by default, --platform linux/arm64 the other', async () => {
  const session = newSession();
  const amd = await session.skiff(['pull', images.multiarch]);
  assert.is(amd.code, 0, amd.stderr);
  const [, top] = await layerDirs(session, images.multiarch);
  assert.is(readFileSync(join(top, 'arch'), 'utf8'), 'amd64\n');
  const arm = await session.skiff(['pull', '--platform', 'linux/arm64', images.multiarch]);
  assert.is(arm.code, 0, arm.stderr);
  assert.is((await session.skiff(['image', 'inspect', '-f', '{{.Architecture}}', images.multiarch])).stdout, 'arm64\n');
  const [, armTop] = await layerDirs(session, images.multiarch);
  assert.is(readFileSync(join(armTop, 'arch'), 'utf8'), 'arm64\n');
  const none = await session.skiff(['pull', '--platform', 'linux/s390x', images.multiarch]);
  assert.is(none.code, 1);
  assert.match(none.stderr, /no matching manifest for linux\/s390x in the manifest list entries/);
});

test('errors: unknown image, bad reference, unreachable registry', async () => {
  const missing = await s.skiff(['pull', `${env.registry}/skiff-test/nope:1`]);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /manifest for 127\.0\.0\.1:5000\/skiff-test\/nope:1 not found: manifest unknown/);
  const bad = await s.skiff(['pull', 'Foo']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /invalid reference format: repository name \(library\/Foo\) must be lowercase/);
  const down = await s.skiff(['pull', '127.0.0.1:1/x:y']);
  assert.is(down.code, 1);
  assert.match(down.stderr, /127\.0\.0\.1:1/);
  assert.not.match(missing.stderr + bad.stderr + down.stderr, /\n\s+at /);
});

/** A registry proxy on 127.0.0.1 that flips a byte in layer blobs while `corrupt` is set. */
function corruptingProxy(): Promise<{ port: number; server: Server; state: { corrupt: boolean } }> {
  const state = { corrupt: true };
  const [host, port] = env.registry.split(':');
  const server = createServer((req, res) => {
    const up = request({ host, port: Number(port), path: req.url, method: req.method, headers: req.headers }, (upRes) => {
      const blob = /\/blobs\/sha256:/.test(req.url ?? '') && Number(upRes.headers['content-length'] ?? 0) > 100_000;
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      if (!blob || !state.corrupt) {
        upRes.pipe(res);
        return;
      }
      let first = true;
      upRes.on('data', (chunk: Buffer) => {
        if (first && chunk.length > 64) {
          chunk = Buffer.from(chunk);
          chunk[chunk.length - 1] ^= 0xff;
          first = false;
        }
        res.write(chunk);
      });
      upRes.on('end', () => res.end());
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done({ port: (server.address() as { port: number }).port, server, state })));
}

test('a corrupted blob fails the pull clearly and stores nothing; the next pull succeeds', async () => {
  const session = newSession();
  const proxy = await corruptingProxy();
  try {
    const ref = `127.0.0.1:${proxy.port}/skiff-test/busybox:latest`;
    const bad = await session.skiff(['pull', ref]);
    assert.is(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /sha256:[0-9a-f]{64}/, 'names the blob');
    assert.match(bad.stderr, /digest|corrupt|does not match|different content/i);
    assert.is((await session.skiff(['images', '-q'])).stdout, '');
    const layers = join(session.dataHome, 'skiff', 'layers');
    const left = existsSync(layers) ? readdirSync(layers).filter((n) => n !== 'locks') : [];
    assert.equal(left, [], `layer store after the failed pull: ${left.join(' ')}`);
    proxy.state.corrupt = false;
    const good = await session.skiff(['pull', ref]);
    assert.is(good.code, 0, good.stderr);
    assert.match(good.stdout, /Pull complete/);
  } finally {
    proxy.server.close();
  }
});

test('concurrent pulls of one image both succeed and store each layer once', async () => {
  const session = newSession();
  const [a, b] = await Promise.all([session.skiff(['pull', '-q', images.layers]), session.skiff(['pull', '-q', images.layers])]);
  assert.is(a.code, 0, a.stderr);
  assert.is(b.code, 0, b.stderr);
  const layers = readdirSync(join(session.dataHome, 'skiff', 'layers')).filter((n) => /^[0-9a-f]{64}$/.test(n));
  assert.is(layers.length, 4);
  assert.is((await session.skiff(['images', '-q'])).stdout.trim().split('\n').length, 1);
});

test('tag and rmi: a name untags, an id with several names needs -f, the last removal frees layers', async () => {
  const session = newSession();
  assert.is((await session.skiff(['pull', '-q', images.busybox])).code, 0);
  const tagged = await session.skiff(['tag', images.busybox, 'mine/bb:1']);
  assert.is(tagged.code, 0, tagged.stderr);
  const list = await session.skiff(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assert.equal(list.stdout.trim().split('\n').sort(), [`${images.busybox}`, 'mine/bb:1'].sort());
  const id = (await session.skiff(['image', 'inspect', '-f', '{{.Id}}', 'mine/bb:1'])).stdout.trim();
  const conflict = await session.skiff(['rmi', id.slice(7, 19)]);
  assert.is(conflict.code, 1);
  assert.match(conflict.stderr, /unable to delete [0-9a-f]{12} \(must be forced\) - image is referenced in multiple repositories/);
  const untag = await session.skiff(['rmi', 'mine/bb:1']);
  assert.is(untag.code, 0, untag.stderr);
  assert.is(untag.stdout, 'Untagged: mine/bb:1\n');
  const badTag = await session.skiff(['tag', images.busybox, 'Bad/Name']);
  assert.is(badTag.code, 1);
  assert.match(badTag.stderr, /Error parsing reference: "Bad\/Name" is not a valid repository\/tag/);
  const gone = await session.skiff(['rmi', images.busybox]);
  assert.is(gone.code, 0, gone.stderr);
  assert.match(gone.stdout, /^Untagged: 127\.0\.0\.1:5000\/skiff-test\/busybox:latest\nUntagged: 127\.0\.0\.1:5000\/skiff-test\/busybox@sha256:[0-9a-f]{64}\nDeleted: sha256:[0-9a-f]{64}\n$/);
  const layers = join(session.dataHome, 'skiff', 'layers');
  assert.equal(readdirSync(layers).filter((n) => /^[0-9a-f]{64}$/.test(n)), [], 'layers freed');
  const blobs = join(session.dataHome, 'skiff', 'content', 'blobs', 'sha256');
  assert.equal(existsSync(blobs) ? readdirSync(blobs).filter((n) => !n.startsWith('.')) : [], [], 'blobs freed');
  const missing = await session.skiff(['rmi', 'nothere']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /No such image: nothere:latest/);
});

test('images filters: dangling, reference; image prune -f removes dangling images', async () => {
  const session = newSession();
  assert.is((await session.skiff(['pull', '-q', images.multiarch])).code, 0);
  assert.is((await session.skiff(['pull', '-q', '--platform', 'linux/arm64', images.multiarch])).code, 0);
  const dangling = await session.skiff(['images', '-f', 'dangling=true', '--format', '{{.Repository}} {{.Tag}}']);
  assert.is(dangling.stdout, '<none> <none>\n');
  const ref = await session.skiff(['images', '--filter', 'reference=*/skiff-test/multi*', '-q']);
  assert.is(ref.stdout.trim().split('\n').length, 1);
  const pruned = await session.skiff(['image', 'prune', '-f']);
  assert.is(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, /^Deleted Images:\ndeleted: sha256:[0-9a-f]{64}\n\nTotal reclaimed space: \S+\n$/);
  assert.is((await session.skiff(['images', '-q'])).stdout.trim().split('\n').length, 1);
});

test('image prune --filter until and label decide what goes; a bad filter removes nothing', async () => {
  const session = newSession();
  assert.is((await session.skiff(['pull', '-q', images.busybox])).code, 0);
  const created = Date.parse((await session.skiff(['image', 'inspect', '--format', '{{.Created}}', images.busybox])).stdout.trim());
  const count = async () => (await session.skiff(['images', '-q'])).stdout.trim().split('\n').filter(Boolean).length;
  // docker image prune -a -f --filter foo=bar: "Invalid filter 'foo'", exit 1
  const bad = await session.skiff(['image', 'prune', '-a', '-f', '--filter', 'foo=bar']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /Invalid filter 'foo'/);
  // The fixture has no labels: label=x matches nothing. until = its creation time: not created before it.
  for (const f of ['label=x', `until=${new Date(created).toISOString()}`]) {
    const r = await session.skiff(['image', 'prune', '-a', '-f', '--filter', f]);
    assert.equal([r.code, r.stdout], [0, 'Total reclaimed space: 0B\n'], `${f}: ${r.stderr}`);
    assert.is(await count(), 1, f);
  }
  const later = await session.skiff(['image', 'prune', '-a', '-f', '--filter', `until=${new Date(created + 1000).toISOString()}`, '--filter', 'label!=x']);
  assert.match(later.stdout, /^Deleted Images:\nuntagged: /, later.stderr);
  assert.is(await count(), 0);
});

test('registries.json mirrors: a broken mirror is skipped, a working one serves the pull', async () => {
  const session = newSession();
  const { relative } = await import('node:path');
  session.writeFile(join(relative(session.dir, session.configHome), 'skiff', 'registries.json'),
    JSON.stringify({ mirrors: { 'mirror.skiff.invalid': ['http://127.0.0.1:1', `http://${env.registry}`] } }));
  const r = await session.skiff(['pull', 'mirror.skiff.invalid/skiff-test/busybox:latest']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Status: Downloaded newer image for mirror\.skiff\.invalid\/skiff-test\/busybox:latest/);
  assert.is((await session.skiff(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout, 'mirror.skiff.invalid/skiff-test/busybox:latest\n');
  // Without the mirror the name does not resolve: the registry's own error is reported.
  const plain = await newSession().skiff(['pull', 'mirror.skiff.invalid/skiff-test/busybox:latest']);
  assert.is(plain.code, 1);
  assert.match(plain.stderr, /mirror\.skiff\.invalid/);
});

test('on a terminal, pull redraws one line per layer in place', async () => {
  const session = newSession();
  const script = `
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk: break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;
  const { skiffBinary } = await import('../lib/skiff');
  const r = await session.run(['python3', '-c', script, skiffBinary(), 'pull', images.layers], { timeoutMs: 60_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\x1b\[\d+A/, 'moves the cursor up to redraw a layer line');
  assert.match(r.stdout, /[0-9a-f]{12}: Pull complete/);
  assert.match(r.stdout, /Status: Downloaded newer image for 127\.0\.0\.1:5000\/skiff-test\/layers:latest/);
});

test('pull -a pulls every tag of the repository', async () => {
  const session = newSession();
  const r = await session.skiff(['pull', '-a', '-q', `${env.registry}/skiff-test/busybox`]);
  assert.is(r.code, 0, r.stderr);
  const tags = (await session.skiff(['images', '--format', '{{.Tag}}', `${env.registry}/skiff-test/busybox`])).stdout.trim().split('\n').sort();
  assert.equal(tags, ['latest', 'uncompressed', 'v2s2', 'zstd']);
  const bad = await session.skiff(['pull', '-a', images.busybox]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /tag can't be used with --all-tags\/-a/);
});

test.run();
