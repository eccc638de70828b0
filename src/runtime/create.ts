// Turns `create`/`run` flags and an image into a container: record, directories, hosts files, bundle.
import { existsSync, mkdirSync, readFileSync, writeFileSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, SkiffError } from '../errors';
import type { Paths } from '../paths';
import type { Flags } from '../cli/argv';
import type { ImageRecord } from '../storage/images';
import type { Stores } from '../image/stores';
import { readImageFile, resolveUser } from './passwd';
import type { StorageOptions } from './storage-opts';
import { buildSpec, defaultPath, parseUlimit, type Rlimit } from './spec';
import { userNamespace } from './userns';
import { newId } from '../storage/ids';
import { helperPath } from './helper';
import {
  containerStore, createRecord, makeContainerDirs, removeContainerDirs, zeroTime,
  type ContainerConfig, type ContainerRecord, type HostConfig, type RestartPolicy,
} from './containers';

interface ImageConfigFields {
  Env?: string[];
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  User?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
}

function list(flags: Flags, name: string): string[] {
  const v = flags[name];
  return Array.isArray(v) ? v : [];
}

/** Docker's --restart values. */
export function parseRestart(text: string): RestartPolicy {
  const [name, count] = text.split(':');
  if (name === 'no' || name === '') return { Name: 'no', MaximumRetryCount: 0 };
  if (name === 'always' || name === 'unless-stopped') {
    if (count !== undefined) throw new SkiffError(`maximum retry count cannot be used with restart policy '${name}'`);
    return { Name: name, MaximumRetryCount: 0 };
  }
  if (name === 'on-failure') {
    const n = count === undefined ? 0 : Number(count);
    if (!Number.isInteger(n) || n < 0) throw new SkiffError(`invalid restart policy: maximum retry count must be a positive integer: ${count}`);
    return { Name: 'on-failure', MaximumRetryCount: n };
  }
  throw new SkiffError(`invalid restart policy format: ${text}; use no, always, unless-stopped or on-failure[:max-retries]`);
}

/**
 * `-e` and `--env-file` as Docker's CLI reads them: KEY=VALUE, or KEY alone to copy the caller's
 * value (left out when the caller has none). In a file, leading blanks are dropped, blank lines and
 * `#` comments skipped, and the value is kept as written (no quotes removed).
 */
export async function collectEnv(flags: Flags): Promise<string[]> {
  const out: string[] = [];
  const add = (entry: string): void => {
    if (entry.includes('=')) out.push(entry);
    else if (process.env[entry] !== undefined) out.push(`${entry}=${process.env[entry]}`);
  };
  for (const file of list(flags, 'env-file')) {
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      throw new SkiffError(`open ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
    }
    for (const raw of text.replace(/^\uFEFF/, '').split('\n')) {
      const line = raw.replace(/\r$/, '').replace(/^\s+/, '');
      if (line === '' || line.startsWith('#')) continue;
      const key = line.split('=')[0];
      if (/\s/.test(key)) throw new SkiffError(`invalid env file (${file}): variable '${key}' contains whitespaces`);
      if (key === '') throw new SkiffError(`invalid env file (${file}): no variable name on line '${line}'`);
      add(line);
    }
  }
  for (const e of list(flags, 'env')) add(e);
  return out;
}

const envKey = (entry: string): string => entry.split('=')[0];

/** Docker's Config.Env: the user's variables in their order, then the image's that they do not override. */
function mergeEnv(user: string[], image: string[]): string[] {
  const byKey = new Map<string, string>();
  for (const e of user) byKey.set(envKey(e), e);
  const merged = [...byKey.values()];
  for (const e of image) if (!byKey.has(envKey(e))) merged.push(e);
  return merged;
}

/**
 * The environment a container's (or an exec's) process gets, as Docker builds it: PATH, HOSTNAME and,
 * with a terminal, TERM first, each replaced by the container's own value, then the rest of
 * Config.Env and the extra variables, then HOME when nothing set it.
 */
export function processEnv(config: { Env: string[]; Hostname: string }, options: { tty: boolean; home: string; extra?: string[] }): string[] {
  const env = new Map<string, string>([['PATH', `PATH=${defaultPath}`], ['HOSTNAME', `HOSTNAME=${config.Hostname}`]]);
  if (options.tty) env.set('TERM', 'TERM=xterm');
  for (const e of [...config.Env, ...(options.extra ?? [])]) env.set(envKey(e), e);
  if (!env.has('HOME')) env.set('HOME', `HOME=${options.home}`);
  return [...env.values()];
}

function hostsFile(hostname: string, extra: string[]): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const h of extra) {
    const i = h.indexOf(':');
    if (i <= 0) throw new SkiffError(`bad format for add-host: "${h}"; use HOST:IP`);
    const ip = h.slice(i + 1).replace(/^\[|\]$/g, '');
    lines.push(`${ip === 'host-gateway' ? '127.0.0.1' : ip}\t${h.slice(0, i)}`);
  }
  lines.push(`127.0.1.1\t${hostname}`);
  return `${lines.join('\n')}\n`;
}

/** The host's resolv.conf without loopback name servers, which mean nothing inside the container. */
function resolvConf(): string {
  let text = '';
  try {
    text = readFileSync('/etc/resolv.conf', 'utf8');
  } catch { /* none */ }
  const kept = text.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1)/.test(l));
  if (!kept.some((l) => /^\s*nameserver\s/.test(l))) kept.push('nameserver 8.8.8.8', 'nameserver 8.8.4.4');
  return `${kept.join('\n').trim()}\n`;
}

export interface CreateInput {
  paths: Paths;
  stores: Stores;
  image: ImageRecord;
  imageName: string;
  /** Words after the image on the command line. */
  command: string[];
  flags: Flags;
  /** The -e and --env-file variables when the caller has read them already (else read from flags). */
  env?: string[];
  storage?: StorageOptions;
}

export async function createContainer(input: CreateInput): Promise<ContainerRecord> {
  const { paths, stores, image, flags } = input;
  const imageConfig = JSON.parse((await stores.content.readBuffer(image.configDigest)).toString('utf8')) as { config?: ImageConfigFields };
  const ic: ImageConfigFields = imageConfig.config ?? {};
  const lowerDirs = image.layers.map((l) => stores.layers.dir(l.chainId)).reverse();

  let entrypoint: string[] | null = ic.Entrypoint ?? null;
  let cmd: string[] | null = input.command.length > 0 ? input.command : (ic.Cmd ?? null);
  if (typeof flags.entrypoint === 'string') {
    entrypoint = flags.entrypoint === '' ? null : [flags.entrypoint];
    if (input.command.length === 0) cmd = null; // --entrypoint resets the image's CMD, as Docker does
  }
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (argv.length === 0) throw new SkiffError('No command specified', ExitCode.engine);

  const tty = flags.tty === true;
  const userSpec = typeof flags.user === 'string' ? flags.user : (ic.User ?? '');
  const [passwd, group] = await Promise.all([readImageFile(lowerDirs, '/etc/passwd'), readImageFile(lowerDirs, '/etc/group')]);
  const user = resolveUser(userSpec, passwd, group);

  const env = mergeEnv(input.env ?? (await collectEnv(flags)), ic.Env ?? []);
  const hostnameFlag = typeof flags.hostname === 'string' && flags.hostname !== '' ? flags.hostname : undefined;
  const restart = parseRestart(typeof flags.restart === 'string' ? flags.restart : 'no');
  if (flags.rm === true && restart.Name !== 'no') throw new SkiffError('Conflicting options: --restart and --rm');
  const logOpts: Record<string, string> = {};
  for (const o of list(flags, 'log-opt')) {
    const i = o.indexOf('=');
    if (i <= 0) throw new SkiffError(`invalid log-opt "${o}": use KEY=VALUE`);
    const key = o.slice(0, i);
    if (!['max-size', 'max-file', 'compress', 'labels', 'env', 'tag'].includes(key)) throw new SkiffError(`unknown log opt '${key}' for json-file log driver`);
    logOpts[key] = o.slice(i + 1);
  }
  const logDriver = typeof flags['log-driver'] === 'string' ? flags['log-driver'] : 'json-file';
  if (!['json-file', 'none', 'k8s-file'].includes(logDriver)) throw new SkiffError(`logging driver "${logDriver}" is not supported by skiff; use json-file or none`);
  const ulimits: Rlimit[] = list(flags, 'ulimit').map((u) => {
    try {
      return parseUlimit(u);
    } catch (err) {
      throw new SkiffError((err as Error).message);
    }
  });
  const network = typeof flags.network === 'string' ? flags.network : 'default';
  if (!['default', 'bridge', 'none', 'host', 'private', 'slirp4netns'].includes(network)) {
    throw new SkiffError(`network ${network} not found; skiff supports --network default|none|host until user-defined networks arrive`, ExitCode.engine);
  }
  const labels: Record<string, string> = { ...(ic.Labels ?? {}) };
  for (const l of list(flags, 'label')) {
    const i = l.indexOf('=');
    labels[i < 0 ? l : l.slice(0, i)] = i < 0 ? '' : l.slice(i + 1);
  }
  const stopTimeout = typeof flags['stop-timeout'] === 'number' ? flags['stop-timeout'] : undefined;
  const config: ContainerConfig = {
    Hostname: '', Domainname: '', User: userSpec,
    AttachStdin: flags.interactive === true, AttachStdout: flags.detach !== true, AttachStderr: flags.detach !== true,
    Tty: tty, OpenStdin: flags.interactive === true, StdinOnce: flags.interactive === true && flags.detach !== true,
    Env: env, Cmd: cmd, Image: input.imageName, Volumes: null,
    WorkingDir: typeof flags.workdir === 'string' ? flags.workdir : (ic.WorkingDir ?? ''),
    Entrypoint: entrypoint, OnBuild: null, Labels: labels,
    ...(typeof flags['stop-signal'] === 'string' ? { StopSignal: flags['stop-signal'] } : ic.StopSignal ? { StopSignal: ic.StopSignal } : {}),
    ...(stopTimeout !== undefined ? { StopTimeout: stopTimeout } : {}),
  };
  const hostConfig: HostConfig = {
    AutoRemove: flags.rm === true,
    RestartPolicy: restart,
    LogConfig: { Type: logDriver === 'k8s-file' ? 'json-file' : logDriver, Config: logOpts },
    NetworkMode: network === 'default' ? 'bridge' : network,
    ExtraHosts: list(flags, 'add-host').length ? list(flags, 'add-host') : null,
    Init: flags.init === true ? true : null,
    ReadonlyRootfs: flags['read-only'] === true,
    Ulimits: list(flags, 'ulimit').length ? list(flags, 'ulimit').map((u) => { const r = parseUlimit(u); return { Name: r.type.replace('RLIMIT_', '').toLowerCase(), Soft: r.soft, Hard: r.hard }; }) : null,
  };
  const ns = await userNamespace(paths);
  const store = containerStore(paths);
  const name = typeof flags.name === 'string' ? flags.name.replace(/^\//, '') : undefined;
  if (name !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) {
    throw new SkiffError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  // Everything is written under the new id first, and the record last: one record write, and a
  // name conflict (or a crash) leaves only a directory that the failure path removes.
  const id = newId();
  try {
    const hostname = hostnameFlag ?? id.slice(0, 12);
    config.Hostname = hostname;
    const dirs = await makeContainerDirs(paths, id);
    const files = { hosts: join(dirs.dir, 'hosts'), hostname: join(dirs.dir, 'hostname'), resolvConf: join(dirs.dir, 'resolv.conf') };
    writeFileSync(files.hosts, hostsFile(hostname, list(flags, 'add-host')));
    writeFileSync(files.hostname, `${hostname}\n`);
    writeFileSync(files.resolvConf, resolvConf());
    const cwd = config.WorkingDir || '/';
    // runc creates a missing working directory; so do we, in the upper dir (owned by the container's root).
    if (!lowerDirs.some((d) => existsSync(join(d, cwd)))) mkdirSync(join(dirs.upper, cwd), { recursive: true, mode: 0o755 });
    const spec = buildSpec({
      args: argv,
      env: processEnv(config, { tty, home: user.home }),
      cwd,
      user,
      hostname,
      tty,
      readonlyRootfs: hostConfig.ReadonlyRootfs,
      rlimits: ulimits,
      network: network === 'host' ? 'host' : 'private',
      rootfs: dirs.rootfs,
      lowerDirs,
      upperDir: dirs.upper,
      workDir: dirs.work,
      mountProgram: input.storage?.mountProgram,
      files,
      initBinary: hostConfig.Init ? helperPath(paths) : undefined,
      singleId: ns.mode === 'single-id',
      rootless: ns.mode !== 'root',
    });
    writeFileSync(join(dirs.bundle, 'config.json'), JSON.stringify(spec, null, 2));
    return await createRecord(store, {
      id,
      created: new Date().toISOString(),
      image: image.id,
      imageName: input.imageName,
      path: argv[0],
      args: argv.slice(1),
      config,
      hostConfig,
      state: { Status: 'created', Pid: 0, ExitCode: 0, Error: '', StartedAt: zeroTime, FinishedAt: zeroTime, OOMKilled: false, MonitorPid: 0 },
      restartCount: 0,
      lowerDirs,
      mapping: ns.mode,
    }, name);
  } catch (err) {
    await removeContainerDirs(paths, id).catch(() => undefined);
    throw err;
  }
}
