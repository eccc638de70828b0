// gatherHostFacts on this very machine, checked against what other tools observe (statfs, shell, /etc files).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync, statfsSync } from 'node:fs';
import { hostname, release } from 'node:os';
import { resolve } from 'node:path';
import { gatherHostFacts, type HostFacts } from '../../../src/system/host';
import { canRunContainers, diagnose } from '../../../src/system/doctor';

const CGROUP2_SUPER_MAGIC = 0x63677270;
const repo = resolve(__dirname, '..', '..', '..', '..');
const helper = resolve(repo, 'helpers', 'skiff-helper');

let facts: HostFacts;

test.before(async () => {
  facts = await gatherHostFacts({ paths: { data: '/tmp' } });
});

function observedCgroupVersion(): string {
  const isCgroup2 = (p: string) => {
    try {
      return statfsSync(p).type === CGROUP2_SUPER_MAGIC;
    } catch {
      return false;
    }
  };
  if (isCgroup2('/sys/fs/cgroup')) return 'v2';
  if (isCgroup2('/sys/fs/cgroup/unified')) return 'hybrid';
  return existsSync('/sys/fs/cgroup/memory') || existsSync('/sys/fs/cgroup/cpu') ? 'v1' : 'none';
}

test('identity, kernel and distribution agree with the system', () => {
  assert.is(facts.uid, process.getuid!());
  assert.is(facts.rootless, process.getuid!() !== 0);
  assert.is(facts.kernel, release());
  assert.is(facts.hostname, hostname());
  assert.is(facts.architecture, execFileSync('uname', ['-m']).toString().trim());
  const id = /^ID="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  assert.is(facts.os.id, id);
  if (id === 'debian') assert.is(facts.distro, 'debian');
  if (process.getuid!() === 0) assert.is(facts.user, 'root');
  assert.is(facts.storage.dir, '/tmp');
  assert.ok(facts.storage.backingFilesystem !== '');
});

test('the cgroup layout agrees with statfs (hybrid on the build machines)', () => {
  assert.is(facts.cgroup.version, observedCgroupVersion());
  if (facts.cgroup.version === 'hybrid') {
    assert.is(facts.cgroup.unifiedMount, '/sys/fs/cgroup/unified');
    assert.ok(facts.cgroup.v1Controllers.includes('memory'));
    assert.not.ok(facts.cgroup.delegation?.controllers.includes('memory'), 'memory belongs to its v1 hierarchy');
    const c = diagnose(facts).find((x) => x.name === 'cgroups');
    assert.is(c?.status, 'warning');
  }
  if (facts.cgroup.version === 'v2') {
    assert.is(facts.cgroup.unifiedMount, '/sys/fs/cgroup');
    assert.equal(facts.cgroup.v1Controllers, []);
  }
});

test('subordinate ids agree with /etc/subuid and /etc/subgid', () => {
  for (const kind of ['subuid', 'subgid'] as const) {
    let text = '';
    try {
      text = readFileSync(`/etc/${kind}`, 'utf8');
    } catch {
      // an absent file is the same as no entries
    }
    const mine = text.split('\n').filter((l) => l.startsWith(`${facts.user}:`) || l.startsWith(`${facts.uid}:`));
    assert.is(facts[kind].ranges.length, mine.length, kind);
  }
});

test('tools and devices agree with the shell and access(2)', () => {
  const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/bin:/usr/sbin` };
  const found = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { env }).status === 0;
  assert.is(facts.tools.newuidmap !== undefined, found('newuidmap'));
  assert.is(facts.tools.slirp4netns !== undefined, found('slirp4netns'));
  assert.is(facts.tools.pasta !== undefined, found('pasta'));
  assert.is(facts.tools.fuseOverlayfs !== undefined, found('fuse-overlayfs'));
  if (facts.tools.newuidmap) {
    const st = statSync(facts.tools.newuidmap.path);
    assert.is(facts.tools.newuidmap.setuidRoot, st.uid === 0 && (st.mode & 0o4000) !== 0);
  }
  for (const device of [facts.devices.fuse, facts.devices.tun]) {
    let usable = true;
    try {
      accessSync(device.path, constants.R_OK | constants.W_OK);
    } catch {
      usable = false;
    }
    assert.is(device.usable, usable, device.path);
    if (device.exists) assert.is(device.mode, statSync(device.path).mode & 0o7777);
  }
  assert.is(facts.filesystems.includes('overlay'), /\soverlay$/m.test(readFileSync('/proc/filesystems', 'utf8')));
});

test('the real helper probe, when built, agrees with unshare(1)', async () => {
  let executable = false;
  try {
    accessSync(helper, constants.X_OK);
    executable = statSync(helper).size > 0;
  } catch {
    executable = false;
  }
  if (!executable) return;
  const probed = await gatherHostFacts({
    runProbe: async (args) => execFileSync(helper, ['probe', ...args], { timeout: 20_000 }).toString(),
  });
  assert.ok(probed.probe.ran, probed.probe.ran ? '' : probed.probe.reason);
  if (!probed.probe.ran) return;
  const unshare = spawnSync('unshare', ['--user', '--map-root-user', 'true']);
  if (unshare.error === undefined) assert.is(probed.probe.result.userns?.ok, unshare.status === 0);
  assert.is(canRunContainers(diagnose(probed)), probed.probe.result.userns?.ok === true || !probed.rootless);
});

test.run();
