// The parsers behind host facts: subuid/subgid, cgroup layout, os-release, passwd, getcap and probe output.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  buildProbeArgs,
  cgroupDir,
  detectCgroupLayout,
  distroFamily,
  filesystemName,
  findPasswdEntry,
  gatherHostFacts,
  getcapGrants,
  parseControllers,
  parseOsRelease,
  parseProbeOutput,
  parseProcCgroup,
  parseSubIdFile,
  subIdRangesFor,
  toolSearchDirs,
} from '../../../src/system/host';
import { MOUNTINFO_HYBRID, MOUNTINFO_UNIFIED, MOUNTINFO_V1 } from './fixtures';

const SUBUID = `# subordinate ids, managed by useradd
alice:100000:65536
bob:165536:65536

  1002:231072:65536
alice:300000:1000
broken line
carol:abc:65536
dave:400000:0
eve:500000:65536:extra
`;

test('parseSubIdFile skips comments, blank, malformed and empty lines', () => {
  assert.equal(parseSubIdFile(SUBUID), [
    { owner: 'alice', start: 100000, count: 65536 },
    { owner: 'bob', start: 165536, count: 65536 },
    { owner: '1002', start: 231072, count: 65536 },
    { owner: 'alice', start: 300000, count: 1000 },
  ]);
  assert.equal(parseSubIdFile(''), []);
});

test('subIdRangesFor matches by name, with every range of the user', () => {
  const entries = parseSubIdFile(SUBUID);
  assert.equal(subIdRangesFor(entries, { name: 'alice', uid: 1000 }), [
    { start: 100000, count: 65536 },
    { start: 300000, count: 1000 },
  ]);
  assert.equal(subIdRangesFor(entries, { name: 'bob', uid: 1001 }), [{ start: 165536, count: 65536 }]);
});

test('subIdRangesFor matches by uid, as shadow does for directory users', () => {
  const entries = parseSubIdFile(SUBUID);
  assert.equal(subIdRangesFor(entries, { name: 'ldapuser', uid: 1002 }), [{ start: 231072, count: 65536 }]);
  assert.equal(subIdRangesFor(entries, { name: 'nobody-here', uid: 4242 }), []);
});

test('detectCgroupLayout: cgroup v1 only', () => {
  assert.equal(detectCgroupLayout(MOUNTINFO_V1), {
    version: 'v1',
    unifiedMount: undefined,
    unifiedRoot: undefined,
    v1Controllers: ['cpu', 'cpuacct', 'memory', 'pids'],
  });
});

test('detectCgroupLayout: hybrid, cgroup2 at /sys/fs/cgroup/unified (this build machine)', () => {
  const layout = detectCgroupLayout(MOUNTINFO_HYBRID);
  assert.is(layout.version, 'hybrid');
  assert.is(layout.unifiedMount, '/sys/fs/cgroup/unified');
  assert.equal(layout.v1Controllers, ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids']);
});

test('detectCgroupLayout: unified v2 prefers /sys/fs/cgroup over other mounts of it', () => {
  const layout = detectCgroupLayout(MOUNTINFO_UNIFIED);
  assert.is(layout.version, 'v2');
  assert.is(layout.unifiedMount, '/sys/fs/cgroup');
  assert.equal(layout.v1Controllers, []);
  const other = detectCgroupLayout(MOUNTINFO_UNIFIED.split('\n').filter((l) => !l.includes(' /sys/fs/cgroup ')).join('\n'));
  assert.is(other.unifiedMount, '/home/alice/my cgroups', 'octal escapes are decoded');
});

test('detectCgroupLayout: a name-only v1 hierarchy next to cgroup2 is still v2; nothing mounted is none', () => {
  const text = `${MOUNTINFO_UNIFIED}\n40 31 0:37 / /run/systemd/cgroup rw - cgroup cgroup rw,name=systemd\n`;
  assert.is(detectCgroupLayout(text).version, 'v2');
  assert.is(detectCgroupLayout('24 1 259:2 / / rw - ext4 /dev/sda1 rw').version, 'none');
});

test('parseProcCgroup and cgroupDir, including a container that mounts a subtree', () => {
  const own = parseProcCgroup('12:pids:/user.slice\n4:memory:/x\n1:name=systemd:/user.slice/session-2.scope\n0::/user.slice/user-1000.slice/session-2.scope\n');
  assert.is(own.unified, '/user.slice/user-1000.slice/session-2.scope');
  assert.is(own.v1.memory, '/x');
  assert.is(own.v1['name=systemd'], '/user.slice/session-2.scope');
  assert.is(cgroupDir('/sys/fs/cgroup', '/', own.unified!), '/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope');
  assert.is(cgroupDir('/sys/fs/cgroup/unified', '/', '/'), '/sys/fs/cgroup/unified');
  assert.is(cgroupDir('/sys/fs/cgroup', '/docker/abc', '/docker/abc'), '/sys/fs/cgroup');
  assert.is(cgroupDir('/sys/fs/cgroup', '/docker/abc', '/docker/abc/child'), '/sys/fs/cgroup/child');
  assert.equal(parseControllers('cpuset cpu io memory pids\n'), ['cpuset', 'cpu', 'io', 'memory', 'pids']);
  assert.equal(parseControllers(''), []);
});

test('parseOsRelease and the distribution families used for fixes', () => {
  const debian = parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n');
  assert.equal(debian, { id: 'debian', idLike: [], prettyName: 'Debian GNU/Linux 12 (bookworm)', versionId: '12' });
  assert.is(distroFamily(debian.id, debian.idLike), 'debian');
  const mint = parseOsRelease("NAME='Linux Mint'\nID=linuxmint\nID_LIKE=\"ubuntu debian\"\n");
  assert.is(mint.prettyName, 'Linux Mint');
  assert.is(distroFamily(mint.id, mint.idLike), 'ubuntu');
  assert.is(distroFamily('ubuntu', ['debian']), 'ubuntu');
  assert.is(distroFamily('fedora', []), 'fedora');
  assert.is(distroFamily('rocky', ['rhel', 'centos', 'fedora']), 'fedora');
  assert.is(distroFamily('arch', []), 'unknown');
  assert.is(parseOsRelease('').prettyName, 'Linux');
});

test('findPasswdEntry looks up by uid only', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\n#comment:x:1000:1000::/x:/bin/sh\nalice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n';
  assert.equal(findPasswdEntry(passwd, 1000), { name: 'alice', home: '/home/alice' });
  assert.equal(findPasswdEntry(passwd, 0), { name: 'root', home: '/root' });
  assert.is(findPasswdEntry(passwd, 1001), undefined);
});

test('getcapGrants reads both getcap output formats', () => {
  assert.ok(getcapGrants('/usr/bin/newuidmap cap_setuid=ep\n', 'cap_setuid'));
  assert.ok(getcapGrants('/usr/bin/newgidmap = cap_setgid+ep\n', 'cap_setgid'));
  assert.not.ok(getcapGrants('/usr/bin/newuidmap cap_setgid=ep\n', 'cap_setuid'));
  assert.not.ok(getcapGrants('', 'cap_setuid'));
});

test('parseProbeOutput accepts the JSON line or the parsed object and rejects other shapes', () => {
  const line = '{"userns":{"ok":true,"detail":"ok"},"tun":{"ok":false,"detail":"open /dev/net/tun: EACCES"}}\n';
  assert.equal(parseProbeOutput(line), { userns: { ok: true, detail: 'ok' }, tun: { ok: false, detail: 'open /dev/net/tun: EACCES' } });
  assert.equal(parseProbeOutput(JSON.parse(line)), parseProbeOutput(line));
  assert.throws(() => parseProbeOutput('not json'));
  assert.throws(() => parseProbeOutput([1]), /not a JSON object/);
  assert.throws(() => parseProbeOutput({ userns: { ok: 'yes' } }), /userns/);
});

test('buildProbeArgs gives id maps only with ranges and both tools, and nothing as root', () => {
  const ranges = [{ start: 100000, count: 65536 }];
  assert.equal(buildProbeArgs({ rootless: false, subuid: ranges, subgid: ranges, newuidmap: '/usr/bin/newuidmap', newgidmap: '/usr/bin/newgidmap' }), []);
  assert.equal(buildProbeArgs({ rootless: true, subuid: ranges, subgid: ranges, newuidmap: '/usr/bin/newuidmap', newgidmap: '/usr/bin/newgidmap' }), [
    '--uid-map', '100000:65536', '--gid-map', '100000:65536', '--newuidmap', '/usr/bin/newuidmap', '--newgidmap', '/usr/bin/newgidmap',
  ]);
  assert.equal(buildProbeArgs({ rootless: true, subuid: [], subgid: ranges, newuidmap: '/usr/bin/newuidmap' }), ['--newuidmap', '/usr/bin/newuidmap']);
});

test('toolSearchDirs adds /usr/bin and /usr/sbin and ignores relative PATH entries', () => {
  assert.equal(toolSearchDirs('/home/a/bin:.:/usr/bin'), ['/home/a/bin', '/usr/bin', '/usr/sbin']);
  assert.equal(toolSearchDirs(undefined), ['/usr/bin', '/usr/sbin']);
  assert.is(filesystemName(0xef53), 'extfs');
  assert.is(filesystemName(0x1234), '0x1234');
});

test('a probe that fails or hangs is reported as not run, with the reason', async () => {
  const failed = await gatherHostFacts({ runProbe: async () => { throw new Error('skiff-helper not found'); } });
  assert.equal(failed.probe.ran, false);
  assert.match(failed.probe.ran ? '' : failed.probe.reason, 'skiff-helper not found');
  const hung = await gatherHostFacts({ runProbe: () => new Promise(() => {}), probeTimeoutMs: 50 });
  assert.match(hung.probe.ran ? '' : hung.probe.reason, 'no answer within');
  const absent = await gatherHostFacts();
  assert.equal(absent.probe.ran, false);
  let seen: string[] = [];
  const answered = await gatherHostFacts({ runProbe: async (args) => { seen = args; return '{"userns":{"ok":true,"detail":"fine"}}'; } });
  assert.equal(answered.probe, { ran: true, args: seen, result: { userns: { ok: true, detail: 'fine' } } });
  assert.not.ok(seen.includes('probe'), 'the caller adds the verb');
});

test.run();
