// Containers whose root is mounted with fuse-overlayfs: the fallback where the kernel refuses its
// overlay (made to refuse here by a data root on overlayfs, which overlay will not take as an upper
// dir), and on request (--storage-opt overlay.mount_program, as Podman's).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnv } from '../lib/env';
import { inspect, until } from '../lib/wait';
import { isRoot, newSession, type Session } from '../lib/skiff';

const env = loadEnv();
const bb = env.images.busybox;
const fuse = ['--storage-opt', 'overlay.mount_program=/usr/bin/fuse-overlayfs'];
let s: Session;

test.before(async () => {
  s = newSession();
  await s.pull(bb);
});

test.after(() => s.removeAllContainers());

/** fuse-overlayfs daemons serving container `id` (its upper dir is in the daemon's arguments). */
function daemonsFor(id: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.startsWith('/usr/bin/fuse-overlayfs') && cmd.includes(id)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

test('where the kernel refuses its overlay, the root is mounted with fuse-overlayfs instead', async () => {
  // Making the kernel refuse takes a mount, which takes root: CI runs the suite as root.
  if (!isRoot()) {
    process.stderr.write('[fuse-overlay] not root: the fallback test needs to mount an overlayfs; it runs in CI\n');
    return;
  }
  // A private runtime dir: its user-namespace pause process starts after this mount, so sees it.
  const o = newSession({ privateRuntime: true });
  const base = o.mkdir('ovl');
  for (const d of ['lower', 'upper', 'work', 'merged']) mkdirSync(join(base, d));
  const merged = join(base, 'merged');
  const mounted = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${base}/lower,upperdir=${base}/upper,workdir=${base}/work`, merged], { encoding: 'utf8' });
  assert.is(mounted.status, 0, mounted.stderr);
  const root = ['--root', join(merged, 'data')];
  try {
    chownSync(merged, env.uid, env.gid);
    assert.is((await o.skiff([...root, 'pull', '-q', bb])).code, 0);
    const r = await o.skiff([...root, 'run', '--rm', bb, 'sh', '-c', 'grep " / " /proc/mounts; echo written > /f; cat /f']);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /^fuse-overlayfs \/ fuse\.fuse-overlayfs .*\nwritten\n$/);
  } finally {
    const left = (await o.skiff([...root, 'ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (left.length) await o.skiff([...root, 'rm', '-f', ...left]);
    spawnSync('umount', ['-l', merged]);
  }
});

test('the root is a fuse-overlayfs mount, readable by any user, and its daemon ends with the container', async () => {
  const r = await s.skiff([...fuse, 'run', '--name', 'fuse-root', bb, 'sh', '-c', 'grep " / " /proc/mounts']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^fuse-overlayfs \/ fuse\.fuse-overlayfs /);
  const id = await inspect(s, 'fuse-root', '{{.Id}}');
  await until(async () => daemonsFor(id).length === 0, 10_000, 'the fuse-overlayfs daemon to exit');
  const u = await s.skiff([...fuse, 'run', '--rm', '-u', '1000:1000', bb, 'sh', '-c', 'head -1 /etc/passwd; id -u']);
  assert.is(u.code, 0, u.stderr);
  assert.is(u.stdout, 'root:x:0:0:root:/root:/bin/sh\n1000\n');
  assert.is((await s.skiff(['rm', 'fuse-root'])).code, 0);
});

test('changes and deletions persist across restarts, which keep using fuse-overlayfs', async () => {
  const script = 'grep -q " / fuse" /proc/mounts || echo not-fuse; if [ -e /new ]; then cat /new; ls /bin/ls 2>&1; else rm /bin/ls; echo kept > /new; fi';
  const first = await s.skiff([...fuse, 'run', '--name', 'fuse-keep', bb, 'sh', '-c', script]);
  assert.is(first.code, 0, first.stderr);
  assert.is(first.stdout, '');
  // start has no --storage-opt: the container's bundle remembers how its root is mounted.
  const again = await s.skiff(['start', '-a', 'fuse-keep']);
  assert.is(again.stdout, 'kept\nls: /bin/ls: No such file or directory\n');
  const id = await inspect(s, 'fuse-keep', '{{.Id}}');
  assert.is((await s.skiff(['rm', 'fuse-keep'])).code, 0);
  assert.not.ok(existsSync(join(s.dataHome, 'skiff', 'containers', id)), 'container directory removed');
});

test('a container whose monitor was killed: rm -f removes it, its mount and its daemon', async () => {
  const d = await s.skiff([...fuse, 'run', '-d', '--name', 'fuse-orphan', bb, 'sleep', '300']);
  assert.is(d.code, 0, d.stderr);
  const id = d.stdout.trim();
  assert.is(daemonsFor(id).length, 1);
  const monitorPid = Number(readFileSync(join(s.runtimeDir, 'skiff', 'containers', id, 'monitor.pid'), 'utf8').split(/\s+/)[0]);
  process.kill(monitorPid, 'SIGKILL');
  await until(async () => (await inspect(s, id, '{{.State.Status}}')) === 'exited', 5000, 'exited');
  const rm = await s.skiff(['rm', '-f', id]);
  assert.is(rm.code, 0, rm.stderr);
  assert.not.ok(existsSync(join(s.dataHome, 'skiff', 'containers', id)), 'container directory removed');
  await until(async () => daemonsFor(id).length === 0, 10_000, 'the fuse-overlayfs daemon to exit');
});

test('the mount of a killed monitor is replaced, not stacked, when the container starts again', async () => {
  const d = await s.skiff([...fuse, 'run', '-d', '--name', 'fuse-again', bb, 'sleep', '300']);
  assert.is(d.code, 0, d.stderr);
  const id = d.stdout.trim();
  const monitorPid = Number(readFileSync(join(s.runtimeDir, 'skiff', 'containers', id, 'monitor.pid'), 'utf8').split(/\s+/)[0]);
  process.kill(monitorPid, 'SIGKILL');
  await until(async () => (await inspect(s, id, '{{.State.Status}}')) === 'exited', 5000, 'exited');
  assert.is((await s.skiff(['start', 'fuse-again'])).code, 0);
  // The old daemon exits once its mount is detached; one serves the container from then on.
  await until(async () => daemonsFor(id).length === 1, 10_000, 'one fuse-overlayfs daemon');
  assert.is(await inspect(s, id, '{{.State.Status}}'), 'running');
  assert.is((await s.skiff(['rm', '-f', id])).code, 0);
  await until(async () => daemonsFor(id).length === 0, 10_000, 'the fuse-overlayfs daemon to exit');
});

test('--storage-opt errors name the option and the way out', async () => {
  const unknown = await s.skiff(['--storage-opt', 'overlay.size=1G', 'run', '--rm', bb, 'true']);
  assert.is(unknown.code, 125);
  assert.match(unknown.stderr, /unknown storage option "overlay\.size": skiff knows overlay\.mount_program=PATH/);
  const relative = await s.skiff(['--storage-opt', 'overlay.mount_program=fuse-overlayfs', 'run', '--rm', bb, 'true']);
  assert.is(relative.code, 125);
  assert.match(relative.stderr, /not an absolute path/);
  const missing = await s.skiff(['--storage-opt', 'overlay.mount_program=/nonexistent/fuse-overlayfs', 'run', '--rm', bb, 'true']);
  assert.is(missing.code, 125);
  assert.match(missing.stderr, /\/nonexistent\/fuse-overlayfs: no such file/);
  // Checked before the command runs, whatever the command.
  const ps = await s.skiff(['--storage-opt', 'size=1G', 'ps']);
  assert.is(ps.code, 125);
  assert.match(ps.stderr, /unknown storage option "size"/);
  const failing = await s.skiff(['--storage-opt', 'overlay.mount_program=/bin/false', 'run', '--rm', bb, 'true']);
  assert.is(failing.code, 125);
  assert.match(failing.stderr, /^Error: mount overlay on \S+\/rootfs with \/bin\/false: exited 1\n$/);
  assert.is((await s.skiff(['ps', '-aq'])).stdout, '', 'nothing created');
});

test.run();
