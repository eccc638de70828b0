// Fabricated host facts for the doctor and info tests: a healthy rootless Fedora host on cgroup v2, and mountinfo samples.
import type { HostFacts } from '../../../src/system/host';

/** Everything a rootless container needs, delegated cgroup v2 included; tests break one thing at a time. */
export function healthyFacts(): HostFacts {
  return {
    uid: 1000,
    gid: 1000,
    user: 'alice',
    userInPasswd: true,
    rootless: true,
    hostname: 'box',
    kernel: '6.8.5-301.fc40.x86_64',
    architecture: 'x86_64',
    ncpu: 4,
    memTotal: 8 * 1024 ** 3,
    os: { id: 'fedora', idLike: [], prettyName: 'Fedora Linux 40 (Workstation Edition)', versionId: '40' },
    distro: 'fedora',
    sysctl: { maxUserNamespaces: 63000 },
    subuid: {
      path: '/etc/subuid',
      readable: true,
      entries: [{ owner: 'alice', start: 100000, count: 65536 }],
      ranges: [{ start: 100000, count: 65536 }],
    },
    subgid: {
      path: '/etc/subgid',
      readable: true,
      entries: [{ owner: 'alice', start: 100000, count: 65536 }],
      ranges: [{ start: 100000, count: 65536 }],
    },
    tools: {
      newuidmap: { path: '/usr/bin/newuidmap', setuidRoot: false, fileCaps: true },
      newgidmap: { path: '/usr/bin/newgidmap', setuidRoot: false, fileCaps: true },
      slirp4netns: '/usr/bin/slirp4netns',
      pasta: '/usr/bin/pasta',
      fuseOverlayfs: '/usr/bin/fuse-overlayfs',
    },
    devices: {
      fuse: { path: '/dev/fuse', exists: true, charDevice: true, mode: 0o666, usable: true },
      tun: { path: '/dev/net/tun', exists: true, charDevice: true, mode: 0o666, usable: true },
    },
    filesystems: ['ext4', 'overlay', 'fuse', 'cgroup2'],
    runtimeDir: {
      value: '/run/user/1000',
      exists: true,
      directory: true,
      ownerUid: 1000,
      mode: 0o700,
      writable: true,
      loginDir: { path: '/run/user/1000', exists: true, ownedByUser: true },
    },
    storage: { dir: '/home/alice/.local/share/skiff', backingFilesystem: 'btrfs' },
    cgroup: {
      version: 'v2',
      unifiedMount: '/sys/fs/cgroup',
      unifiedRoot: '/',
      v1Controllers: [],
      ownPath: '/user.slice/user-1000.slice/user@1000.service/app.slice/vte-spawn-1.scope',
      ownDir: '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/vte-spawn-1.scope',
      delegation: {
        dir: '/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/vte-spawn-1.scope',
        writable: true,
        viaSystemd: false,
        controllers: ['cpu', 'cpuset', 'io', 'memory', 'pids'],
        parentSubtreeControl: ['cpu', 'cpuset', 'io', 'memory', 'pids'],
      },
      systemdBooted: true,
      systemdUserManager: true,
      pid1: 'systemd',
      kernelCmdline: 'BOOT_IMAGE=/vmlinuz root=UUID=x ro rhgb quiet',
    },
    probe: {
      ran: true,
      args: ['--uid-map', '100000:65536', '--gid-map', '100000:65536', '--newuidmap', '/usr/bin/newuidmap', '--newgidmap', '/usr/bin/newgidmap'],
      result: {
        userns: { ok: true, detail: 'created a user namespace' },
        idmap: { ok: true, detail: 'mapped' },
        overlay: { ok: true, detail: 'native overlay with userxattr' },
        fuse: { ok: true, detail: 'opened /dev/fuse read-write' },
        tun: { ok: true, detail: 'opened /dev/net/tun read-write' },
        newuidmap: { ok: true, detail: '/usr/bin/newuidmap has cap_setuid' },
        newgidmap: { ok: true, detail: '/usr/bin/newgidmap has cap_setgid' },
      },
    },
  };
}

/** The same host as seen by root. */
export function rootFacts(): HostFacts {
  const facts = healthyFacts();
  facts.uid = 0;
  facts.gid = 0;
  facts.user = 'root';
  facts.rootless = false;
  facts.subuid.ranges = [];
  facts.subgid.ranges = [];
  facts.runtimeDir = { exists: false, directory: false, writable: false, loginDir: { path: '/run/user/0', exists: false, ownedByUser: false } };
  facts.cgroup.ownPath = '/';
  facts.cgroup.ownDir = '/sys/fs/cgroup';
  facts.cgroup.delegation = { dir: '/sys/fs/cgroup', writable: true, viaSystemd: false, controllers: ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'] };
  facts.probe = { ran: true, args: [], result: { userns: { ok: true, detail: '' }, overlay: { ok: true, detail: '' }, fuse: { ok: true, detail: '' }, tun: { ok: true, detail: '' } } };
  return facts;
}

/** The build machines: Debian 12, cgroup v1 controllers plus an empty cgroup2 at /sys/fs/cgroup/unified. */
export function hybridFacts(): HostFacts {
  const facts = healthyFacts();
  facts.os = { id: 'debian', idLike: [], prettyName: 'Debian GNU/Linux 12 (bookworm)', versionId: '12' };
  facts.distro = 'debian';
  facts.cgroup = {
    version: 'hybrid',
    unifiedMount: '/sys/fs/cgroup/unified',
    unifiedRoot: '/',
    v1Controllers: ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'pids'],
    ownPath: '/',
    ownDir: '/sys/fs/cgroup/unified',
    delegation: { dir: '/sys/fs/cgroup/unified', writable: false, viaSystemd: false, controllers: ['hugetlb'] },
    systemdBooted: false,
    systemdUserManager: false,
    pid1: 'process_api',
    kernelCmdline: 'console=ttyS0 quiet',
  };
  return facts;
}

export const MOUNTINFO_V1 = `
22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
25 22 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
30 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
31 25 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
32 25 0:30 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids
`;

export const MOUNTINFO_HYBRID = `
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

export const MOUNTINFO_UNIFIED = `
24 1 259:2 / / rw,relatime shared:1 - btrfs /dev/nvme0n1p3 rw,seclabel,compress=zstd:1,ssd,space_cache=v2,subvolid=257,subvol=/root
35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,seclabel,nsdelegate,memory_recursiveprot
1203 1180 0:30 / /home/alice/my\\040cgroups rw,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate
`;
