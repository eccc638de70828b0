// The OCI config and flag parsing behind create/run; expected values follow Docker (moby) and runc.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSpec, defaultCapabilities, parseUlimit } from '../../../src/runtime/spec';
import { resolveUser } from '../../../src/runtime/passwd';
import { parseRestart } from '../../../src/runtime/create';
import { parseSignal, parseLogTime } from '../../../src/cli/container';
import { statusText, zeroTime, type ContainerRecord } from '../../../src/runtime/containers';
import { humanDuration } from '../../../src/cli/format/units';

const base = {
  args: ['sh'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0, additionalGids: [] }, hostname: 'abc', tty: false,
  readonlyRootfs: false, rlimits: [], network: 'private' as const, rootfs: '/c/rootfs', lowerDirs: ['/l/2', '/l/1'],
  upperDir: '/c/upper', workDir: '/c/work', files: { hosts: '/c/hosts', hostname: '/c/hostname', resolvConf: '/c/resolv.conf' },
  singleId: false, rootless: true,
};

test('buildSpec: namespaces, Docker mounts and caps, overlay annotations', () => {
  const spec = buildSpec(base) as any;
  assert.equal(spec.linux.namespaces.map((n: { type: string }) => n.type), ['pid', 'ipc', 'uts', 'mount', 'cgroup', 'network']);
  assert.is(spec.process.capabilities.bounding.length, 14);
  assert.equal(spec.process.capabilities.bounding, defaultCapabilities);
  const dests = spec.mounts.map((m: { destination: string }) => m.destination);
  for (const d of ['/proc', '/dev', '/dev/pts', '/sys', '/dev/mqueue', '/dev/shm', '/dev/null', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf']) assert.ok(dests.includes(d), d);
  assert.ok(spec.mounts.find((m: { destination: string }) => m.destination === '/dev/pts').options.includes('gid=5'));
  assert.is(spec.annotations['org.skiff.rootfs.lowerdirs'], '/l/2:/l/1');
  assert.is(spec.annotations['org.skiff.rootfs.upperdir'], '/c/upper');
  assert.ok(spec.linux.maskedPaths.includes('/proc/kcore'));
  assert.ok(spec.linux.readonlyPaths.includes('/proc/sys'));
});

test('buildSpec: host network, single id, --init, root mode', () => {
  const spec = buildSpec({ ...base, network: 'host', singleId: true, initBinary: '/h/skiff-helper', rootless: false }) as any;
  assert.not.ok(spec.linux.namespaces.some((n: { type: string }) => n.type === 'network'));
  assert.not.ok(spec.mounts.find((m: { destination: string }) => m.destination === '/dev/pts').options.includes('gid=5'));
  assert.equal(spec.process.args, ['/sbin/docker-init', 'init', '--', 'sh']);
  assert.ok(spec.mounts.some((m: { destination: string; source: string }) => m.destination === '/sbin/docker-init' && m.source === '/h/skiff-helper'));
  assert.ok(spec.mounts.some((m: { destination: string; type: string }) => m.destination === '/dev/null' && m.type === 'bind'), 'devices are bound from the host as root too');
});

test('parseUlimit', () => {
  assert.equal(parseUlimit('nofile=1024:2048'), { type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 });
  assert.equal(parseUlimit('nproc=100'), { type: 'RLIMIT_NPROC', soft: 100, hard: 100 });
  assert.throws(() => parseUlimit('bogus=1'), /invalid ulimit type: bogus/);
  assert.throws(() => parseUlimit('nofile=10:5'), /soft limit must be less than or equal to hard limit/);
});

const passwd = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nalice:x:1000:1000::/home/alice:/bin/sh\n';
const group = 'root:x:0:\nusers:x:100:alice\nalice:x:1000:\nwheel:x:10:alice,bob\n';

test('resolveUser: runc rules', () => {
  assert.equal(resolveUser('', passwd, group), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
  assert.equal(resolveUser('alice', passwd, group), { uid: 1000, gid: 1000, additionalGids: [100, 10], home: '/home/alice' });
  assert.equal(resolveUser('1000:10', passwd, group), { uid: 1000, gid: 10, additionalGids: [100], home: '/home/alice' });
  assert.equal(resolveUser('4242', passwd, group), { uid: 4242, gid: 0, additionalGids: [], home: '/' });
  assert.equal(resolveUser('nobody:users', passwd, group).gid, 100);
  // docker run -u nosuch: "unable to find user nosuch: no matching entries in passwd file" (exit 125)
  assert.throws(() => resolveUser('nosuch', passwd, group), /unable to find user nosuch: no matching entries in passwd file/);
  assert.throws(() => resolveUser('alice:nogroup', passwd, group), /unable to find group nogroup: no matching entries in group file/);
});

test('parseRestart, parseSignal, parseLogTime', () => {
  assert.equal(parseRestart('on-failure:2'), { Name: 'on-failure', MaximumRetryCount: 2 });
  assert.equal(parseRestart('always'), { Name: 'always', MaximumRetryCount: 0 });
  assert.throws(() => parseRestart('sometimes'), /invalid restart policy/);
  assert.is(parseSignal('TERM'), 'SIGTERM');
  assert.is(parseSignal('sigkill'), 'SIGKILL');
  assert.is(parseSignal('9'), 'SIGKILL');
  assert.throws(() => parseSignal('NOPE'), /Invalid signal: NOPE/);
  const now = Date.parse('2026-11-24T10:00:00Z');
  assert.is(parseLogTime('10m', now), now - 600_000);
  assert.is(parseLogTime('2026-11-24T09:00:00Z', now), now - 3_600_000);
  assert.is(parseLogTime('1700000000', now), 1_700_000_000_000);
  // Go durations, as Docker's GetTimestamp takes them
  assert.is(parseLogTime('1h30m', now), now - 5_400_000);
  assert.is(parseLogTime('1.5h', now), now - 5_400_000);
  assert.is(parseLogTime('250ms', now), now - 250);
  assert.throws(() => parseLogTime('1x', now), /failed to parse value as time or duration: "1x"/);
});

test('statusText: Docker STATUS column', () => {
  const now = Date.parse('2026-11-24T10:00:10Z');
  const rec = (state: Partial<ContainerRecord['state']>): ContainerRecord => ({
    state: { Status: 'running', Pid: 1, ExitCode: 0, Error: '', StartedAt: '2026-11-24T10:00:07Z', FinishedAt: zeroTime, OOMKilled: false, MonitorPid: 0, ...state },
  } as ContainerRecord);
  assert.is(statusText(rec({}), now, humanDuration), 'Up 3 seconds');
  assert.is(statusText(rec({ Status: 'exited', ExitCode: 3, FinishedAt: '2026-11-24T09:58:10Z' }), now, humanDuration), 'Exited (3) 2 minutes ago');
  assert.is(statusText(rec({ Status: 'created', StartedAt: zeroTime }), now, humanDuration), 'Created');
});

test.run();
