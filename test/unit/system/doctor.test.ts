// skiff doctor: each check's status, the fix chosen per distribution, the verdict and the text layout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canRunContainers, conclusion, diagnose, fixCommands, nextFreeSubIdRange, renderDoctor, shellQuote, type Check } from '../../../src/system/doctor';
import type { HostFacts } from '../../../src/system/host';
import { healthyFacts, hybridFacts, rootFacts } from './fixtures';

function check(facts: HostFacts, name: string): Check {
  const found = diagnose(facts).find((c) => c.name === name);
  if (!found) throw new Error(`no check named ${name}`);
  return found;
}

function fixFor(c: Check, distro: HostFacts['distro']): string {
  return fixCommands(c.fix ?? {}, distro).map((l) => l.command).join('\n');
}

test('a healthy rootless host: every check ok, in the issue order, and containers can run', () => {
  const checks = diagnose(healthyFacts());
  assert.equal(checks.map((c) => c.name), [
    'user namespaces', 'subuid', 'subgid', 'newuidmap', 'newgidmap', 'id mapping', 'XDG_RUNTIME_DIR', 'overlay', 'network', 'cgroups',
  ]);
  assert.equal(checks.filter((c) => c.status !== 'ok'), []);
  assert.ok(canRunContainers(checks));
  assert.equal(conclusion(checks), ['containers can run']);
});

test('root needs no user namespace, subordinate ids or runtime dir', () => {
  const checks = diagnose(rootFacts());
  assert.equal(checks.filter((c) => c.status !== 'ok'), []);
  assert.is(checks.find((c) => c.name === 'subuid')?.summary, 'not needed when running as root');
  assert.not.ok(checks.some((c) => c.name === 'id mapping'));
});

test('user namespaces: Ubuntu 24.04 AppArmor restriction is a blocker fixed by sysctl, persisted in /etc/sysctl.d', () => {
  const facts = healthyFacts();
  facts.distro = 'ubuntu';
  facts.sysctl.apparmorRestrictUnprivilegedUserns = 1;
  facts.probe = { ran: true, args: [], result: { userns: { ok: false, detail: 'write uid_map: EPERM' } } };
  const c = check(facts, 'user namespaces');
  assert.is(c.status, 'missing');
  assert.match(c.summary, 'kernel.apparmor_restrict_unprivileged_userns = 1');
  assert.is(fixFor(c, 'ubuntu'), [
    'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0',
    "echo 'kernel.apparmor_restrict_unprivileged_userns=0' | sudo tee /etc/sysctl.d/60-skiff-apparmor-userns.conf",
  ].join('\n'));
  assert.not.ok(canRunContainers(diagnose(facts)));
});

test('user namespaces: Debian unprivileged_userns_clone=0 and max_user_namespaces=0 are blockers even without the probe', () => {
  const facts = healthyFacts();
  facts.probe = { ran: false, args: [], reason: 'no helper' };
  facts.sysctl = { unprivilegedUsernsClone: 0, maxUserNamespaces: 0 };
  const c = check(facts, 'user namespaces');
  assert.is(c.status, 'missing');
  assert.match(c.summary, 'kernel.unprivileged_userns_clone = 0');
  assert.match(fixFor(c, 'debian'), 'sudo sysctl -w kernel.unprivileged_userns_clone=1');
  assert.match(fixFor(c, 'debian'), 'sudo sysctl -w user.max_user_namespaces=28633');
});

test('user namespaces: the probe decides when it ran; untested is a warning, not a blocker', () => {
  const facts = healthyFacts();
  facts.sysctl.apparmorRestrictUnprivilegedUserns = 1;
  assert.is(check(facts, 'user namespaces').status, 'ok', 'a profile lets skiff through');
  facts.sysctl = { maxUserNamespaces: 100 };
  facts.probe = { ran: false, args: [], reason: 'skiff-helper not found' };
  const c = check(facts, 'user namespaces');
  assert.is(c.status, 'warning');
  assert.match(c.explain ?? '', 'skiff-helper not found');
  assert.ok(canRunContainers(diagnose(facts)));
  assert.equal(conclusion(diagnose(facts)).slice(-1), ['containers can run; some checks could not be run (the helper probe did not run)']);
  facts.probe = { ran: true, args: [], result: { userns: { ok: false, detail: 'unshare: EPERM' } } };
  assert.is(check(facts, 'user namespaces').status, 'missing');
  assert.match(check(facts, 'user namespaces').explain ?? '', 'seccomp');
});

test('subuid/subgid missing: a warning with one usermod for both, on a range nobody has', () => {
  const facts = healthyFacts();
  for (const kind of ['subuid', 'subgid'] as const) {
    facts[kind].entries = [{ owner: 'bob', start: 100000, count: 65536 }];
    facts[kind].ranges = [];
  }
  const subuid = check(facts, 'subuid');
  assert.is(subuid.status, 'warning');
  assert.is(subuid.summary, 'no entry for "alice" in /etc/subuid');
  assert.is(fixFor(subuid, 'debian'), 'sudo usermod --add-subuids 165536-231071 --add-subgids 165536-231071 alice');
  assert.is(fixFor(subuid, 'fedora'), fixFor(subuid, 'debian'));
  const subgid = check(facts, 'subgid');
  assert.is(subgid.status, 'warning');
  assert.is(subgid.fix, undefined, 'the usermod above covers it');
  assert.not.ok(diagnose(facts).some((c) => c.name === 'id mapping'));
  assert.ok(canRunContainers(diagnose(facts)));
  assert.match(conclusion(diagnose(facts))[0], 'containers can run; only your own uid and gid are mapped');
});

test('subgid alone missing gets its own command; a directory user gets lines for the file', () => {
  const facts = healthyFacts();
  facts.subgid.ranges = [];
  facts.subgid.entries = [];
  assert.is(fixFor(check(facts, 'subgid'), 'debian'), 'sudo usermod --add-subgids 100000-165535 alice');
  facts.userInPasswd = false;
  assert.is(fixFor(check(facts, 'subgid'), 'debian'), "echo '1000:100000:65536' | sudo tee -a /etc/subgid");
});

test('subuid: a short range and a range containing the own uid are warnings', () => {
  const facts = healthyFacts();
  facts.subuid.ranges = [{ start: 100000, count: 1000 }];
  assert.is(check(facts, 'subuid').status, 'warning');
  assert.match(check(facts, 'subuid').summary, 'only 1000 ids');
  facts.subuid.ranges = [{ start: 1000, count: 65536 }];
  assert.match(check(facts, 'subuid').summary, 'contains your own uid 1000');
  assert.equal(nextFreeSubIdRange([], 120000), { start: 120001, count: 65536 });
  assert.equal(nextFreeSubIdRange([{ owner: 'x', start: 100000, count: 65536 }], 1000), { start: 165536, count: 65536 });
});

test('newuidmap/newgidmap missing: the package per distribution, once', () => {
  const facts = healthyFacts();
  facts.tools.newuidmap = undefined;
  facts.tools.newgidmap = undefined;
  const c = check(facts, 'newuidmap');
  assert.is(c.status, 'warning');
  assert.is(fixFor(c, 'debian'), 'sudo apt-get install uidmap');
  assert.is(fixFor(c, 'ubuntu'), 'sudo apt-get install uidmap');
  assert.is(fixFor(c, 'fedora'), 'sudo dnf install shadow-utils');
  assert.equal(fixCommands(c.fix!, 'unknown'), [
    { label: 'Debian/Ubuntu', command: 'sudo apt-get install uidmap' },
    { label: 'Fedora', command: 'sudo dnf install shadow-utils' },
  ]);
  assert.is(check(facts, 'newgidmap').fix, undefined);
  assert.ok(canRunContainers(diagnose(facts)));
});

test('newuidmap without setuid or file capability: chmod u+s on Debian, setcap on Fedora', () => {
  const facts = healthyFacts();
  facts.probe = { ran: false, args: [], reason: 'x' };
  facts.tools.newuidmap = { path: '/usr/bin/newuidmap', setuidRoot: false, fileCaps: false };
  const c = check(facts, 'newuidmap');
  assert.is(c.status, 'warning');
  assert.is(fixFor(c, 'debian'), 'sudo chmod u+s /usr/bin/newuidmap');
  assert.is(fixFor(c, 'fedora'), 'sudo setcap cap_setuid=ep /usr/bin/newuidmap');
  facts.tools.newuidmap = { path: '/usr/bin/newuidmap', setuidRoot: true, fileCaps: false };
  assert.is(check(facts, 'newuidmap').status, 'ok');
  facts.tools.newuidmap = { path: '/usr/bin/newuidmap', setuidRoot: false, fileCaps: undefined };
  assert.is(check(facts, 'newuidmap').status, 'warning');
});

test('id mapping: a failed probe is a warning with its detail', () => {
  const facts = healthyFacts();
  if (facts.probe.ran) facts.probe.result.idmap = { ok: false, detail: 'newuidmap: write to uid_map failed: Operation not permitted' };
  const c = check(facts, 'id mapping');
  assert.is(c.status, 'warning');
  assert.match(c.summary, 'write to uid_map failed');
});

test('XDG_RUNTIME_DIR: another user\'s dir after su is a blocker; unset is fine without systemd', () => {
  const facts = healthyFacts();
  facts.runtimeDir = { ...facts.runtimeDir, value: '/run/user/0', ownerUid: 0 };
  const c = check(facts, 'XDG_RUNTIME_DIR');
  assert.is(c.status, 'missing');
  assert.match(c.summary, 'belongs to uid 0, not to alice (uid 1000)');
  assert.is(fixFor(c, 'fedora'), 'export XDG_RUNTIME_DIR=/run/user/1000');
  assert.not.ok(canRunContainers(diagnose(facts)));

  facts.runtimeDir = { exists: false, directory: false, writable: false, loginDir: { path: '/run/user/1000', exists: false, ownedByUser: false } };
  assert.is(check(facts, 'XDG_RUNTIME_DIR').status, 'warning');
  assert.is(fixFor(check(facts, 'XDG_RUNTIME_DIR'), 'fedora'), 'sudo loginctl enable-linger alice');
  facts.cgroup.systemdBooted = false;
  assert.is(check(facts, 'XDG_RUNTIME_DIR').status, 'ok');
  assert.match(check(facts, 'XDG_RUNTIME_DIR').summary, '/tmp/skiff-1000');

  const loose = healthyFacts();
  loose.runtimeDir.mode = 0o755;
  assert.is(check(loose, 'XDG_RUNTIME_DIR').status, 'warning');
  assert.is(fixFor(check(loose, 'XDG_RUNTIME_DIR'), 'debian'), 'chmod 0700 /run/user/1000');
});

test('overlay: native or fuse-overlayfs with /dev/fuse is enough; neither is a blocker', () => {
  const facts = healthyFacts();
  if (!facts.probe.ran) throw new Error('fixture');
  facts.probe.result.overlay = { ok: false, detail: 'mount overlay: EPERM' };
  const viaFuse = check(facts, 'overlay');
  assert.is(viaFuse.status, 'ok');
  assert.match(viaFuse.summary, 'fuse-overlayfs /usr/bin/fuse-overlayfs');

  facts.probe.result.fuse = { ok: false, detail: 'open /dev/fuse: EACCES' };
  facts.devices.fuse.mode = 0o600;
  const noFuse = check(facts, 'overlay');
  assert.is(noFuse.status, 'missing');
  assert.is(fixFor(noFuse, 'debian'), 'sudo chmod 0666 /dev/fuse');

  facts.tools.fuseOverlayfs = undefined;
  const neither = check(facts, 'overlay');
  assert.is(fixFor(neither, 'debian'), 'sudo apt-get install fuse-overlayfs\nsudo chmod 0666 /dev/fuse');
  assert.is(fixFor(neither, 'fedora'), 'sudo dnf install fuse-overlayfs\nsudo chmod 0666 /dev/fuse');
  assert.not.ok(canRunContainers(diagnose(facts)));
  assert.equal(conclusion(diagnose(facts)), ['containers cannot run: fix overlay above']);

  facts.kernel = '5.10.0-28-amd64';
  assert.match(check(facts, 'overlay').explain ?? '', 'needs Linux 5.11 or later');
});

test('network: no slirp4netns/pasta or no usable tun leaves only --network none|host (a warning)', () => {
  const facts = healthyFacts();
  facts.tools.slirp4netns = undefined;
  facts.tools.pasta = undefined;
  const none = check(facts, 'network');
  assert.is(none.status, 'warning');
  assert.is(fixFor(none, 'fedora'), 'sudo dnf install slirp4netns');
  assert.ok(canRunContainers(diagnose(facts)));

  const tun = healthyFacts();
  if (tun.probe.ran) tun.probe.result.tun = { ok: false, detail: 'open /dev/net/tun: EACCES' };
  assert.is(check(tun, 'network').status, 'warning');
  assert.is(fixFor(check(tun, 'network'), 'debian'), 'sudo chmod 0666 /dev/net/tun');
  tun.devices.tun.exists = false;
  assert.is(fixFor(check(tun, 'network'), 'debian'), 'sudo modprobe tun');
});

test('cgroups: hybrid is a warning, fixed through grub on Debian and grubby on Fedora, plus delegation', () => {
  const facts = hybridFacts();
  const c = check(facts, 'cgroups');
  assert.is(c.status, 'warning');
  assert.match(c.summary, 'cgroup v1 hybrid');
  assert.match(c.summary, 'has only hugetlb');
  const debian = fixFor(c, 'debian');
  assert.match(debian, `sudo sed -i 's/^GRUB_CMDLINE_LINUX="/&systemd.unified_cgroup_hierarchy=1 /' /etc/default/grub\nsudo update-grub\nsudo reboot`);
  assert.match(debian, 'Delegate=cpu cpuset io memory pids');
  assert.match(fixFor(c, 'fedora'), 'sudo grubby --update-kernel=ALL --args=systemd.unified_cgroup_hierarchy=1');
  assert.match(c.explain ?? '', 'PID 1 is process_api');
  assert.ok(canRunContainers(diagnose(facts)));
  assert.equal(conclusion(diagnose(facts)), [
    'containers can run; resource limits (--memory, --cpus, --pids-limit) are unavailable because the host uses cgroup v1 (hybrid), not cgroup v2',
  ]);

  facts.cgroup.kernelCmdline = 'quiet systemd.unified_cgroup_hierarchy=0';
  assert.match(fixFor(check(facts, 'cgroups'), 'ubuntu'), 's/systemd\\.unified_cgroup_hierarchy=[a-z0-9]*/systemd.unified_cgroup_hierarchy=1/');
  const root = rootFacts();
  root.cgroup = hybridFacts().cgroup;
  assert.not.match(fixFor(check(root, 'cgroups'), 'debian'), 'Delegate=');
});

test('cgroups: v2 not delegated, or delegated without cpu, are warnings with the user@ drop-in', () => {
  const facts = healthyFacts();
  facts.cgroup.delegation = { ...facts.cgroup.delegation!, writable: false };
  const c = check(facts, 'cgroups');
  assert.is(c.status, 'warning');
  assert.match(fixFor(c, 'fedora'), "printf '[Service]\\nDelegate=cpu cpuset io memory pids\\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf");
  assert.equal(conclusion(diagnose(facts)), [
    'containers can run; resource limits (--memory, --cpus, --pids-limit) are unavailable because cgroup v2 is not delegated',
  ]);
  facts.cgroup.systemdUserManager = false;
  assert.match(fixFor(check(facts, 'cgroups'), 'fedora'), 'sudo loginctl enable-linger alice');

  const partial = healthyFacts();
  partial.cgroup.delegation = { ...partial.cgroup.delegation!, controllers: ['memory', 'pids'] };
  const p = check(partial, 'cgroups');
  assert.is(p.status, 'warning');
  assert.match(p.impact ?? '', '--cpus, --blkio-weight, --cpuset-cpus are unavailable');
});

test('fixCommands: the detected family, generic fallback, every family when unknown', () => {
  const fix = { debian: 'sudo apt-get install x', ubuntu: 'sudo apt-get install x', fedora: 'sudo dnf install x' };
  assert.equal(fixCommands(fix, 'fedora'), [{ command: 'sudo dnf install x' }]);
  assert.equal(fixCommands({ generic: 'sudo chmod 0666 /dev/fuse' }, 'unknown'), [{ command: 'sudo chmod 0666 /dev/fuse' }]);
  assert.equal(fixCommands({ generic: 'g', fedora: 'f' }, 'debian'), [{ command: 'g' }]);
  assert.equal(fixCommands({ generic: 'g', fedora: 'f' }, 'unknown'), [{ label: 'Debian/Ubuntu', command: 'g' }, { label: 'Fedora', command: 'f' }]);
});

test('renderDoctor: aligned status column, explanations and fixes under problems, the verdict last', () => {
  const facts = hybridFacts();
  facts.tools.newuidmap = undefined;
  facts.tools.newgidmap = undefined;
  const text = renderDoctor(diagnose(facts), { color: false, distro: 'debian' });
  const lines = text.split('\n');
  assert.ok(lines.includes('  ok       user namespaces: unprivileged creation allowed'));
  assert.ok(lines.includes('  warning  newuidmap: not found in $PATH, /usr/bin or /usr/sbin'));
  assert.ok(lines.includes('           fix: sudo apt-get install uidmap'));
  assert.ok(lines.includes('                sudo update-grub'), 'continuation lines align under the first command');
  assert.not.match(text, '\x1b[');
  assert.match(text, /\ncontainers can run, but:\n  - only your own uid and gid are mapped.*\n  - resource limits/);

  const unknown = renderDoctor(diagnose(facts), { color: false, distro: 'unknown' });
  assert.match(unknown, '           fix (Debian/Ubuntu): sudo apt-get install uidmap\n           fix (Fedora):        sudo dnf install shadow-utils\n');

  const colored = renderDoctor(diagnose(facts), { color: true, distro: 'debian' });
  assert.match(colored, '\x1b[32mok       \x1b[0muser namespaces');
  assert.match(colored, '\x1b[33mwarning  \x1b[0mnewuidmap');
});

test('fix commands quote paths that the shell would split', () => {
  assert.is(shellQuote('/usr/bin/newuidmap'), '/usr/bin/newuidmap');
  assert.is(shellQuote("/opt/my tools/it's"), `'/opt/my tools/it'\\''s'`);
  const facts = healthyFacts();
  facts.probe = { ran: false, args: [], reason: 'x' };
  facts.tools.newuidmap = { path: '/opt/my tools/newuidmap', setuidRoot: false, fileCaps: false };
  assert.is(fixFor(check(facts, 'newuidmap'), 'debian'), "sudo chmod u+s '/opt/my tools/newuidmap'");
});

test('renderDoctor: a blocker gives a red status and the cannot-run verdict', () => {
  const facts = healthyFacts();
  facts.sysctl.unprivilegedUsernsClone = 0;
  if (facts.probe.ran) facts.probe.result.userns = { ok: false, detail: 'unshare: EPERM' };
  const text = renderDoctor(diagnose(facts), { color: false, distro: 'fedora' });
  assert.match(text, '  missing  user namespaces: unprivileged creation disabled (kernel.unprivileged_userns_clone = 0)\n');
  assert.match(text, '\ncontainers cannot run: fix user namespaces above\n');
});

test.run();
