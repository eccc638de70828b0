// `skiff info`: host facts shaped as Docker's `docker info` (same field names where Docker has one).
import type { Paths } from '../paths';
import type { HostFacts, IdRange } from './host';

/** One line of a uid_map/gid_map: ContainerID..+Size maps to HostID..+Size. */
export interface IdMapping {
  ContainerID: number;
  HostID: number;
  Size: number;
}

export type OverlayBackend = 'native' | 'fuse-overlayfs' | 'none' | 'unknown';

export interface ObjectCounts {
  containers: { running: number; paused: number; stopped: number };
  images: number;
}

export interface InfoModel {
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  Driver: string;
  DriverStatus: [string, string][];
  MemoryLimit: boolean;
  SwapLimit: boolean;
  CpuCfsPeriod: boolean;
  CpuCfsQuota: boolean;
  CPUShares: boolean;
  CPUSet: boolean;
  PidsLimit: boolean;
  Debug: boolean;
  LoggingDriver: string;
  CgroupDriver: string;
  CgroupVersion: string;
  KernelVersion: string;
  OperatingSystem: string;
  OSVersion: string;
  OSType: string;
  Architecture: string;
  NCPU: number;
  MemTotal: number;
  DockerRootDir: string;
  Name: string;
  ServerVersion: string;
  SecurityOptions: string[];
  /** Printed on stderr after the text form, as Docker does. */
  Warnings: string[];
  ClientInfo: { Version: string; Context: string; Debug: boolean };
  Skiff: {
    Rootless: boolean;
    RunRoot: string;
    ConfigDir: string;
    /** The mapping skiff's user namespace uses (identity as root). */
    UIDMap: IdMapping[];
    GIDMap: IdMapping[];
    SubUIDRanges: { Start: number; Count: number }[];
    SubGIDRanges: { Start: number; Count: number }[];
    OverlayBackend: OverlayBackend;
    CgroupControllers: string[];
    CgroupDir: string;
    NetworkBackends: string[];
  };
}

export function infoModel(facts: HostFacts, paths: Paths, version: string, objects?: ObjectCounts): InfoModel {
  const overlay = overlayBackend(facts);
  const controllers = limitControllers(facts);
  const cgroupVersion = facts.cgroup.version === 'v2' ? '2' : facts.cgroup.version === 'none' ? '' : '1';
  const cgroupDriver = cgroupDriverName(facts);
  const has = (c: string) => controllers.includes(c);
  const model: InfoModel = {
    ...(objects && {
      Containers: objects.containers.running + objects.containers.paused + objects.containers.stopped,
      ContainersRunning: objects.containers.running,
      ContainersPaused: objects.containers.paused,
      ContainersStopped: objects.containers.stopped,
      Images: objects.images,
    }),
    Driver: overlay === 'native' ? 'overlay' : overlay,
    DriverStatus: driverStatus(facts, overlay),
    MemoryLimit: has('memory'),
    // cgroup v2 has memory.swap.max wherever the memory controller is.
    SwapLimit: has('memory'),
    CpuCfsPeriod: has('cpu'),
    CpuCfsQuota: has('cpu'),
    CPUShares: has('cpu'),
    CPUSet: has('cpuset'),
    PidsLimit: has('pids'),
    Debug: false,
    LoggingDriver: 'json-file',
    CgroupDriver: cgroupDriver,
    CgroupVersion: cgroupVersion,
    KernelVersion: facts.kernel,
    OperatingSystem: facts.os.prettyName,
    OSVersion: facts.os.versionId ?? '',
    OSType: 'linux',
    Architecture: facts.architecture,
    NCPU: facts.ncpu,
    MemTotal: facts.memTotal,
    DockerRootDir: paths.data,
    Name: facts.hostname,
    ServerVersion: version,
    SecurityOptions: [
      'name=seccomp,profile=builtin',
      ...(facts.rootless ? ['name=rootless'] : []),
      ...(facts.cgroup.version === 'v2' ? ['name=cgroupns'] : []),
    ],
    Warnings: [],
    ClientInfo: { Version: version, Context: 'default', Debug: false },
    Skiff: {
      Rootless: facts.rootless,
      RunRoot: paths.runtime,
      ConfigDir: paths.config,
      UIDMap: plannedIdMap(facts, 'uid'),
      GIDMap: plannedIdMap(facts, 'gid'),
      SubUIDRanges: facts.subuid.ranges.map(toRange),
      SubGIDRanges: facts.subgid.ranges.map(toRange),
      OverlayBackend: overlay,
      CgroupControllers: controllers,
      CgroupDir: limitsUsable(facts) ? facts.cgroup.delegation?.dir ?? '' : '',
      NetworkBackends: [facts.tools.slirp4netns && 'slirp4netns', facts.tools.pasta && 'pasta'].filter(Boolean) as string[],
    },
  };
  model.Warnings = infoWarnings(facts, model);
  return model;
}

function toRange(r: IdRange): { Start: number; Count: number } {
  return { Start: r.start, Count: r.count };
}

/**
 * The uid_map/gid_map skiff's user namespace gets: identity as root; otherwise your own id as
 * root in the container, then the subordinate ranges from 1 up when newuidmap/newgidmap can
 * apply them (the single-id mapping when they cannot).
 */
export function plannedIdMap(facts: HostFacts, kind: 'uid' | 'gid'): IdMapping[] {
  if (!facts.rootless) return [{ ContainerID: 0, HostID: 0, Size: 4294967295 }];
  const own = kind === 'uid' ? facts.uid : facts.gid;
  const map: IdMapping[] = [{ ContainerID: 0, HostID: own, Size: 1 }];
  if (!subIdsUsable(facts)) return map;
  let next = 1;
  for (const r of (kind === 'uid' ? facts.subuid : facts.subgid).ranges) {
    if (own >= r.start && own < r.start + r.count) continue;
    map.push({ ContainerID: next, HostID: r.start, Size: r.count });
    next += r.count;
  }
  return map;
}

/** Ranges in both files and both tools able to gain their capability, unless the probe proved otherwise. */
function subIdsUsable(facts: HostFacts): boolean {
  const { newuidmap, newgidmap } = facts.tools;
  if (facts.subuid.ranges.length === 0 || facts.subgid.ranges.length === 0 || !newuidmap || !newgidmap) return false;
  const probe = facts.probe.ran ? facts.probe.result : undefined;
  if (probe?.idmap) return probe.idmap.ok;
  const privileged = (t: typeof newuidmap, p: { ok: boolean } | undefined) => (p ? p.ok : t.setuidRoot || t.fileCaps !== false);
  return privileged(newuidmap, probe?.newuidmap) && privileged(newgidmap, probe?.newgidmap);
}

/** The overlay skiff will mount: native where the kernel allows it (in a user namespace when rootless), else fuse-overlayfs. */
export function overlayBackend(facts: HostFacts): OverlayBackend {
  const probe = facts.probe.ran ? facts.probe.result : undefined;
  if (probe?.overlay?.ok) return 'native';
  if (!probe?.overlay && !facts.rootless && facts.filesystems.includes('overlay')) return 'native';
  const fuseUsable = probe?.fuse ? probe.fuse.ok : facts.devices.fuse.usable;
  if (facts.tools.fuseOverlayfs && fuseUsable) return 'fuse-overlayfs';
  return probe?.overlay ? 'none' : 'unknown';
}

function driverStatus(facts: HostFacts, overlay: OverlayBackend): [string, string][] {
  const status: [string, string][] = [];
  if (facts.storage.backingFilesystem) status.push(['Backing Filesystem', facts.storage.backingFilesystem]);
  // Docker shows userxattr for overlay2: overlay mounted in a user namespace keeps its metadata in user.* xattrs.
  if (overlay === 'native') status.push(['userxattr', String(facts.rootless)]);
  return status;
}

/** skiff applies limits through cgroup v2 only: as root anywhere in it, rootless in a delegated subtree. */
function limitsUsable(facts: HostFacts): boolean {
  const cg = facts.cgroup;
  return cg.version === 'v2' && cg.delegation !== undefined && (!facts.rootless || cg.delegation.writable);
}

function limitControllers(facts: HostFacts): string[] {
  return limitsUsable(facts) ? [...(facts.cgroup.delegation?.controllers ?? [])] : [];
}

/** Docker says "none" for a rootless engine without cgroups; skiff never uses v1 hierarchies, as root either. */
function cgroupDriverName(facts: HostFacts): string {
  if (!limitsUsable(facts)) return 'none';
  return facts.rootless && facts.cgroup.delegation?.viaSystemd ? 'systemd' : 'cgroupfs';
}

function infoWarnings(facts: HostFacts, model: InfoModel): string[] {
  const warnings: string[] = [];
  if (model.CgroupDriver === 'none') {
    if (facts.cgroup.version === 'v2') {
      warnings.push('WARNING: Running in rootless-mode without cgroups. cgroup v2 is not delegated to this user; run skiff doctor to see how to delegate it.');
    } else {
      const mode = facts.rootless ? 'Running in rootless-mode without cgroups' : 'Running without cgroups (skiff does not use cgroup v1)';
      warnings.push(`WARNING: ${mode}. To enable cgroups, you need to boot the system in cgroup v2 mode.`);
    }
  } else {
    if (!model.MemoryLimit) warnings.push('WARNING: No memory limit support');
    if (!model.SwapLimit) warnings.push('WARNING: No swap limit support');
    if (!model.CpuCfsQuota) warnings.push('WARNING: No cpu cfs quota support');
    if (!model.CpuCfsPeriod) warnings.push('WARNING: No cpu cfs period support');
    if (!model.CPUShares) warnings.push('WARNING: No cpu shares support');
    if (!model.CPUSet) warnings.push('WARNING: No cpuset support');
    if (!model.PidsLimit) warnings.push('WARNING: No pids limit support');
  }
  if (model.Skiff.OverlayBackend === 'none') warnings.push('WARNING: No overlay backend: native overlay and fuse-overlayfs are both unavailable; run skiff doctor');
  if (model.Skiff.NetworkBackends.length === 0) warnings.push('WARNING: No slirp4netns or pasta: only --network none and --network host work');
  return warnings;
}

// ---------------------------------------------------------------------------------------------
// Text form, in Docker's layout.

/** Docker's units.BytesSize: binary units, four significant digits ("23.54GiB"). */
export function bytesSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];
  let size = bytes;
  let i = 0;
  while (size >= 1024 && i < units.length - 1) {
    size /= 1024;
    i++;
  }
  return `${Number(size.toPrecision(4))}${units[i]}`;
}

function formatMap(map: IdMapping[]): string {
  return map.map((m) => `${m.ContainerID}:${m.HostID}:${m.Size}`).join(', ');
}

function formatRanges(ranges: { Start: number; Count: number }[]): string {
  return ranges.length ? ranges.map((r) => `${r.Start}:${r.Count}`).join(', ') : '(none)';
}

/** "name=seccomp,profile=builtin" → seccomp with a nested "Profile: builtin", as Docker prints it. */
function securityOptionLines(option: string): string[] {
  const fields = option.split(',').map((kv) => {
    const eq = kv.indexOf('=');
    return eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)];
  });
  const name = fields.find(([k]) => k === 'name')?.[1] ?? option;
  const rest = fields.filter(([k]) => k !== 'name').map(([k, v]) => `   ${k.charAt(0).toUpperCase()}${k.slice(1)}: ${v}`);
  return [`  ${name}`, ...rest];
}

export function renderInfo(model: InfoModel): string {
  const client = [
    ['Version:', model.ClientInfo.Version],
    ['Context:', model.ClientInfo.Context],
    ['Debug Mode:', String(model.ClientInfo.Debug)],
  ];
  const width = Math.max(...client.map(([k]) => k.length));
  const lines: string[] = ['Client:', ...client.map(([k, v]) => ` ${k.padEnd(width)} ${v}`), '', 'Server:'];
  const kv = (key: string, value: string | number | boolean, depth = 1) => lines.push(`${' '.repeat(depth)}${key}: ${value}`);

  if (model.Containers !== undefined) {
    kv('Containers', model.Containers);
    kv('Running', model.ContainersRunning ?? 0, 2);
    kv('Paused', model.ContainersPaused ?? 0, 2);
    kv('Stopped', model.ContainersStopped ?? 0, 2);
    kv('Images', model.Images ?? 0);
  }
  kv('Server Version', model.ServerVersion);
  kv('Storage Driver', model.Driver);
  for (const [k, v] of model.DriverStatus) kv(k, v, 2);
  kv('Logging Driver', model.LoggingDriver);
  kv('Cgroup Driver', model.CgroupDriver);
  kv('Cgroup Version', model.CgroupVersion);
  lines.push(' Security Options:');
  for (const option of model.SecurityOptions) lines.push(...securityOptionLines(option));
  kv('Kernel Version', model.KernelVersion);
  kv('Operating System', model.OperatingSystem);
  kv('OSType', model.OSType);
  kv('Architecture', model.Architecture);
  kv('CPUs', model.NCPU);
  kv('Total Memory', bytesSize(model.MemTotal));
  kv('Name', model.Name);
  kv('Docker Root Dir', model.DockerRootDir);
  kv('Debug Mode', model.Debug);
  const s = model.Skiff;
  lines.push(' Skiff:');
  kv('Rootless', s.Rootless, 2);
  kv('Run Root', s.RunRoot, 2);
  kv('Config Dir', s.ConfigDir, 2);
  kv('UID Map', formatMap(s.UIDMap), 2);
  kv('GID Map', formatMap(s.GIDMap), 2);
  kv('Sub UID Ranges', formatRanges(s.SubUIDRanges), 2);
  kv('Sub GID Ranges', formatRanges(s.SubGIDRanges), 2);
  kv('Overlay Backend', s.OverlayBackend, 2);
  kv('Cgroup Dir', s.CgroupDir || '(none)', 2);
  kv('Cgroup Controllers', s.CgroupControllers.join(' ') || '(none)', 2);
  kv('Network Backends', s.NetworkBackends.join(' ') || '(none)', 2);
  return `${lines.join('\n')}\n\n`;
}

/** The warnings Docker prints on stderr after `docker info`. */
export function renderInfoWarnings(model: InfoModel): string {
  return model.Warnings.map((w) => `${w}\n`).join('');
}
