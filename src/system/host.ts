// Gathers what the host offers rootless containers (the facts behind `skiff doctor` and `skiff info`).
import { constants, promises as fs, Stats, statSync } from 'node:fs';
import * as os from 'node:os';
import { delimiter, dirname, join, posix } from 'node:path';
import type { Paths } from '../paths';
import { childProcess } from '../util/lazy';

/** The distribution family whose package names and commands a fix is written for. */
export type Distro = 'debian' | 'ubuntu' | 'fedora' | 'unknown';

export interface OsRelease {
  id: string;
  idLike: string[];
  prettyName: string;
  versionId?: string;
}

/** One contiguous range of subordinate ids, as newuidmap/newgidmap take it. */
export interface IdRange {
  start: number;
  count: number;
}

/** One line of /etc/subuid or /etc/subgid: `owner:start:count`, owner being a name or a uid. */
export interface SubIdEntry extends IdRange {
  owner: string;
}

export interface SubIdFacts {
  path: string;
  readable: boolean;
  /** Every entry in the file, whoever owns it: a fix must pick a range nobody else has. */
  entries: SubIdEntry[];
  /** The entries that belong to this user, by name or by uid. */
  ranges: IdRange[];
}

/** newuidmap/newgidmap only work when they can gain CAP_SETUID/CAP_SETGID. */
export interface IdMapToolFacts {
  path: string;
  setuidRoot: boolean;
  /** Whether the file carries the capability; undefined when it could not be read. */
  fileCaps: boolean | undefined;
}

export interface DeviceFacts {
  path: string;
  exists: boolean;
  charDevice: boolean;
  /** Permission bits, e.g. 0o666. */
  mode?: number;
  /** Open for read and write allowed for this process (what the helper will need). */
  usable: boolean;
}

export interface RuntimeDirFacts {
  /** $XDG_RUNTIME_DIR as set, if it is. */
  value?: string;
  exists: boolean;
  directory: boolean;
  ownerUid?: number;
  mode?: number;
  writable: boolean;
  /** /run/user/UID, what a login session would have set; offered in fixes when it is usable. */
  loginDir: { path: string; exists: boolean; ownedByUser: boolean };
}

export type CgroupVersion = 'v1' | 'hybrid' | 'v2' | 'none';

/** What /proc/self/mountinfo says about the cgroup hierarchies. */
export interface CgroupLayout {
  version: CgroupVersion;
  /** Where cgroup2 is mounted (/sys/fs/cgroup when unified, /sys/fs/cgroup/unified when hybrid). */
  unifiedMount?: string;
  /** The cgroup2 mount's root within the hierarchy (not "/" inside some containers). */
  unifiedRoot?: string;
  /** Controllers bound to v1 hierarchies: these can never be used through cgroup2. */
  v1Controllers: string[];
}

/** /proc/self/cgroup split into the unified path and the v1 paths by controller. */
export interface ProcCgroup {
  unified?: string;
  v1: Record<string, string>;
}

export interface CgroupDelegation {
  /** The cgroup2 directory skiff would create container cgroups under. */
  dir: string;
  /** Whether this process may create children there and move processes into them. */
  writable: boolean;
  /** The dir reached through the systemd user manager (user@UID.service), not by writing from here. */
  viaSystemd: boolean;
  /** cgroup.controllers of dir: what its children can be given. */
  controllers: string[];
  /** cgroup.subtree_control of dir's parent, when it has one inside the mount. */
  parentSubtreeControl?: string[];
}

export interface CgroupFacts extends CgroupLayout {
  /** This process's cgroup2 path from /proc/self/cgroup. */
  ownPath?: string;
  ownDir?: string;
  delegation?: CgroupDelegation;
  /** /run/systemd/system exists: the machine was booted with systemd (sd_booted). */
  systemdBooted: boolean;
  /** A systemd user manager (user@UID.service) runs for this user. */
  systemdUserManager: boolean;
  /** The command name of PID 1, to say who decides the cgroup layout when it is not systemd. */
  pid1: string;
  /** /proc/cmdline: a `systemd.unified_cgroup_hierarchy=0` there changes the fix. */
  kernelCmdline: string;
}

/** One result of `skiff-helper probe`. */
export interface ProbeCheck {
  ok: boolean;
  detail: string;
}

export interface ProbeResult {
  userns?: ProbeCheck;
  idmap?: ProbeCheck;
  overlay?: ProbeCheck;
  fuse?: ProbeCheck;
  tun?: ProbeCheck;
  newuidmap?: ProbeCheck;
  newgidmap?: ProbeCheck;
}

export type ProbeOutcome =
  | { ran: true; args: string[]; result: ProbeResult }
  | { ran: false; args: string[]; reason: string };

export interface HostFacts {
  uid: number;
  gid: number;
  /** From /etc/passwd by uid, else $USER/$LOGNAME, else the uid as text. */
  user: string;
  /** The user has an /etc/passwd entry (usermod can change it). */
  userInPasswd: boolean;
  rootless: boolean;
  hostname: string;
  kernel: string;
  /** uname -m style: x86_64, aarch64. */
  architecture: string;
  ncpu: number;
  memTotal: number;
  os: OsRelease;
  /** The family whose commands the doctor's fixes use. */
  distro: Distro;
  sysctl: {
    /** Debian/Ubuntu kernels only: 0 forbids unprivileged user namespaces. */
    unprivilegedUsernsClone?: number;
    /** 0 forbids user namespaces for everybody. */
    maxUserNamespaces?: number;
    /** Ubuntu 23.10+: 1 gives unprofiled programs user namespaces without capabilities. */
    apparmorRestrictUnprivilegedUserns?: number;
  };
  subuid: SubIdFacts;
  subgid: SubIdFacts;
  tools: {
    newuidmap?: IdMapToolFacts;
    newgidmap?: IdMapToolFacts;
    slirp4netns?: string;
    pasta?: string;
    fuseOverlayfs?: string;
  };
  devices: { fuse: DeviceFacts; tun: DeviceFacts };
  /** /proc/filesystems: whether overlay and fuse are known to the kernel (modules may still load). */
  filesystems: string[];
  runtimeDir: RuntimeDirFacts;
  /** The filesystem under skiff's data dir, as Docker names it ("extfs", "xfs", "overlayfs", "nfs"). */
  storage: { dir: string; backingFilesystem: string };
  cgroup: CgroupFacts;
  probe: ProbeOutcome;
}

export interface GatherOptions {
  /** Where skiff keeps its data: its filesystem is reported (overlay upper dirs live there). */
  paths?: Pick<Paths, 'data'>;
  /** Runs `skiff-helper probe ARGS` and returns its parsed JSON (or the JSON line). */
  runProbe?: (args: string[]) => Promise<unknown>;
  /** A probe that hangs must not hang `skiff doctor`. */
  probeTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

export async function gatherHostFacts(opts: GatherOptions = {}): Promise<HostFacts> {
  const env = opts.env ?? process.env;
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const rootless = uid !== 0;

  const [passwdText, osReleaseText, subuidText, subgidText] = await Promise.all([
    readText('/etc/passwd'),
    readText('/etc/os-release').then((t) => t ?? readText('/usr/lib/os-release')),
    readText('/etc/subuid'),
    readText('/etc/subgid'),
  ]);
  const passwd = passwdText === undefined ? undefined : findPasswdEntry(passwdText, uid);
  const user = passwd?.name || env.USER || env.LOGNAME || String(uid);
  const subuid = subIdFacts('/etc/subuid', subuidText, user, uid);
  const subgid = subIdFacts('/etc/subgid', subgidText, user, uid);

  const searchDirs = toolSearchDirs(env.PATH);
  const [newuidmapPath, newgidmapPath, slirp4netns, pasta, fuseOverlayfs, getcap] = await Promise.all(
    ['newuidmap', 'newgidmap', 'slirp4netns', 'pasta', 'fuse-overlayfs', 'getcap'].map((name) =>
      findExecutable(name, name === 'getcap' ? [...searchDirs, '/sbin'] : searchDirs),
    ),
  );

  const probeArgs = buildProbeArgs({ rootless, subuid: subuid.ranges, subgid: subgid.ranges, newuidmap: newuidmapPath, newgidmap: newgidmapPath });

  const [
    newuidmap,
    newgidmap,
    sysctl,
    fuse,
    tun,
    filesystems,
    runtimeDir,
    cgroup,
    backingFilesystem,
    probe,
  ] = await Promise.all([
    newuidmapPath ? idMapToolFacts(newuidmapPath, 'cap_setuid', getcap) : undefined,
    newgidmapPath ? idMapToolFacts(newgidmapPath, 'cap_setgid', getcap) : undefined,
    readSysctls(),
    deviceFacts('/dev/fuse'),
    deviceFacts('/dev/net/tun'),
    readText('/proc/filesystems').then((t) => parseFilesystems(t ?? '')),
    runtimeDirFacts(env.XDG_RUNTIME_DIR, uid),
    cgroupFacts(uid, rootless),
    opts.paths ? filesystemOf(opts.paths.data) : Promise.resolve(''),
    runProbeSafely(opts.runProbe, probeArgs, opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS),
  ]);

  const osRelease = parseOsRelease(osReleaseText ?? '');
  return {
    uid,
    gid,
    user,
    userInPasswd: passwd !== undefined,
    rootless,
    hostname: os.hostname(),
    kernel: os.release(),
    architecture: os.machine(),
    ncpu: os.availableParallelism?.() ?? os.cpus().length,
    memTotal: os.totalmem(),
    os: osRelease,
    distro: distroFamily(osRelease.id, osRelease.idLike),
    sysctl,
    subuid,
    subgid,
    tools: { newuidmap, newgidmap, slirp4netns, pasta, fuseOverlayfs },
    devices: { fuse, tun },
    filesystems,
    runtimeDir,
    storage: { dir: opts.paths?.data ?? '', backingFilesystem },
    cgroup,
    probe,
  };
}

// ---------------------------------------------------------------------------------------------
// Pure parsers: everything that interprets file contents, kept apart so that tests can feed
// them the text of hosts we do not have.

/** Finds the /etc/passwd line for a uid. NSS (LDAP, sssd) users are not found: callers fall back to $USER. */
export function findPasswdEntry(text: string, uid: number): { name: string; home: string } | undefined {
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 7 || line.startsWith('#')) continue;
    if (fields[2] === String(uid)) return { name: fields[0], home: fields[5] };
  }
  return undefined;
}

/** Parses os-release(5): KEY=value lines, values optionally quoted, shell escapes in double quotes. */
export function parseOsRelease(text: string): OsRelease {
  const values: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1).replace(/\\([\\$"`])/g, '$1');
    } else if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) {
      value = value.slice(1, -1);
    }
    values[m[1]] = value;
  }
  const id = (values.ID ?? '').toLowerCase();
  const idLike = (values.ID_LIKE ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  return {
    id,
    idLike,
    prettyName: values.PRETTY_NAME || values.NAME || 'Linux',
    versionId: values.VERSION_ID,
  };
}

/** Ubuntu derivatives (Mint, Pop!_OS) get Ubuntu's fixes; RHEL, CentOS, Rocky and Alma get Fedora's (dnf). */
export function distroFamily(id: string, idLike: string[]): Distro {
  const ids = [id, ...idLike];
  if (ids.includes('ubuntu')) return 'ubuntu';
  if (ids.includes('debian')) return 'debian';
  if (ids.some((x) => x === 'fedora' || x === 'rhel' || x === 'centos')) return 'fedora';
  return 'unknown';
}

/** Parses /etc/subuid or /etc/subgid. Comments, blank and malformed lines are skipped, as shadow does. */
export function parseSubIdFile(text: string): SubIdEntry[] {
  const entries: SubIdEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    if (fields.length !== 3 || fields[0] === '') continue;
    if (!/^\d+$/.test(fields[1]) || !/^\d+$/.test(fields[2])) continue;
    const start = Number(fields[1]);
    const count = Number(fields[2]);
    if (count === 0) continue;
    entries.push({ owner: fields[0], start, count });
  }
  return entries;
}

/** The ranges newuidmap would grant this user: entries naming the user or the uid. */
export function subIdRangesFor(entries: SubIdEntry[], user: { name: string; uid: number }): IdRange[] {
  return entries
    .filter((e) => e.owner === user.name || e.owner === String(user.uid))
    .map(({ start, count }) => ({ start, count }));
}

/** Splits /proc/self/mountinfo into the cgroup layout. */
export function detectCgroupLayout(mountinfo: string): CgroupLayout {
  const cgroup2: { mountPoint: string; root: string }[] = [];
  const v1Controllers = new Set<string>();
  let v1Mounted = false;
  for (const line of mountinfo.split('\n')) {
    const mount = parseMountinfoLine(line);
    if (!mount) continue;
    if (mount.fsType === 'cgroup2') {
      cgroup2.push({ mountPoint: mount.mountPoint, root: mount.root });
    } else if (mount.fsType === 'cgroup') {
      v1Mounted = true;
      for (const opt of mount.superOptions.split(',')) if (V1_CONTROLLERS.has(opt)) v1Controllers.add(opt);
    }
  }
  // Prefer the canonical mount points: a host can show the same hierarchy several times
  // (bind mounts into containers), and /sys/fs/cgroup is the one systemd set up.
  const unified =
    cgroup2.find((m) => m.mountPoint === '/sys/fs/cgroup') ??
    cgroup2.find((m) => m.mountPoint === '/sys/fs/cgroup/unified') ??
    cgroup2[0];
  let version: CgroupVersion;
  if (v1Controllers.size > 0) version = unified ? 'hybrid' : 'v1';
  else if (unified) version = 'v2';
  else version = v1Mounted ? 'v1' : 'none';
  return {
    version,
    unifiedMount: unified?.mountPoint,
    unifiedRoot: unified?.root,
    v1Controllers: [...v1Controllers].sort(),
  };
}

const V1_CONTROLLERS = new Set([
  'blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'hugetlb', 'memory',
  'misc', 'net_cls', 'net_prio', 'perf_event', 'pids', 'rdma',
]);

interface MountinfoLine {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string;
}

/** `36 35 98:0 /root /mnt opts [optional...] - fstype source superopts`; paths escape space as \040. */
function parseMountinfoLine(line: string): MountinfoLine | undefined {
  const fields = line.trim().split(' ');
  const sep = fields.indexOf('-', 6);
  if (fields.length < 7 || sep < 0 || fields.length < sep + 3) return undefined;
  return {
    root: unescapeMountPath(fields[3]),
    mountPoint: unescapeMountPath(fields[4]),
    fsType: fields[sep + 1],
    superOptions: fields[sep + 3] ?? '',
  };
}

function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses /proc/self/cgroup: `0::/path` for cgroup2, `N:ctrl,ctrl:/path` for v1 hierarchies. */
export function parseProcCgroup(text: string): ProcCgroup {
  const result: ProcCgroup = { v1: {} };
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') result.unified = m[3];
    else for (const ctrl of m[2].split(',')) if (ctrl) result.v1[ctrl] = m[3];
  }
  return result;
}

/** The directory of a cgroup2 path under its mount, allowing for a mount of a subtree (cgroup namespaces). */
export function cgroupDir(mountPoint: string, mountRoot: string, cgroupPath: string): string {
  let rel = cgroupPath;
  if (mountRoot !== '/' && (cgroupPath === mountRoot || cgroupPath.startsWith(mountRoot + '/'))) {
    rel = cgroupPath.slice(mountRoot.length);
  }
  return rel === '' || rel === '/' ? mountPoint : posix.join(mountPoint, rel);
}

/** Splits a controllers file ("cpu io memory pids\n"). */
export function parseControllers(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter(Boolean);
}

/** Whether `getcap FILE` output grants a capability: "FILE cap_setuid=ep" or the older "FILE = cap_setuid+ep". */
export function getcapGrants(output: string, cap: string): boolean {
  return output.toLowerCase().split(/[\s,=+]+/).includes(cap);
}

/** Parses and checks the helper's probe JSON, given as a parsed value or as its output line. */
export function parseProbeOutput(value: unknown): ProbeResult {
  let parsed = value;
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    const line = String(value).trim().split('\n').pop() ?? '';
    parsed = JSON.parse(line);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('probe output is not a JSON object');
  }
  const result: ProbeResult = {};
  const source = parsed as Record<string, unknown>;
  for (const key of ['userns', 'idmap', 'overlay', 'fuse', 'tun', 'newuidmap', 'newgidmap'] as const) {
    const item = source[key];
    if (item === undefined) continue;
    if (typeof item !== 'object' || item === null || typeof (item as ProbeCheck).ok !== 'boolean') {
      throw new Error(`probe field "${key}" is not {"ok":boolean,"detail":string}`);
    }
    const detail = (item as { detail?: unknown }).detail;
    result[key] = { ok: (item as ProbeCheck).ok, detail: typeof detail === 'string' ? detail : '' };
  }
  return result;
}

/** The probe's options (after `probe`): id maps only for a rootless user with ranges and both tools, as the pause process would use. */
export function buildProbeArgs(input: {
  rootless: boolean;
  subuid: IdRange[];
  subgid: IdRange[];
  newuidmap?: string;
  newgidmap?: string;
}): string[] {
  const args: string[] = [];
  if (!input.rootless) return args;
  if (input.subuid.length > 0 && input.subgid.length > 0 && input.newuidmap && input.newgidmap) {
    args.push('--uid-map', `${input.subuid[0].start}:${input.subuid[0].count}`);
    args.push('--gid-map', `${input.subgid[0].start}:${input.subgid[0].count}`);
  }
  if (input.newuidmap) args.push('--newuidmap', input.newuidmap);
  if (input.newgidmap) args.push('--newgidmap', input.newgidmap);
  return args;
}

export function parseFilesystems(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/).pop() ?? '')
    .filter(Boolean);
}

/** The directories searched for helper tools: $PATH, then where distributions install them. */
/** statfs(2) magic numbers, named as Docker's "Backing Filesystem" names them. */
const FILESYSTEM_MAGIC: Record<number, string> = {
  0xef53: 'extfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs',
  0x6969: 'nfs',
  0xf2f52010: 'f2fs',
  0x65735546: 'fuse',
  0xff534d42: 'cifs',
  0x01021997: 'v9fs',
  0x73717368: 'squashfs',
};

export function filesystemName(magic: number): string {
  return FILESYSTEM_MAGIC[magic] ?? `0x${magic.toString(16)}`;
}

export function toolSearchDirs(pathEnv: string | undefined): string[] {
  const dirs = (pathEnv ?? '').split(delimiter).filter((d) => d.startsWith('/'));
  for (const d of ['/usr/bin', '/usr/sbin']) if (!dirs.includes(d)) dirs.push(d);
  return dirs;
}

// ---------------------------------------------------------------------------------------------
// I/O at the edge.

async function readText(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await fs.stat(path);
  } catch {
    return undefined;
  }
}

async function canAccess(path: string, mode: number): Promise<boolean> {
  try {
    await fs.access(path, mode);
    return true;
  } catch {
    return false;
  }
}

function subIdFacts(path: string, text: string | undefined, user: string, uid: number): SubIdFacts {
  const entries = parseSubIdFile(text ?? '');
  return { path, readable: text !== undefined, entries, ranges: subIdRangesFor(entries, { name: user, uid }) };
}

export async function findExecutable(name: string, dirs: string[]): Promise<string | undefined> {
  return findExecutableSync(name, dirs);
}

/** findExecutable without the thread pool: a few stat calls on the path of every container start. */
export function findExecutableSync(name: string, dirs: string[]): string | undefined {
  for (const dir of dirs) {
    const path = join(dir, name);
    let st: Stats | undefined;
    try {
      st = statSync(path);
    } catch {
      continue; // missing, or a directory on PATH the user cannot search
    }
    if (st.isFile() && (st.mode & 0o111) !== 0) return path;
  }
  return undefined;
}

async function idMapToolFacts(path: string, cap: string, getcap: string | undefined): Promise<IdMapToolFacts> {
  const st = await statOrUndefined(path);
  const setuidRoot = st !== undefined && st.uid === 0 && (st.mode & 0o4000) !== 0;
  let fileCaps: boolean | undefined;
  // Node cannot read the security.capability xattr; getcap can, when libcap's tools are installed.
  if (getcap) {
    fileCaps = await new Promise<boolean | undefined>((resolve) => {
      childProcess().execFile(getcap, [path], { timeout: 3000 }, (err, stdout) => resolve(err ? undefined : getcapGrants(stdout, cap)));
    });
  }
  return { path, setuidRoot, fileCaps };
}

async function readSysctls(): Promise<HostFacts['sysctl']> {
  const read = async (path: string) => {
    const text = await readText(path);
    const n = text === undefined ? NaN : Number(text.trim());
    return Number.isFinite(n) ? n : undefined;
  };
  const [unprivilegedUsernsClone, maxUserNamespaces, apparmorRestrictUnprivilegedUserns] = await Promise.all([
    read('/proc/sys/kernel/unprivileged_userns_clone'),
    read('/proc/sys/user/max_user_namespaces'),
    read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns'),
  ]);
  return { unprivilegedUsernsClone, maxUserNamespaces, apparmorRestrictUnprivilegedUserns };
}

async function deviceFacts(path: string): Promise<DeviceFacts> {
  const st = await statOrUndefined(path);
  return {
    path,
    exists: st !== undefined,
    charDevice: st?.isCharacterDevice() ?? false,
    mode: st ? st.mode & 0o7777 : undefined,
    usable: st !== undefined && (await canAccess(path, constants.R_OK | constants.W_OK)),
  };
}

async function runtimeDirFacts(value: string | undefined, uid: number): Promise<RuntimeDirFacts> {
  const loginPath = `/run/user/${uid}`;
  const loginStat = await statOrUndefined(loginPath);
  const loginDir = { path: loginPath, exists: loginStat?.isDirectory() ?? false, ownedByUser: loginStat?.uid === uid };
  if (!value) return { exists: false, directory: false, writable: false, loginDir };
  const st = await statOrUndefined(value);
  return {
    value,
    exists: st !== undefined,
    directory: st?.isDirectory() ?? false,
    ownerUid: st?.uid,
    mode: st ? st.mode & 0o7777 : undefined,
    writable: st !== undefined && (await canAccess(value, constants.W_OK | constants.X_OK)),
    loginDir,
  };
}

async function cgroupFacts(uid: number, rootless: boolean): Promise<CgroupFacts> {
  const [mountinfo, procCgroup, cmdline, pid1, systemdDir] = await Promise.all([
    readText('/proc/self/mountinfo'),
    readText('/proc/self/cgroup'),
    readText('/proc/cmdline'),
    readText('/proc/1/comm'),
    statOrUndefined('/run/systemd/system'),
  ]);
  const layout = detectCgroupLayout(mountinfo ?? '');
  const own = parseProcCgroup(procCgroup ?? '');
  const userManagerDir = layout.unifiedMount
    ? join(layout.unifiedMount, 'user.slice', `user-${uid}.slice`, `user@${uid}.service`)
    : undefined;
  const userManager =
    (await statOrUndefined(`/run/user/${uid}/systemd/private`)) !== undefined ||
    (userManagerDir !== undefined && (await statOrUndefined(userManagerDir)) !== undefined);
  const facts: CgroupFacts = {
    ...layout,
    ownPath: own.unified,
    systemdBooted: systemdDir?.isDirectory() ?? false,
    systemdUserManager: userManager,
    pid1: (pid1 ?? '').trim(),
    kernelCmdline: (cmdline ?? '').trim(),
  };
  if (!layout.unifiedMount || own.unified === undefined) return facts;
  const mount = layout.unifiedMount;
  facts.ownDir = cgroupDir(mount, layout.unifiedRoot ?? '/', own.unified);
  facts.delegation = await findDelegation(mount, facts.ownDir, rootless ? userManagerDir : undefined);
  return facts;
}

/**
 * Picks the cgroup skiff would put containers under: this process's own cgroup or the nearest
 * ancestor it may write (moving a process needs write access to the common ancestor), else the
 * systemd user manager's delegated subtree (reached via systemd, not by writing from here).
 */
async function findDelegation(mount: string, ownDir: string, userManagerDir: string | undefined): Promise<CgroupDelegation> {
  for (let dir = ownDir; ; dir = dirname(dir)) {
    if (await cgroupWritable(dir)) return delegationAt(mount, dir, true, false);
    if (dir === mount || !dir.startsWith(mount)) break;
  }
  if (userManagerDir && (await statOrUndefined(userManagerDir)) && (await cgroupWritable(userManagerDir))) {
    return delegationAt(mount, userManagerDir, true, true);
  }
  return delegationAt(mount, ownDir, false, false);
}

async function cgroupWritable(dir: string): Promise<boolean> {
  const results = await Promise.all(
    [dir, join(dir, 'cgroup.procs'), join(dir, 'cgroup.subtree_control')].map((p) => canAccess(p, constants.W_OK)),
  );
  return results.every(Boolean);
}

async function delegationAt(mount: string, dir: string, writable: boolean, viaSystemd: boolean): Promise<CgroupDelegation> {
  const controllers = parseControllers(await readText(join(dir, 'cgroup.controllers')));
  const parentText = dir === mount ? undefined : await readText(join(dirname(dir), 'cgroup.subtree_control'));
  return {
    dir,
    writable,
    viaSystemd,
    controllers,
    parentSubtreeControl: parentText === undefined ? undefined : parseControllers(parentText),
  };
}

/** The filesystem of a path, or of its nearest existing ancestor when skiff has not created it yet. */
async function filesystemOf(path: string): Promise<string> {
  for (let p = path; ; p = dirname(p)) {
    try {
      return filesystemName((await fs.statfs(p)).type);
    } catch {
      if (p === '/' || p === '.') return '';
    }
  }
}

async function runProbeSafely(
  runProbe: GatherOptions['runProbe'],
  args: string[],
  timeoutMs: number,
): Promise<ProbeOutcome> {
  if (!runProbe) return { ran: false, args, reason: 'no helper to run the probe' };
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    const output = await Promise.race([runProbe(args), timeout]);
    return { ran: true, args, result: parseProbeOutput(output) };
  } catch (err) {
    return { ran: false, args, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    if (timer) clearTimeout(timer);
  }
}
