// Container records and their directories, and the reconciliation of a record with what is really running.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Paths } from '../paths';
import { isId } from '../storage/ids';
import { openRecords, recordsDir, RecordConflictError, type RecordStore } from '../storage/records';
import { removeTreeIn } from '../image/stores';
import { randomInt } from '../util/random';
import { childProcess } from '../util/lazy';

/** Docker's container Config, as `inspect` shows it. */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: string[] | null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
}

export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount: number;
}

export interface HostConfig {
  AutoRemove: boolean;
  RestartPolicy: RestartPolicy;
  LogConfig: { Type: string; Config: Record<string, string> };
  NetworkMode: string;
  ExtraHosts: string[] | null;
  Init: boolean | null;
  ReadonlyRootfs: boolean;
  Ulimits: Array<{ Name: string; Soft: number; Hard: number }> | null;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: ContainerStatus;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  OOMKilled: boolean;
  /** The monitor's pid while it lives. */
  MonitorPid: number;
}

export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  /** Image id (sha256:…) and the name the user gave. */
  image: string;
  imageName: string;
  path: string;
  args: string[];
  config: ContainerConfig;
  hostConfig: HostConfig;
  state: ContainerState;
  restartCount: number;
  /** Overlay lower dirs, top layer first. */
  lowerDirs: string[];
  /** How the user namespace was mapped when it was created: 'full', 'single-id' or 'root'. */
  mapping: string;
}

export const zeroTime = '0001-01-01T00:00:00Z';

export function containerStore(paths: Paths): RecordStore<ContainerRecord> {
  return openRecords<ContainerRecord>(recordsDir(paths.data, 'container'), 'container');
}

/** `<data>/containers/<id>`: bundle, overlay upper/work, rootfs mountpoint, hosts files, logs. */
export function containerDir(paths: Paths, id: string): string {
  return join(paths.data, 'containers', id);
}

/** `<runtime>/containers/<id>`: the monitor's pid files, attach socket, exit status. */
export function containerRunDir(paths: Paths, id: string): string {
  return join(paths.runtime, 'containers', id);
}

export function logPath(paths: Paths, id: string): string {
  return join(containerDir(paths, id), `${id}-json.log`);
}

const adjectives = [
  'brave', 'calm', 'clever', 'eager', 'fervent', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nimble',
  'quiet', 'quirky', 'sharp', 'steady', 'stoic', 'sweet', 'tender', 'vivid', 'wise', 'zealous', 'bold', 'bright',
  'cheerful', 'crisp', 'daring', 'elegant', 'festive', 'focused', 'graceful', 'hopeful', 'kind', 'lively', 'modest',
  'noble', 'patient', 'proud', 'serene', 'swift',
];
const surnames = [
  'noether', 'lovelace', 'turing', 'hopper', 'curie', 'meitner', 'franklin', 'euler', 'gauss', 'riemann', 'hilbert',
  'kepler', 'galileo', 'newton', 'darwin', 'mendel', 'pasteur', 'bohr', 'dirac', 'fermi', 'feynman', 'shannon',
  'ramanujan', 'tesla', 'faraday', 'maxwell', 'boltzmann', 'planck', 'hypatia', 'archimedes', 'pascal', 'fourier',
  'lamarr', 'goodall', 'mcclintock', 'wu', 'yalow', 'payne', 'johnson', 'vaughan',
];

/** Docker-style `adjective_surname`; a suffix digit after collisions, as Docker retries. */
export function randomName(attempt = 0): string {
  const name = `${adjectives[randomInt(adjectives.length)]}_${surnames[randomInt(surnames.length)]}`;
  return attempt > 0 ? `${name}${randomInt(10)}` : name;
}

/** Creates the record with the given name, or an unused random one; retries on a lost race. */
export async function createRecord(store: RecordStore<ContainerRecord>, record: Omit<ContainerRecord, 'name'>, name?: string): Promise<ContainerRecord> {
  for (let attempt = 0; ; attempt++) {
    const candidate = { ...record, name: name ?? randomName(attempt) } as ContainerRecord;
    try {
      return await store.create(candidate);
    } catch (err) {
      if (name !== undefined || !(err instanceof RecordConflictError) || attempt > 20) throw err;
    }
  }
}

export async function makeContainerDirs(paths: Paths, id: string): Promise<{ dir: string; upper: string; work: string; rootfs: string; bundle: string }> {
  const dir = containerDir(paths, id);
  const upper = join(dir, 'upper');
  const work = join(dir, 'work');
  const rootfs = join(dir, 'rootfs');
  const bundle = join(dir, 'bundle');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The overlay's root takes the upper dir's mode: 0755 as in Docker, or non-root users cannot traverse "/".
  for (const d of [upper, rootfs]) mkdirSync(d, { mode: 0o755 });
  for (const d of [work, bundle]) mkdirSync(d, { mode: 0o700 });
  mkdirSync(containerRunDir(paths, id), { recursive: true, mode: 0o700 });
  return { dir, upper, work, rootfs, bundle };
}

/**
 * Removes container directories (data and run) that no record owns: what a `run` or `create` killed
 * between making them and writing the record leaves. Only directories older than `minAgeMs`, so a
 * create in progress in another process keeps its own. Returns the ids removed.
 */
export async function removeOrphanDirs(paths: Paths, store: RecordStore<ContainerRecord>, minAgeMs = 60_000): Promise<string[]> {
  const removed: string[] = [];
  const cutoff = Date.now() - minAgeMs;
  const candidates = new Set<string>();
  for (const root of [join(paths.data, 'containers'), join(paths.runtime, 'containers')]) {
    let names: string[] = [];
    try {
      names = readdirSync(root);
    } catch {
      continue; // no such directory yet
    }
    for (const name of names) {
      if (!isId(name)) continue;
      const st = statSync(join(root, name), { throwIfNoEntry: false });
      if (st && st.mtimeMs < cutoff) candidates.add(name);
    }
  }
  for (const id of candidates) {
    if (await store.find(id)) continue;
    await removeContainerDirs(paths, id);
    removed.push(id);
  }
  return removed;
}

export async function removeContainerDirs(paths: Paths, id: string): Promise<void> {
  rmSync(containerRunDir(paths, id), { recursive: true, force: true });
  const dir = containerDir(paths, id);
  if (!existsSync(dir)) return;
  // A fuse-overlayfs root its killed monitor left mounted. Rootless it is in the user namespace's
  // mount namespace: from here rootfs is an empty directory, and removing it detaches the mount
  // there too. As root it is in this namespace: unmount it before anything walks into it.
  const rootfs = join(dir, 'rootfs');
  const rootfsDev = statSync(rootfs, { throwIfNoEntry: false })?.dev;
  if (rootfsDev !== undefined && rootfsDev !== statSync(dir).dev) childProcess().spawnSync('umount', ['-l', rootfs], { stdio: 'ignore' });
  try {
    rmdirSync(rootfs);
  } catch {
    // not there, or not empty (an old layout): the removal below deals with it
  }
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // The upper dir holds files owned by subordinate ids: remove them as root of the namespace.
    await removeTreeIn(paths)(dir);
  }
}

// ---------------------------------------------------------------------------------------------
// What is really running

function pidAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A zombie is not alive; a reused pid would not be our helper (checked by the caller where it matters).
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

function readPidFile(path: string): number[] {
  try {
    return readFileSync(path, 'utf8').trim().split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

export interface ExitInfo {
  exitCode: number;
  signal: number | null;
  finishedAt: string;
  restartCount: number;
  oomKilled: boolean;
}

export async function readExit(paths: Paths, id: string): Promise<ExitInfo | undefined> {
  try {
    return JSON.parse(readFileSync(join(containerRunDir(paths, id), 'exit.json'), 'utf8')) as ExitInfo;
  } catch {
    return undefined;
  }
}

/** Whether the monitor restarts after this exit: the restart policy, as the monitor applies it. */
function willRestart(record: ContainerRecord, exit: ExitInfo, stopped: boolean): boolean {
  const policy = record.hostConfig.RestartPolicy;
  if (stopped || policy.Name === 'no' || policy.Name === '') return false;
  if (policy.Name === 'on-failure') return exit.exitCode !== 0 && (policy.MaximumRetryCount === 0 || exit.restartCount < policy.MaximumRetryCount);
  return true;
}

/** When the monitor last started the container's process (it writes container.pid then), if ever. */
export function lastStartMs(paths: Paths, id: string): number | undefined {
  return statSync(join(containerRunDir(paths, id), 'container.pid'), { throwIfNoEntry: false })?.mtimeMs;
}

/** The monitor's live view of a started container: which process runs now, or how it ended. */
export async function observe(paths: Paths, record: ContainerRecord): Promise<ContainerState & { restartCount: number }> {
  let state = { ...record.state, restartCount: record.restartCount };
  const run = containerRunDir(paths, record.id);
  if (state.Status === 'created' || state.Status === 'exited') {
    // A start its CLI did not live to record (killed between the monitor's start and the record
    // update): the monitor's pid file for this run is newer than the state the record holds.
    const startedMs = lastStartMs(paths, record.id);
    const since = Date.parse(state.Status === 'created' ? record.created : state.FinishedAt);
    if (startedMs === undefined || !(startedMs > since)) return state;
    const [monitorPid] = readPidFile(join(run, 'monitor.pid'));
    state = { ...state, Status: 'running', StartedAt: new Date(startedMs).toISOString(), MonitorPid: monitorPid ?? 0, ExitCode: 0, Error: '' };
  }
  if (state.Status !== 'running' && state.Status !== 'restarting' && state.Status !== 'paused') return state;
  const [monitorPid] = readPidFile(join(run, 'monitor.pid'));
  const [pid, restarts] = readPidFile(join(run, 'container.pid'));
  const monitorAlive = pidAlive(monitorPid ?? state.MonitorPid);
  if (pid && pidAlive(pid) && monitorAlive) {
    return { ...state, Status: state.Status === 'paused' ? 'paused' : 'running', Pid: pid, restartCount: restarts ?? state.restartCount };
  }
  const exit = await readExit(paths, record.id);
  const exitedSinceStart = exit !== undefined && Date.parse(exit.finishedAt) >= Date.parse(state.StartedAt);
  if (monitorAlive) {
    // The exit is recorded and the policy will not restart: the monitor is only running the
    // cleanup command. Show it exited now (MonitorPid kept, so a new start waits for that cleanup).
    if (exitedSinceStart && !willRestart(record, exit!, existsSync(join(run, 'stop')))) {
      return { ...state, Status: 'exited', Pid: 0, ExitCode: exit!.exitCode, FinishedAt: exit!.finishedAt, OOMKilled: exit!.oomKilled, restartCount: exit!.restartCount };
    }
    // Between an exit and the restart the policy asked for.
    return { ...state, Status: 'restarting', Pid: 0, ExitCode: exit?.exitCode ?? state.ExitCode, restartCount: restarts ?? state.restartCount };
  }
  if (exit && exitedSinceStart) {
    return { ...state, Status: 'exited', Pid: 0, ExitCode: exit.exitCode, FinishedAt: exit.finishedAt, OOMKilled: exit.oomKilled, restartCount: exit.restartCount, MonitorPid: 0 };
  }
  // The monitor died without recording an exit (killed, host rebooted): never "running" forever.
  return {
    ...state, Status: 'exited', Pid: 0, ExitCode: 255, MonitorPid: 0,
    Error: 'the container monitor exited unexpectedly; the container was stopped',
    FinishedAt: state.FinishedAt !== zeroTime ? state.FinishedAt : new Date().toISOString(),
  };
}

/**
 * Waits (up to timeoutMs) while the container's process is gone but its monitor still runs: the
 * moments after an exit when the monitor records it and runs the cleanup command. Starting again
 * in that window would let that cleanup overwrite the new running state.
 */
export async function settle(paths: Paths, record: Pick<ContainerRecord, 'id' | 'state'>, timeoutMs = 5000): Promise<void> {
  const run = containerRunDir(paths, record.id);
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    // The monitor removes its pid file before it runs the cleanup command: then the record's pid tells.
    const [monitorPid = record.state.MonitorPid] = readPidFile(join(run, 'monitor.pid'));
    const [pid] = readPidFile(join(run, 'container.pid'));
    if (!pidAlive(monitorPid) || (pid !== undefined && pidAlive(pid))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Brings the record in line with reality (and stores that), so ps and inspect never show a stale state. */
export async function refresh(paths: Paths, store: RecordStore<ContainerRecord>, record: ContainerRecord): Promise<ContainerRecord> {
  const seen = await observe(paths, record);
  const { restartCount, ...state } = seen;
  if (JSON.stringify(state) === JSON.stringify(record.state) && restartCount === record.restartCount) return record;
  try {
    return await store.update(record.id, (current) => {
      current.state = state;
      current.restartCount = restartCount;
    });
  } catch {
    return { ...record, state, restartCount };
  }
}

/** Docker's STATUS column: Up 3 seconds, Exited (0) 2 minutes ago, Created, Restarting (1) 1 second ago. */
export function statusText(record: ContainerRecord, now = Date.now(), human: (ms: number) => string): string {
  const s = record.state;
  switch (s.Status) {
    case 'running':
      return `Up ${human(now - Date.parse(s.StartedAt))}`;
    case 'paused':
      return `Up ${human(now - Date.parse(s.StartedAt))} (Paused)`;
    case 'restarting':
      return `Restarting (${s.ExitCode}) ${human(now - Date.parse(s.FinishedAt || s.StartedAt))} ago`;
    case 'exited':
      return s.StartedAt === zeroTime ? 'Created' : `Exited (${s.ExitCode}) ${human(now - Date.parse(s.FinishedAt))} ago`;
    case 'dead':
      return 'Dead';
    case 'removing':
      return 'Removal In Progress';
    default:
      return 'Created';
  }
}
