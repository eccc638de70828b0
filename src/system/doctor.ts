// `skiff doctor`: turns host facts into ordered checks with the exact command that fixes each problem.
import type { Distro, HostFacts, IdRange, ProbeCheck, ProbeResult, SubIdEntry, SubIdFacts } from './host';

export type CheckStatus = 'ok' | 'warning' | 'missing';

/** A fix per distribution family; `generic` is used where a family has no command of its own. */
export interface Fix {
  debian?: string;
  ubuntu?: string;
  fedora?: string;
  generic?: string;
}

export interface Check {
  name: string;
  /** missing: containers cannot run; warning: they run without something; ok: nothing to do. */
  status: CheckStatus;
  summary: string;
  /** Commands, one per line, that fix the problem. */
  fix?: Fix;
  /** Why it matters and what else can be done, in the words a user would search for. */
  explain?: string;
  /** For a warning: what will not work, for the closing line ("resource limits (...) are unavailable ..."). */
  impact?: string;
}

/*
 * What blocks containers (missing) and what only degrades them (warning):
 *
 * - user namespaces, a writable runtime dir and an overlay backend (native or fuse-overlayfs)
 *   are blockers: without any of them no rootless container starts.
 * - subuid/subgid entries and working newuidmap/newgidmap are warnings. skiff then maps only
 *   the user's own uid/gid (as root in the container), which the kernel allows without help.
 *   Podman stops there for most images; we let containers run because images whose files all
 *   belong to root (busybox, alpine, distroless, most application images) work, and say
 *   plainly what fails: images with files owned by other ids and programs that switch users
 *   (apt's _apt sandbox, su, postgres' entrypoint).
 * - networking without slirp4netns/pasta or /dev/net/tun is a warning: --network none and
 *   --network host still work.
 * - cgroups are always a warning: skiff refuses limits it cannot apply, and says so.
 */

const SINGLE_ID_IMPACT =
  'only your own uid and gid are mapped, so images with files owned by other users, and programs that switch users (apt, su), fail';

const UNTESTED_IMPACT = 'some checks could not be run (the helper probe did not run)';

const FIRST_SUBID = 100000;
const SUBID_COUNT = 65536;

const LIMIT_FLAGS: Record<string, string> = {
  memory: '--memory',
  cpu: '--cpus',
  pids: '--pids-limit',
  io: '--blkio-weight',
  cpuset: '--cpuset-cpus',
};
// In the order users reach for the flags: --memory, --cpus, --pids-limit, then the rarer ones.
const WANTED_CONTROLLERS = ['memory', 'cpu', 'pids', 'io', 'cpuset'];

export function diagnose(facts: HostFacts): Check[] {
  const checks: Check[] = [
    checkUserNamespaces(facts),
    ...checkSubIds(facts),
    ...checkIdMapTools(facts),
  ];
  const idmap = checkIdMapping(facts);
  if (idmap) checks.push(idmap);
  checks.push(checkRuntimeDir(facts), checkOverlay(facts), checkNetwork(facts), checkCgroups(facts));
  return checks;
}

export function canRunContainers(checks: Check[]): boolean {
  return checks.every((c) => c.status !== 'missing');
}

// ---------------------------------------------------------------------------------------------

function probeOf(facts: HostFacts, key: keyof ProbeResult): ProbeCheck | undefined {
  return facts.probe.ran ? facts.probe.result[key] : undefined;
}

/** Why a probe result is absent, for "not tested" lines. */
function probeAbsence(facts: HostFacts): string {
  return facts.probe.ran ? 'the helper did not report it' : `the helper probe did not run: ${facts.probe.reason}`;
}

/** `sudo sysctl -w` now, plus a file in /etc/sysctl.d so the setting survives a reboot. */
function sysctlFix(key: string, value: string | number, file: string): string {
  return [`sudo sysctl -w ${key}=${value}`, `echo '${key}=${value}' | sudo tee /etc/sysctl.d/${file}`].join('\n');
}

function checkUserNamespaces(facts: HostFacts): Check {
  const name = 'user namespaces';
  if (!facts.rootless) return { name, status: 'ok', summary: 'not needed when running as root' };

  const { unprivilegedUsernsClone, maxUserNamespaces, apparmorRestrictUnprivilegedUserns } = facts.sysctl;
  const blockers: { summary: string; fix: Fix; explain: string }[] = [];
  if (unprivilegedUsernsClone === 0) {
    blockers.push({
      summary: 'unprivileged creation disabled (kernel.unprivileged_userns_clone = 0)',
      fix: { generic: sysctlFix('kernel.unprivileged_userns_clone', 1, '60-skiff-userns.conf') },
      explain: 'Debian and Ubuntu kernels let the administrator forbid user namespaces to unprivileged users; rootless containers need them.',
    });
  }
  if (maxUserNamespaces === 0) {
    blockers.push({
      summary: 'disabled (user.max_user_namespaces = 0)',
      fix: { generic: sysctlFix('user.max_user_namespaces', 28633, '60-skiff-max-userns.conf') },
      explain: 'user.max_user_namespaces = 0 forbids user namespaces for every user; any value above a few hundred is enough.',
    });
  }
  if (apparmorRestrictUnprivilegedUserns === 1) {
    blockers.push({
      summary: 'restricted by AppArmor (kernel.apparmor_restrict_unprivileged_userns = 1)',
      fix: { generic: sysctlFix('kernel.apparmor_restrict_unprivileged_userns', 0, '60-skiff-apparmor-userns.conf') },
      explain:
        'Ubuntu 23.10 and later give programs without an AppArmor profile user namespaces without capabilities, ' +
        'so setting up a container fails with "Operation not permitted". Turning the restriction off is the simple fix; ' +
        'the narrower one is an AppArmor profile with the "userns," rule for skiff-helper.',
    });
  }

  const probe = probeOf(facts, 'userns');
  if (probe?.ok) {
    const note = apparmorRestrictUnprivilegedUserns === 1 ? ' (AppArmor restriction is on, but an AppArmor profile lets skiff through)' : '';
    return { name, status: 'ok', summary: `unprivileged creation allowed${note}` };
  }
  if (blockers.length > 0) {
    const first = blockers[0];
    return {
      name,
      status: 'missing',
      summary: first.summary,
      fix: mergeFixes(blockers.map((b) => b.fix)),
      explain: [first.explain, probe ? `The kernel said: ${probe.detail}.` : ''].filter(Boolean).join(' '),
    };
  }
  if (probe) {
    return {
      name,
      status: 'missing',
      summary: `cannot create one: ${probe.detail}`,
      explain:
        'No sysctl forbids them, so something else does: inside a container, the outer engine must allow unshare ' +
        '(Docker: --security-opt seccomp=unconfined --security-opt apparmor=unconfined, or --privileged); ' +
        'a seccomp filter or an LSM policy (SELinux, AppArmor) can also deny them.',
    };
  }
  return {
    name,
    status: 'warning',
    summary: 'not tested; the sysctls allow unprivileged user namespaces',
    explain: `${capitalize(probeAbsence(facts))}.`,
    impact: UNTESTED_IMPACT,
  };
}

/** Sums ranges and lists them as start:count, the form /etc/subuid uses. */
function describeRanges(ranges: IdRange[]): string {
  const total = ranges.reduce((n, r) => n + r.count, 0);
  if (ranges.length === 1) return `${total} ids from ${ranges[0].start}`;
  return `${total} ids (${ranges.map((r) => `${r.start}:${r.count}`).join(', ')})`;
}

/** The next 65536 ids nobody has, from 100000 up as useradd allocates them, avoiding the user's own uid. */
export function nextFreeSubIdRange(entries: SubIdEntry[], ownId: number): IdRange {
  let start = Math.max(FIRST_SUBID, ...entries.map((e) => e.start + e.count));
  if (ownId >= start && ownId < start + SUBID_COUNT) start = ownId + 1;
  return { start, count: SUBID_COUNT };
}

function subIdFixCommand(facts: HostFacts, kinds: ('subuid' | 'subgid')[]): string {
  const ranges = kinds.map((kind) => ({ kind, range: nextFreeSubIdRange(facts[kind].entries, kind === 'subuid' ? facts.uid : facts.gid) }));
  if (facts.userInPasswd) {
    const flags = ranges.map(({ kind, range }) => `--add-${kind}s ${range.start}-${range.start + range.count - 1}`);
    return `sudo usermod ${flags.join(' ')} ${shellQuote(facts.user)}`;
  }
  // usermod only edits users in /etc/passwd; for directory (LDAP, sssd) users the files take a uid.
  return ranges.map(({ kind, range }) => `echo '${facts.uid}:${range.start}:${range.count}' | sudo tee -a /etc/${kind}`).join('\n');
}

function checkSubIds(facts: HostFacts): Check[] {
  if (!facts.rootless) {
    return (['subuid', 'subgid'] as const).map((name) => ({ name, status: 'ok' as const, summary: 'not needed when running as root' }));
  }
  const bothMissing = facts.subuid.ranges.length === 0 && facts.subgid.ranges.length === 0;
  return (['subuid', 'subgid'] as const).map((kind): Check => {
    const sub: SubIdFacts = facts[kind];
    const ownId = kind === 'subuid' ? facts.uid : facts.gid;
    const idWord = kind === 'subuid' ? 'uid' : 'gid';
    if (sub.ranges.length === 0) {
      const unreadable = sub.readable ? '' : ` (cannot read ${sub.path})`;
      const check: Check = {
        name: kind,
        status: 'warning',
        summary: `no entry for "${facts.user}" in ${sub.path}${unreadable}`,
        impact: SINGLE_ID_IMPACT,
        explain:
          `Without subordinate ${idWord}s skiff maps only your own ${idWord} into containers ` +
          `(Podman reports this as "potentially insufficient UIDs or GIDs available in user namespace").`,
      };
      if (bothMissing && kind === 'subgid') check.explain += ' The usermod command above adds both ranges.';
      else check.fix = { generic: subIdFixCommand(facts, bothMissing ? ['subuid', 'subgid'] : [kind]) };
      return check;
    }
    const clash = sub.ranges.find((r) => ownId >= r.start && ownId < r.start + r.count);
    if (clash) {
      return {
        name: kind,
        status: 'warning',
        summary: `the range ${clash.start}:${clash.count} for "${facts.user}" in ${sub.path} contains your own ${idWord} ${ownId}`,
        impact: SINGLE_ID_IMPACT,
        explain: `Your own ${idWord} is already mapped to root in the container, so new${idWord}map refuses a range that contains it. Remove that line from ${sub.path} and add a range above it.`,
        fix: { generic: subIdFixCommand(facts, [kind]) },
      };
    }
    const total = sub.ranges.reduce((n, r) => n + r.count, 0);
    if (total < SUBID_COUNT) {
      return {
        name: kind,
        status: 'warning',
        summary: `only ${total} ids for "${facts.user}" in ${sub.path} (65536 recommended)`,
        impact: `images with files owned by ${idWord}s above ${total} (such as nobody, 65534) fail`,
        fix: { generic: subIdFixCommand(facts, [kind]) },
      };
    }
    return { name: kind, status: 'ok', summary: `"${facts.user}" has ${describeRanges(sub.ranges)} in ${sub.path}` };
  });
}

function checkIdMapTools(facts: HostFacts): Check[] {
  const tools = ['newuidmap', 'newgidmap'] as const;
  if (!facts.rootless) return tools.map((name) => ({ name, status: 'ok' as const, summary: 'not needed when running as root' }));
  const bothMissing = !facts.tools.newuidmap && !facts.tools.newgidmap;
  return tools.map((name): Check => {
    const tool = facts.tools[name];
    const cap = name === 'newuidmap' ? 'cap_setuid' : 'cap_setgid';
    if (!tool) {
      const check: Check = {
        name,
        status: 'warning',
        summary: 'not found in $PATH, /usr/bin or /usr/sbin',
        impact: SINGLE_ID_IMPACT,
        explain: `${name} maps the ranges in /etc/sub${name === 'newuidmap' ? 'uid' : 'gid'} into the user namespace; without it only your own id is mapped.`,
      };
      if (bothMissing && name === 'newgidmap') check.explain += ' The package installed above provides both.';
      else check.fix = { debian: 'sudo apt-get install uidmap', ubuntu: 'sudo apt-get install uidmap', fedora: 'sudo dnf install shadow-utils' };
      return check;
    }
    const path = shellQuote(tool.path);
    const privilegeFix: Fix = {
      debian: `sudo chmod u+s ${path}`,
      ubuntu: `sudo chmod u+s ${path}`,
      fedora: `sudo setcap ${cap}=ep ${path}`,
    };
    const probe = probeOf(facts, name);
    if (probe && !probe.ok) {
      return { name, status: 'warning', summary: `${tool.path} cannot map ids: ${probe.detail}`, impact: SINGLE_ID_IMPACT, fix: privilegeFix };
    }
    if (tool.setuidRoot) return { name, status: 'ok', summary: `${tool.path} (setuid root)` };
    if (tool.fileCaps) return { name, status: 'ok', summary: `${tool.path} (file capability ${cap})` };
    if (probe?.ok) return { name, status: 'ok', summary: tool.path };
    if (tool.fileCaps === false) {
      return {
        name,
        status: 'warning',
        summary: `${tool.path} has neither the setuid bit nor the ${cap} file capability`,
        impact: SINGLE_ID_IMPACT,
        explain: `Without one of them ${name} fails with "write to ${name === 'newuidmap' ? 'uid_map' : 'gid_map'} failed: Operation not permitted".`,
        fix: privilegeFix,
      };
    }
    return {
      name,
      status: 'warning',
      summary: `${tool.path} is not setuid, and its file capabilities could not be read`,
      explain: `getcap (Debian/Ubuntu: libcap2-bin, Fedora: libcap) shows them: getcap ${tool.path}. If ${cap} is missing, the command below adds it.`,
      fix: privilegeFix,
    };
  });
}

/** The helper's end-to-end test of the mapping the pause process will use, when there is one to test. */
function checkIdMapping(facts: HostFacts): Check | undefined {
  const { subuid, subgid, tools } = facts;
  if (!facts.rootless || subuid.ranges.length === 0 || subgid.ranges.length === 0 || !tools.newuidmap || !tools.newgidmap) {
    return undefined;
  }
  const name = 'id mapping';
  const tested = `${subuid.ranges[0].start}:${subuid.ranges[0].count} uids, ${subgid.ranges[0].start}:${subgid.ranges[0].count} gids`;
  const probe = probeOf(facts, 'idmap');
  if (probe?.ok) return { name, status: 'ok', summary: `newuidmap/newgidmap mapped ${tested}` };
  if (probe) {
    return {
      name,
      status: 'warning',
      summary: `newuidmap/newgidmap could not map ${tested}: ${probe.detail}`,
      impact: SINGLE_ID_IMPACT,
      explain:
        'Common causes: a range overlaps your own id or another user\'s range, newuidmap/newgidmap lack setuid or file capabilities, ' +
        'or the files were edited by hand with a typo.',
    };
  }
  return {
    name,
    status: 'warning',
    summary: `not tested (${tested})`,
    explain: `${capitalize(probeAbsence(facts))}.`,
    impact: UNTESTED_IMPACT,
  };
}

function checkRuntimeDir(facts: HostFacts): Check {
  const name = 'XDG_RUNTIME_DIR';
  if (!facts.rootless) return { name, status: 'ok', summary: 'not needed when running as root (runtime state goes to /run/skiff)' };
  const rd = facts.runtimeDir;
  const login = rd.loginDir;
  const fallback = `/tmp/skiff-${facts.uid}`;
  const exportLogin = login.exists && login.ownedByUser ? `export XDG_RUNTIME_DIR=${login.path}` : undefined;
  const linger = facts.cgroup.systemdBooted ? `sudo loginctl enable-linger ${shellQuote(facts.user)}` : undefined;
  const loginHint = facts.cgroup.systemdBooted
    ? `A login session sets it: log in with ssh or "sudo machinectl shell ${facts.user}@" rather than su or sudo -u; "loginctl enable-linger" keeps ${login.path} after logout.`
    : '';

  if (!rd.value) {
    if (!facts.cgroup.systemdBooted) {
      return { name, status: 'ok', summary: `not set; runtime state goes to ${fallback}` };
    }
    return {
      name,
      status: 'warning',
      summary: `not set; runtime state goes to ${fallback}`,
      explain: `On a systemd machine this usually means the shell did not come from a login session. ${loginHint} Files in /tmp can be removed by tmp cleaners while containers run.`,
      fix: { generic: exportLogin ?? linger },
    };
  }
  const fix = exportLogin ?? linger ?? 'unset XDG_RUNTIME_DIR';
  const problem = (summary: string, extra = ''): Check => ({
    name,
    status: 'missing',
    summary,
    explain: [
      extra,
      loginHint,
      fix === 'unset XDG_RUNTIME_DIR' ? `Unset, skiff uses ${fallback} instead.` : `"unset XDG_RUNTIME_DIR" makes skiff use ${fallback} instead.`,
    ].filter(Boolean).join(' '),
    fix: { generic: fix },
  });
  if (!rd.exists) return problem(`${rd.value} does not exist`);
  if (!rd.directory) return problem(`${rd.value} is not a directory`);
  if (rd.ownerUid !== facts.uid) {
    return problem(
      `${rd.value} belongs to uid ${rd.ownerUid}, not to ${facts.user} (uid ${facts.uid})`,
      'This happens after su or sudo, which keep the previous user\'s XDG_RUNTIME_DIR.',
    );
  }
  if (!rd.writable) return problem(`${rd.value} is not writable`);
  if (rd.mode !== undefined && rd.mode !== 0o700) {
    return {
      name,
      status: 'warning',
      summary: `${rd.value} has mode ${rd.mode.toString(8).padStart(4, '0')}, not 0700`,
      explain: 'Other users could reach the sockets of your containers there.',
      fix: { generic: `chmod 0700 ${shellQuote(rd.value)}` },
    };
  }
  return { name, status: 'ok', summary: `${rd.value} (owned by ${facts.user}, mode 0700)` };
}

/** Linux major.minor of a release string like "6.1.0-13-amd64". */
export function kernelVersion(release: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function checkOverlay(facts: HostFacts): Check {
  const name = 'overlay';
  const native = probeOf(facts, 'overlay');
  const { fuse } = facts.devices;
  const fuseProbe = probeOf(facts, 'fuse');
  const fuseUsable = fuseProbe ? fuseProbe.ok : fuse.usable;
  const fuseOverlayfs = facts.tools.fuseOverlayfs;
  const where = facts.rootless ? 'native overlay in a user namespace' : 'native overlay';

  if (native?.ok) return { name, status: 'ok', summary: where };
  // As root the kernel's overlay is enough; /proc/filesystems lists it once the module is loaded.
  if (!native && !facts.rootless && facts.filesystems.includes('overlay')) {
    return { name, status: 'ok', summary: 'native overlay (listed in /proc/filesystems)' };
  }
  const nativeNote = native ? `${where} failed: ${native.detail}` : `${where} not tested`;
  if (fuseOverlayfs && fuseUsable) {
    return { name, status: 'ok', summary: `fuse-overlayfs ${fuseOverlayfs} with /dev/fuse (${nativeNote})` };
  }

  const fixes: Fix[] = [];
  const reasons: string[] = [];
  if (!fuseOverlayfs) {
    reasons.push('fuse-overlayfs not found');
    fixes.push({ debian: 'sudo apt-get install fuse-overlayfs', ubuntu: 'sudo apt-get install fuse-overlayfs', fedora: 'sudo dnf install fuse-overlayfs' });
  }
  if (!fuse.exists) {
    reasons.push('/dev/fuse does not exist');
    fixes.push({ generic: 'sudo modprobe fuse' });
  } else if (!fuseUsable) {
    const mode = fuse.mode !== undefined ? ` (mode ${fuse.mode.toString(8).padStart(4, '0')})` : '';
    reasons.push(fuseProbe ? `/dev/fuse: ${fuseProbe.detail}` : `/dev/fuse is not readable and writable by ${facts.user}${mode}`);
    fixes.push({ generic: 'sudo chmod 0666 /dev/fuse' });
  }
  const explainParts: string[] = [];
  const kv = kernelVersion(facts.kernel);
  if (facts.rootless && kv && (kv[0] < 5 || (kv[0] === 5 && kv[1] < 11))) {
    explainParts.push(`Native overlay in a user namespace needs Linux 5.11 or later; this kernel is ${facts.kernel}.`);
  }
  explainParts.push('skiff needs one overlay backend: native overlay, or fuse-overlayfs with a usable /dev/fuse (mode 0666 on stock distributions).');
  if (!native) explainParts.push(`${capitalize(probeAbsence(facts))}.`);
  return {
    name,
    status: native ? 'missing' : 'warning',
    summary: `${nativeNote}, and ${reasons.join(', ')}`,
    explain: explainParts.join(' '),
    fix: mergeFixes(fixes),
    impact: native ? undefined : UNTESTED_IMPACT,
  };
}

function checkNetwork(facts: HostFacts): Check {
  const name = 'network';
  const { slirp4netns, pasta } = facts.tools;
  const { tun } = facts.devices;
  const tunProbe = probeOf(facts, 'tun');
  const tunUsable = tunProbe ? tunProbe.ok : tun.usable;
  const impact = 'networking is limited to --network none and --network host';
  const backends = [slirp4netns && `slirp4netns ${slirp4netns}`, pasta && `pasta ${pasta}`].filter(Boolean) as string[];

  if (backends.length === 0) {
    return {
      name,
      status: 'warning',
      summary: 'neither slirp4netns nor pasta found: only --network none and --network host work',
      impact: `${impact} (no slirp4netns or pasta)`,
      explain: 'Rootless containers reach the network and publish ports (-p) through slirp4netns or pasta (package passt).',
      fix: { debian: 'sudo apt-get install slirp4netns', ubuntu: 'sudo apt-get install slirp4netns', fedora: 'sudo dnf install slirp4netns' },
    };
  }
  if (!tun.exists) {
    return {
      name,
      status: 'warning',
      summary: `${backends.join(', ')} found, but /dev/net/tun does not exist`,
      impact: `${impact} (no /dev/net/tun)`,
      fix: { generic: 'sudo modprobe tun' },
    };
  }
  if (!tunUsable) {
    const mode = tun.mode !== undefined ? ` (mode ${tun.mode.toString(8).padStart(4, '0')})` : '';
    return {
      name,
      status: 'warning',
      summary: tunProbe
        ? `${backends.join(', ')} found, but /dev/net/tun: ${tunProbe.detail}`
        : `${backends.join(', ')} found, but /dev/net/tun is not readable and writable by ${facts.user}${mode}`,
      impact: `${impact} (/dev/net/tun not usable)`,
      explain: 'slirp4netns and pasta open /dev/net/tun inside the container\'s network namespace; it is mode 0666 on stock distributions.',
      fix: { generic: 'sudo chmod 0666 /dev/net/tun' },
    };
  }
  return { name, status: 'ok', summary: `${backends.join(', ')}, /dev/net/tun usable` };
}

function limitFlags(controllers: string[]): string {
  return controllers.map((c) => LIMIT_FLAGS[c]).filter(Boolean).join(', ');
}

/** Boot with the unified hierarchy: Debian/Ubuntu through /etc/default/grub, Fedora through grubby. */
function unifiedBootFix(facts: HostFacts): Fix {
  const param = 'systemd.unified_cgroup_hierarchy=1';
  const grubEdit = /systemd\.unified_cgroup_hierarchy=(0|false|no)\b/.test(facts.cgroup.kernelCmdline)
    ? `sudo sed -i 's/systemd\\.unified_cgroup_hierarchy=[a-z0-9]*/${param}/' /etc/default/grub`
    : `sudo sed -i 's/^GRUB_CMDLINE_LINUX="/&${param} /' /etc/default/grub`;
  const debian = [grubEdit, 'sudo update-grub', 'sudo reboot'].join('\n');
  return { debian, ubuntu: debian, fedora: [`sudo grubby --update-kernel=ALL --args=${param}`, 'sudo reboot'].join('\n') };
}

const DELEGATE_FIX = [
  'sudo mkdir -p /etc/systemd/system/user@.service.d',
  `printf '[Service]\\nDelegate=cpu cpuset io memory pids\\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf`,
  'sudo systemctl daemon-reload',
].join('\n');

function appendFix(fix: Fix, more: string): Fix {
  const out: Fix = {};
  for (const key of ['debian', 'ubuntu', 'fedora', 'generic'] as const) if (fix[key]) out[key] = `${fix[key]}\n${more}`;
  return out;
}

function checkCgroups(facts: HostFacts): Check {
  const name = 'cgroups';
  const cg = facts.cgroup;
  const allLimits = '--memory, --cpus, --pids-limit';
  const initNote = cg.systemdBooted
    ? ''
    : ` This machine does not boot with systemd (PID 1 is ${cg.pid1 || 'unknown'}), so whatever sets it up chooses the cgroup layout; the commands are for systemd machines.`;

  if (cg.version === 'none') {
    return {
      name,
      status: 'warning',
      summary: 'no cgroup filesystem mounted: resource limits are unavailable',
      impact: `resource limits (${allLimits}) are unavailable because no cgroup filesystem is mounted`,
      explain: 'skiff needs cgroup v2 mounted at /sys/fs/cgroup for limits.',
    };
  }
  if (cg.version === 'v1' || cg.version === 'hybrid') {
    const controllers = cg.delegation?.controllers ?? [];
    const summary =
      cg.version === 'v1'
        ? 'cgroup v1: resource limits are unavailable (skiff needs cgroup v2)'
        : `cgroup v1 hybrid: cgroup2 at ${cg.unifiedMount} has ${controllers.length ? `only ${controllers.join(' ')}` : 'no controllers'}; resource limits are unavailable`;
    const fix = unifiedBootFix(facts);
    return {
      name,
      status: 'warning',
      summary,
      impact: `resource limits (${allLimits}) are unavailable because the host uses cgroup v1${cg.version === 'hybrid' ? ' (hybrid)' : ''}, not cgroup v2`,
      explain:
        'Containers run, but skiff refuses --memory, --cpus, --pids-limit and other limits. ' +
        `Booting with systemd.unified_cgroup_hierarchy=1 switches to cgroup v2${facts.rootless ? '; the drop-in delegates the controllers to users' : ''}.${initNote}`,
      fix: facts.rootless ? appendFix(fix, DELEGATE_FIX) : fix,
    };
  }

  const del = cg.delegation;
  const controllers = del?.controllers ?? [];
  const absent = WANTED_CONTROLLERS.filter((c) => !controllers.includes(c));
  if (!facts.rootless) {
    if (absent.length === 0) return { name, status: 'ok', summary: `cgroup v2, controllers: ${controllers.join(' ')}` };
    return {
      name,
      status: 'warning',
      summary: `cgroup v2 without ${absent.join(' ')} at ${del?.dir ?? cg.unifiedMount}`,
      impact: `${limitFlags(absent)} are unavailable because cgroup v2 lacks the ${absent.join(', ')} controller${absent.length > 1 ? 's' : ''}`,
      explain: 'A controller absent at the root of cgroup v2 is bound to a cgroup v1 hierarchy or not built into the kernel.',
    };
  }
  if (!del || !del.writable) {
    const noManager = cg.systemdBooted && !cg.systemdUserManager;
    return {
      name,
      status: 'warning',
      summary: `cgroup v2 is not delegated to ${facts.user}${del ? ` (${del.dir} is not writable)` : ''}`,
      impact: `resource limits (${allLimits}) are unavailable because cgroup v2 is not delegated`,
      explain: cg.systemdBooted
        ? (noManager
            ? `No systemd user manager (user@${facts.uid}.service) runs for ${facts.user}: log in with ssh or "sudo machinectl shell ${facts.user}@" instead of su, or enable lingering. `
            : '') + 'systemd delegates a cgroup subtree to user@UID.service; the drop-in gives it every controller skiff uses.'
        : `Without systemd, an administrator must create a cgroup for ${facts.user}, chown it and its cgroup.procs, cgroup.subtree_control and cgroup.threads files to the user, and start the user's shell inside it.`,
      fix: cg.systemdBooted ? { generic: noManager ? `sudo loginctl enable-linger ${shellQuote(facts.user)}\n${DELEGATE_FIX}` : DELEGATE_FIX } : undefined,
    };
  }
  if (absent.length > 0) {
    return {
      name,
      status: 'warning',
      summary: `cgroup v2 delegated at ${del.dir}, without ${absent.join(' ')}`,
      impact: `${limitFlags(absent)} ${absent.length > 1 ? 'are' : 'is'} unavailable because the ${absent.join(', ')} controller${absent.length > 1 ? 's are' : ' is'} not delegated`,
      explain: 'systemd delegates only memory and pids to users by default; the drop-in adds cpu, cpuset and io. Log out and in again afterwards.',
      fix: cg.systemdBooted ? { generic: DELEGATE_FIX } : undefined,
    };
  }
  return { name, status: 'ok', summary: `cgroup v2 delegated at ${del.dir}: ${controllers.join(' ')}` };
}

/** Joins several fixes line by line, per family, so one problem with two causes gets one block. */
function mergeFixes(fixes: Fix[]): Fix | undefined {
  if (fixes.length === 0) return undefined;
  if (fixes.length === 1) return fixes[0];
  const anySpecific = fixes.some((f) => f.debian || f.ubuntu || f.fedora);
  const out: Fix = {};
  const families = anySpecific ? (['debian', 'ubuntu', 'fedora'] as const) : (['generic'] as const);
  for (const family of families) {
    out[family] = fixes.map((f) => f[family] ?? f.generic).filter(Boolean).join('\n');
  }
  return out;
}

/** Quotes a word for sh when it needs it, so a fix can be pasted as it is. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ---------------------------------------------------------------------------------------------
// Rendering.

export interface FixLine {
  /** "Debian/Ubuntu", "Fedora": set only when the distribution is unknown and commands differ. */
  label?: string;
  command: string;
}

/** The commands to show: the detected family's (or the generic one); every family's when unknown. */
export function fixCommands(fix: Fix, distro: Distro): FixLine[] {
  if (distro !== 'unknown') {
    const command = fix[distro] ?? fix.generic;
    return command ? [{ command }] : [];
  }
  const families = [
    { label: 'Debian', command: fix.debian ?? fix.generic },
    { label: 'Ubuntu', command: fix.ubuntu ?? fix.generic },
    { label: 'Fedora', command: fix.fedora ?? fix.generic },
  ].filter((f): f is { label: string; command: string } => Boolean(f.command));
  if (families.length === 0) return [];
  if (families.every((f) => f.command === families[0].command)) return [{ command: families[0].command }];
  const grouped: FixLine[] = [];
  for (const f of families) {
    const same = grouped.find((g) => g.command === f.command);
    if (same) same.label += `/${f.label}`;
    else grouped.push({ ...f });
  }
  return grouped;
}

export interface RenderOptions {
  color: boolean;
  distro: Distro;
}

const STATUS_COLOR: Record<CheckStatus, string> = { ok: '32', warning: '33', missing: '31' };
const STATUS_WIDTH = 9;
const INDENT = ' '.repeat(2 + STATUS_WIDTH);
const WRAP = 100;

export function renderDoctor(checks: Check[], opts: RenderOptions): string {
  const paint = (code: string, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const out: string[] = [];
  for (const check of checks) {
    out.push(`  ${paint(STATUS_COLOR[check.status], check.status.padEnd(STATUS_WIDTH))}${check.name}: ${check.summary}`);
    if (check.status === 'ok') continue;
    if (check.explain) for (const line of wrap(check.explain, WRAP - INDENT.length)) out.push(INDENT + line);
    const lines = check.fix ? fixCommands(check.fix, opts.distro) : [];
    const width = Math.max(0, ...lines.map((l) => fixLabel(l).length));
    for (const line of lines) {
      const label = fixLabel(line).padEnd(width);
      const [first, ...rest] = line.command.split('\n');
      out.push(`${INDENT}${paint('2', label)} ${paint('1', first)}`);
      for (const cmd of rest) out.push(`${INDENT}${' '.repeat(width)} ${paint('1', cmd)}`);
    }
  }
  out.push('');
  const verdict = conclusion(checks);
  out.push(paint(canRunContainers(checks) ? '32;1' : '31;1', verdict[0]));
  out.push(...verdict.slice(1));
  return `${out.join('\n')}\n`;
}

function fixLabel(line: FixLine): string {
  return line.label ? `fix (${line.label}):` : 'fix:';
}

/** The closing lines: whether containers can run and, if they can, what will not work. */
export function conclusion(checks: Check[]): string[] {
  const missing = checks.filter((c) => c.status === 'missing').map((c) => c.name);
  if (missing.length > 0) return [`containers cannot run: fix ${joinWords(missing)} above`];
  const impacts = [...new Set(checks.filter((c) => c.status === 'warning' && c.impact).map((c) => c.impact as string))];
  // What is known not to work comes first; "could not be tested" is the least useful news.
  impacts.sort((a, b) => Number(a === UNTESTED_IMPACT) - Number(b === UNTESTED_IMPACT));
  if (impacts.length === 0) return ['containers can run'];
  if (impacts.length === 1) return [`containers can run; ${impacts[0]}`];
  return ['containers can run, but:', ...impacts.map((i) => `  - ${i}`)];
}

function joinWords(words: string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}
