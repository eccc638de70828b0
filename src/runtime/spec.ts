// Builds the OCI runtime config (config.json) a container's bundle holds: pure, no I/O.

/** Docker's default capability set (moby's oci/caps defaults): 14 capabilities. */
export const defaultCapabilities = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** Docker's masked and read-only /proc and /sys paths. */
export const defaultMaskedPaths = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const defaultReadonlyPaths = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface Rlimit {
  type: string;
  soft: number;
  hard: number;
}

export interface SpecInput {
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[] };
  hostname: string;
  tty: boolean;
  readonlyRootfs: boolean;
  rlimits: Rlimit[];
  /** 'private' (own namespace, loopback only), 'host', or a path to join. */
  network: 'private' | 'host' | { path: string };
  /** Where the overlay is mounted (an empty dir in the container's directory). */
  rootfs: string;
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  /** A FUSE program (fuse-overlayfs) to mount the overlay with instead of the kernel's overlay. */
  mountProgram?: string;
  files: { hosts: string; hostname: string; resolvConf: string };
  /** The helper binary, bind-mounted as /sbin/docker-init for --init. */
  initBinary?: string;
  /** Rootless with a single mapped id: gid 5 (tty) does not exist, so devpts gets no gid option. */
  singleId: boolean;
  rootless: boolean;
  annotations?: Record<string, string>;
}

interface Mount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export function buildSpec(input: SpecInput): Record<string, unknown> {
  const mounts: Mount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', ...(input.singleId ? [] : ['gid=5'])] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
  ];
  // The standard device nodes are bind-mounted from the host: a user namespace cannot create them,
  // and as root the same binds keep the helper free of mknod.
  for (const dev of ['null', 'zero', 'full', 'random', 'urandom', 'tty']) {
    mounts.push({ destination: `/dev/${dev}`, type: 'bind', source: `/dev/${dev}`, options: ['bind', 'nosuid', 'noexec'] });
  }
  mounts.push(
    { destination: '/etc/resolv.conf', type: 'bind', source: input.files.resolvConf, options: ['rbind', 'rprivate'] },
    { destination: '/etc/hostname', type: 'bind', source: input.files.hostname, options: ['rbind', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: input.files.hosts, options: ['rbind', 'rprivate'] },
  );
  const args = [...input.args];
  if (input.initBinary) {
    mounts.push({ destination: '/sbin/docker-init', type: 'bind', source: input.initBinary, options: ['bind', 'ro', 'nosuid'] });
    args.unshift('/sbin/docker-init', 'init', '--');
  }
  const namespaces: Array<{ type: string; path?: string }> = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }];
  if (input.network === 'private') namespaces.push({ type: 'network' });
  else if (typeof input.network === 'object') namespaces.push({ type: 'network', path: input.network.path });
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: input.tty,
      user: { uid: input.user.uid, gid: input.user.gid, additionalGids: input.user.additionalGids },
      args,
      env: input.env,
      cwd: input.cwd,
      capabilities: {
        bounding: defaultCapabilities,
        effective: defaultCapabilities,
        permitted: defaultCapabilities,
        inheritable: [],
        ambient: [],
      },
      rlimits: input.rlimits.map((r) => ({ type: r.type, hard: r.hard, soft: r.soft })),
      noNewPrivileges: false,
    },
    root: { path: input.rootfs, readonly: input.readonlyRootfs },
    hostname: input.hostname,
    mounts,
    linux: {
      namespaces,
      maskedPaths: defaultMaskedPaths,
      readonlyPaths: defaultReadonlyPaths,
      rootfsPropagation: 'rprivate',
    },
    annotations: {
      'org.skiff.rootfs.lowerdirs': input.lowerDirs.join(':'),
      'org.skiff.rootfs.upperdir': input.upperDir,
      'org.skiff.rootfs.workdir': input.workDir,
      ...(input.mountProgram ? { 'org.skiff.rootfs.mount-program': input.mountProgram } : {}),
      ...(input.annotations ?? {}),
    },
  };
}

/** Docker's `--ulimit name=soft[:hard]` → an OCI rlimit. */
export function parseUlimit(text: string): Rlimit {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(text);
  const names: Record<string, string> = {
    core: 'RLIMIT_CORE', cpu: 'RLIMIT_CPU', data: 'RLIMIT_DATA', fsize: 'RLIMIT_FSIZE', locks: 'RLIMIT_LOCKS',
    memlock: 'RLIMIT_MEMLOCK', msgqueue: 'RLIMIT_MSGQUEUE', nice: 'RLIMIT_NICE', nofile: 'RLIMIT_NOFILE',
    nproc: 'RLIMIT_NPROC', rss: 'RLIMIT_RSS', rtprio: 'RLIMIT_RTPRIO', rttime: 'RLIMIT_RTTIME',
    sigpending: 'RLIMIT_SIGPENDING', stack: 'RLIMIT_STACK', as: 'RLIMIT_AS',
  };
  if (!m) throw new Error(`invalid ulimit argument: ${text}`);
  const type = names[m[1]];
  if (!type) throw new Error(`invalid ulimit type: ${m[1]}`);
  const soft = Number(m[2]);
  const hard = m[3] === undefined ? soft : Number(m[3]);
  const norm = (n: number): number => (n < 0 ? 2 ** 64 - 1 : n);
  if (soft >= 0 && hard >= 0 && soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { type, soft: norm(soft), hard: norm(hard) };
}
