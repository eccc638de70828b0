// Container lifecycle commands: create, run, start, stop, kill, rm, ps, inspect, wait, logs, cleanup.
import { closeSync, openSync, readSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgsDef } from 'citty';
import { defineCommand, type CommandContext } from './command';
import { ExitCode, SkiffError } from '../errors';
import { resolvePaths, type Paths } from '../paths';
import { formatList } from './format';
import { labelsMatch, parseFilters, parseTimeOrDuration, pruneFilter } from './filters';
import { createdSince, ellipsis, goTime, humanDuration, humanSize } from './format/units';
import { progressRenderer } from './progress';
import { familiarString } from '../image/reference';
import { compatiblePlatforms, formatPlatform, hostPlatform, normalizePlatform, parsePlatform, type Platform } from '../image/registry/platform';
import { openStores, type Stores } from '../image/stores';
import type { ImageRecord } from '../storage/images';
import { collectEnv, createContainer } from '../runtime/create';
import {
  removeOrphanDirs, lastStartMs,
  containerDir, containerRunDir, containerStore, logPath, readExit, refresh, removeContainerDirs, settle, statusText, zeroTime,
  type ContainerRecord,
} from '../runtime/containers';
import { attach, startMonitor } from '../runtime/monitor';
import { spawnInUserNamespace } from '../runtime/userns';
import type { RecordStore } from '../storage/records';
import { compareCodePoints } from './format/values';
import { writeStdout } from './stdio';

interface Ctx {
  paths: Paths;
  stores: Stores;
  containers: RecordStore<ContainerRecord>;
}

function open(ctx: CommandContext): Ctx {
  const paths = resolvePaths(ctx.globals);
  return { paths, stores: openStores(paths), containers: containerStore(paths) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// create / run

const createArgs: ArgsDef = {
  'add-host': { type: 'string', valueHint: 'list', description: 'Add a custom host-to-IP mapping (host:ip)' },
  cidfile: { type: 'string', description: 'Write the container ID to the file' },
  entrypoint: { type: 'string', description: 'Overwrite the default ENTRYPOINT of the image' },
  env: { type: 'string', alias: 'e', valueHint: 'list', description: 'Set environment variables' },
  'env-file': { type: 'string', valueHint: 'list', description: 'Read in a file of environment variables' },
  hostname: { type: 'string', alias: 'h', description: 'Container host name' },
  init: { type: 'boolean', description: 'Run an init inside the container that forwards signals and reaps processes' },
  interactive: { type: 'boolean', alias: 'i', description: 'Keep STDIN open even if not attached' },
  label: { type: 'string', alias: 'l', valueHint: 'list', description: 'Set meta data on a container' },
  'log-driver': { type: 'string', description: 'Logging driver for the container' },
  'log-opt': { type: 'string', valueHint: 'list', description: 'Log driver options' },
  name: { type: 'string', description: 'Assign a name to the container' },
  network: { type: 'string', description: 'Connect a container to a network (default, none, host)' },
  platform: { type: 'string', description: 'Set platform if server is multi-platform capable' },
  pull: { type: 'string', description: 'Pull image before running ("always", "missing", "never")', default: 'missing' },
  'read-only': { type: 'boolean', description: "Mount the container's root filesystem as read only" },
  restart: { type: 'string', description: 'Restart policy to apply when a container exits', default: 'no' },
  rm: { type: 'boolean', description: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  'stop-signal': { type: 'string', description: 'Signal to stop the container' },
  'stop-timeout': { type: 'string', valueHint: 'int', description: 'Timeout (in seconds) to stop a container' },
  'tls-verify': { type: 'boolean', description: 'Require HTTPS and verify certificates when pulling' },
  tty: { type: 'boolean', alias: 't', description: 'Allocate a pseudo-TTY' },
  ulimit: { type: 'string', valueHint: 'ulimit', description: 'Ulimit options' },
  user: { type: 'string', alias: 'u', description: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  workdir: { type: 'string', alias: 'w', description: 'Working directory inside the container' },
};

const runArgs: ArgsDef = {
  ...createArgs,
  detach: { type: 'boolean', alias: 'd', description: 'Run container in background and print container ID' },
  'detach-keys': { type: 'string', description: 'Override the key sequence for detaching a container' },
  'sig-proxy': { type: 'boolean', description: 'Proxy received signals to the process', default: true },
};

/** What create and run check before asking for anything: Docker's CLI fails these with 125 and usage help. */
interface CreateOptions {
  pull: 'always' | 'missing' | 'never';
  platform?: Platform;
  /** The -e and --env-file variables. */
  env: string[];
}

async function createOptions(ctx: CommandContext): Promise<CreateOptions> {
  const pull = String(ctx.flags.pull ?? 'missing');
  if (pull !== 'always' && pull !== 'missing' && pull !== 'never') throw new SkiffError(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  const platform = typeof ctx.flags.platform === 'string' && ctx.flags.platform !== '' ? parsePlatform(ctx.flags.platform, { exitCode: ExitCode.engine }) : undefined;
  return { pull, platform, env: await collectEnv(ctx.flags) };
}

/** Whether an image may run as the platform asked for (containerd's platforms.Only, as Docker checks it). */
function matchesPlatform(image: ImageRecord, wanted: Platform): boolean {
  const actual = formatPlatform(normalizePlatform(image.platform));
  return compatiblePlatforms(wanted).some((p) => formatPlatform(p) === actual);
}

/** The image for create/run, pulled as --pull says; pull output goes to stderr as Docker's run does. */
async function imageFor(c: Ctx, name: string, options: CreateOptions, ctx: CommandContext): Promise<ImageRecord> {
  const { pull, platform } = options;
  const local = await c.stores.images.find(name);
  if (local && pull !== 'always' && (!platform || matchesPlatform(local, platform))) return local;
  if (pull === 'never') {
    if (local && platform) {
      throw new SkiffError(`image with reference ${name} was found but does not match the specified platform: wanted ${formatPlatform(normalizePlatform(platform))}, actual: ${formatPlatform(local.platform)}`);
    }
    throw new SkiffError(`No such image: ${name}`, ExitCode.engine);
  }
  if (pull === 'missing') process.stderr.write(`Unable to find image '${name.includes(':') || name.includes('@') ? name : `${name}:latest`}' locally\n`);
  const progress = progressRenderer(process.stderr);
  // Loaded only when a pull is needed: the registry client, HTTP and decompression are most of
  // skiff's code, and a run of a local image needs none of it.
  const [{ pullImage }, { loadRegistriesConfig }] = await Promise.all([import('../image/pull'), import('../image/registries')]);
  const result = await pullImage({
    paths: c.paths,
    stores: c.stores,
    config: await loadRegistriesConfig(c.paths.config),
    name,
    platform,
    tlsVerify: ctx.flags['tls-verify'] as boolean | undefined,
    progress,
    exitCode: ExitCode.engine,
  });
  progress.done();
  // As Docker words it: up to date when the name already meant this image, whatever layers were stored.
  const upToDate = local?.id === result.image.id;
  process.stderr.write(`Digest: ${result.digest}\nStatus: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${familiarString(result.reference)}\n`);
  return result.image;
}

async function create(c: Ctx, ctx: CommandContext, options: CreateOptions): Promise<ContainerRecord> {
  const [imageName, ...command] = ctx.args;
  const image = await imageFor(c, imageName, options, ctx);
  if (!options.platform) {
    const host = hostPlatform();
    if (image.platform.os !== host.os || image.platform.architecture !== host.architecture) {
      process.stderr.write(`WARNING: The requested image's platform (${formatPlatform(image.platform)}) does not match the detected host platform (${formatPlatform(normalizePlatform(host))}) and no specific platform was requested\n`);
    }
  }
  const record = await createContainer({
    paths: c.paths, stores: c.stores, image, imageName, command, flags: ctx.flags, env: options.env, storage: ctx.globals.storage,
  });
  if (typeof ctx.flags.cidfile === 'string') {
    try {
      writeFileSync(ctx.flags.cidfile, record.id, { flag: 'wx' });
    } catch (err) {
      throw new SkiffError(`Container ID file found, make sure the other container isn't running or delete ${ctx.flags.cidfile}: ${(err as Error).message}`);
    }
  }
  return record;
}

interface Started {
  record: ContainerRecord;
  saved: Promise<unknown>;
}

/**
 * Starts a created or exited container under its monitor. The record is saved as running in the
 * background (`saved`), so a foreground run can attach (and release the process) without waiting for it.
 */
async function start(c: Ctx, record: ContainerRecord, attachFirst: boolean): Promise<Started> {
  await settle(c.paths, record);
  try {
    unlinkSync(join(containerRunDir(c.paths, record.id), 'stop')); // not rmSync: that loads the recursive remover
  } catch {
    // no stop file: the common case
  }
  const started = await startMonitor(c.paths, record, { attach: attachFirst });
  const state = { ...record.state, Status: 'running' as const, Pid: started.pid, MonitorPid: started.monitorPid, StartedAt: new Date().toISOString(), ExitCode: 0, Error: '' };
  const saved = c.containers.update(record.id, (r) => {
    r.state = state;
  });
  saved.catch(() => undefined);
  return { record: { ...record, state }, saved };
}

/** Docker's default --detach-keys: ctrl-p ctrl-q. */
const defaultDetachKeys = Buffer.from([0x10, 0x11]);

/**
 * Docker's --detach-keys: comma-separated keys, each one character or `ctrl-<c>` for c in a-z, @, [,
 * \\, ], ^ and _ (as term.ToBytes reads them); empty means the default.
 */
export function parseDetachKeys(text: string | undefined): Buffer {
  if (text === undefined || text === '') return defaultDetachKeys;
  const ctrl = '@abcdefghijklmnopqrstuvwxyz[\\]^_';
  const codes: number[] = [];
  for (const key of text.split(',')) {
    const i = key.startsWith('ctrl-') && key.length === 6 ? ctrl.indexOf(key[5]) : -1;
    if (Buffer.byteLength(key) === 1) codes.push(key.charCodeAt(0));
    else if (i >= 0) codes.push(i);
    else if (key === 'DEL') codes.push(127);
    else throw new SkiffError(`Invalid detach keys (${text}) provided: use ctrl-<value> or one character, comma-separated, e.g. ctrl-p,ctrl-q`, ExitCode.failure);
  }
  return Buffer.from(codes);
}

/**
 * Watches typed input for the detach keys, as Docker's escape proxy does: bytes that may begin the
 * sequence are held back, and handed on if the sequence breaks off. Returns what to send on, and
 * whether the whole sequence was typed (what came before it in the same chunk is still sent).
 */
export function detachKeyFilter(keys: Buffer): (chunk: Buffer) => { send: Buffer; detach: boolean } {
  let matched = 0;
  return (chunk) => {
    const send: number[] = [];
    for (const byte of chunk) {
      if (byte !== keys[matched] && matched > 0) {
        send.push(...keys.subarray(0, matched));
        matched = 0;
      }
      if (byte === keys[matched]) {
        matched += 1;
        if (matched === keys.length) return { send: Buffer.from(send), detach: true };
      } else {
        send.push(byte);
      }
    }
    return { send: Buffer.from(send), detach: false };
  };
}

interface AttachOptions {
  stdin: boolean;
  tty: boolean;
  sigProxy: boolean;
  detachKeys: Buffer;
  /** What the command does when the user detaches: `run` and `start` return 0 in silence, `attach` says so and fails. */
  onDetach: 'quiet' | 'report';
  /** The running state being written, which a signal that ends the CLI waits for. */
  saved?: Promise<unknown>;
}

/** Relays a foreground container's stdio until it exits (or the user detaches); returns the exit code. */
async function attachForeground(c: Ctx, record: ContainerRecord, opts: AttachOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      if (opts.tty && process.stdin.isTTY) process.stdin.setRawMode(false);
      process.stdin.pause();
      for (const sig of proxied) process.removeListener(sig, forward);
      for (const sig of ending) process.removeListener(sig, end);
      resolve(code);
    };
    const proxied: NodeJS.Signals[] = opts.sigProxy && !opts.tty ? ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] : [];
    const forward = (sig: NodeJS.Signals): void => {
      void signalContainer(c.paths, record, sig).catch(() => undefined);
    };
    // A signal that is not passed on ends the CLI, not the container: once the running state is
    // written, or the record would say "created" for a container that goes on running.
    const ending = (['SIGINT', 'SIGTERM', 'SIGHUP'] as NodeJS.Signals[]).filter((sig) => !proxied.includes(sig));
    const end = (sig: NodeJS.Signals): void => {
      void (opts.saved ?? Promise.resolve()).catch(() => undefined).then(() => {
        finish(0); // restores the terminal and drops these handlers, so the signal's default action follows
        process.kill(process.pid, sig);
      });
    };
    for (const sig of ending) process.on(sig, end);
    attach(c.paths, record.id, {
      stdout: (d) => process.stdout.write(d),
      stderr: (d) => process.stderr.write(d),
      exit: (code) => finish(code),
      closed: () => {
        // No exit frame: ask the record (the monitor may have died).
        void (async () => {
          const exit = await readExit(c.paths, record.id);
          finish(exit?.exitCode ?? 125);
        })();
      },
    }).then((a) => {
      for (const sig of proxied) process.on(sig, forward);
      if (opts.tty && process.stdout.isTTY) {
        a.resize(process.stdout.rows, process.stdout.columns);
        process.stdout.on('resize', () => a.resize(process.stdout.rows, process.stdout.columns));
      }
      if (opts.stdin) {
        if (opts.tty && process.stdin.isTTY) process.stdin.setRawMode(true);
        // Only a terminal's input is watched for the detach keys, as Docker does.
        const filter = opts.tty ? detachKeyFilter(opts.detachKeys) : undefined;
        process.stdin.on('data', (d: Buffer) => {
          if (done) return;
          const { send, detach } = filter ? filter(d) : { send: d, detach: false };
          if (send.length) a.sendStdin(send);
          if (!detach) return;
          a.detach();
          if (opts.onDetach === 'report') {
            process.stderr.write('read escape sequence\n');
            finish(ExitCode.failure);
          } else {
            finish(0);
          }
        });
        process.stdin.on('end', () => a.closeStdin());
        process.stdin.resume();
      }
    }, reject);
  });
}

export const createCmd = defineCommand({
  args: createArgs,
  interspersed: false,
  minArgs: 1,
  async run(ctx) {
    const c = open(ctx);
    const options = await createOptions(ctx);
    // Past the flags, Docker's create fails as its daemon does: exit 1.
    const record = await create(c, ctx, options).catch((err) => rethrowAs(err, ExitCode.failure));
    process.stdout.write(`${record.id}\n`);
  },
});

/** Gives the engine's failures (1 or 125) the exit code this command reports them with. */
function rethrowAs(err: unknown, exitCode: number): never {
  if (err instanceof SkiffError && (err.exitCode === ExitCode.failure || err.exitCode === ExitCode.engine) && err.exitCode !== exitCode) {
    throw new SkiffError(err.message, exitCode, { cause: err });
  }
  throw err;
}

export const run = defineCommand({
  args: runArgs,
  interspersed: false,
  minArgs: 1,
  async run(ctx) {
    const c = open(ctx);
    const detach = ctx.flags.detach === true;
    const detachKeys = parseDetachKeys(ctx.flags['detach-keys'] as string | undefined);
    const options = await createOptions(ctx);
    const record = await create(c, ctx, options).catch((err) => rethrowAs(err, ExitCode.engine));
    let started: Started;
    try {
      started = await start(c, record, !detach);
    } catch (err) {
      await removeAfterFailedStart(c, record);
      throw err;
    }
    if (detach) {
      await started.saved;
      writeStdout(`${record.id}\n`);
      return 0;
    }
    const code = await attachForeground(c, started.record, {
      stdin: ctx.flags.interactive === true, tty: ctx.flags.tty === true, sigProxy: ctx.flags['sig-proxy'] !== false, detachKeys, onDetach: 'quiet', saved: started.saved,
    });
    await started.saved.catch(() => undefined);
    // As Docker: when run returns, --rm is done (the monitor's cleanup then finds nothing to do),
    // and the exit shows in ps/inspect at once (refresh reads the monitor's exit record).
    if (record.hostConfig.AutoRemove && (await refresh(c.paths, c.containers, await c.containers.get(record.id).catch(() => started.record))).state.Status === 'exited') {
      await c.containers.remove(record.id).catch(() => undefined);
      await removeContainerDirs(c.paths, record.id).catch(() => undefined);
    }
    return code;
  },
});

/** A container whose process never started is recorded as exited with the start error (removed with --rm). */
async function removeAfterFailedStart(c: Ctx, record: ContainerRecord): Promise<void> {
  if (record.hostConfig.AutoRemove) {
    await c.containers.remove(record.id).catch(() => undefined);
    await removeContainerDirs(c.paths, record.id).catch(() => undefined);
    return;
  }
  await c.containers.update(record.id, (r) => {
    r.state = { ...r.state, Status: 'exited', ExitCode: 128, FinishedAt: new Date().toISOString() };
  }).catch(() => undefined);
}

export const startCmd = defineCommand({
  args: {
    attach: { type: 'boolean', alias: 'a', description: 'Attach STDOUT/STDERR and forward signals' },
    'detach-keys': { type: 'string', description: 'Override the key sequence for detaching a container' },
    interactive: { type: 'boolean', alias: 'i', description: "Attach container's STDIN" },
  },
  minArgs: 1,
  async run(ctx) {
    const c = open(ctx);
    const attachIt = ctx.flags.attach === true || ctx.flags.interactive === true;
    const detachKeys = parseDetachKeys(ctx.flags['detach-keys'] as string | undefined);
    if (attachIt && ctx.args.length > 1) throw new SkiffError('you cannot start and attach multiple containers at once', ExitCode.failure);
    let failed = false;
    for (const name of ctx.args) {
      try {
        const found = await c.containers.get(name);
        await settle(c.paths, found);
        let record = await refresh(c.paths, c.containers, await c.containers.get(found.id));
        if (record.state.Status === 'running' || record.state.Status === 'restarting') {
          if (!attachIt) process.stdout.write(`${name}\n`);
          continue;
        }
        const started = await start(c, record, attachIt);
        if (attachIt) {
          const code = await attachForeground(c, started.record, {
            stdin: ctx.flags.interactive === true, tty: record.config.Tty, sigProxy: true, detachKeys, onDetach: 'quiet', saved: started.saved,
          });
          await started.saved.catch(() => undefined);
          return code;
        }
        await started.saved;
        process.stdout.write(`${name}\n`);
      } catch (err) {
        failed = true;
        process.stderr.write(`Error response from daemon: ${(err as Error).message}\n`);
        if (ctx.args.length === 1 && err instanceof SkiffError && err.exitCode !== ExitCode.failure) return err.exitCode === 127 || err.exitCode === 126 ? err.exitCode : 1;
      }
    }
    if (failed) process.stderr.write('Error: failed to start containers: ' + ctx.args.join(', ') + '\n');
    return failed ? ExitCode.failure : 0;
  },
});

/**
 * Runs fn for each container named on the command line (in parallel or in order), printing each
 * failure as Docker does and going on with the others; exit 1 when any failed.
 */
async function forEachName(names: string[], parallel: boolean, fn: (name: string) => Promise<void>): Promise<number> {
  let failed = false;
  const one = async (name: string): Promise<void> => {
    try {
      await fn(name);
    } catch (err) {
      failed = true;
      process.stderr.write(`Error response from daemon: ${(err as Error).message}\n`);
    }
  };
  if (parallel) await Promise.all(names.map(one));
  else for (const name of names) await one(name);
  return failed ? ExitCode.failure : 0;
}

// ---------------------------------------------------------------------------------------------
// signals, stop, kill, wait

const signalNumbers: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13,
  ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24,
  XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, PWR: 30, SYS: 31,
};

/** SIGTERM, TERM, term or 15 → 'SIGTERM'. */
export function parseSignal(text: string): NodeJS.Signals {
  const t = text.toUpperCase().replace(/^SIG/, '');
  if (/^\d+$/.test(t)) {
    const name = Object.keys(signalNumbers).find((k) => signalNumbers[k] === Number(t));
    if (name) return `SIG${name}` as NodeJS.Signals;
  } else if (t in signalNumbers) {
    return `SIG${t}` as NodeJS.Signals;
  }
  throw new SkiffError(`Invalid signal: ${text}`, ExitCode.failure);
}

/**
 * Sends a signal to the container's process. Processes running as another id inside the container
 * belong to a subordinate uid the user cannot signal directly: then it is sent from inside the namespace.
 */
async function signalContainer(paths: Paths, record: ContainerRecord, sig: NodeJS.Signals): Promise<void> {
  try {
    process.kill(record.state.Pid, sig);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
  }
  const child = await spawnInUserNamespace(paths, ['kill', '-s', sig.replace(/^SIG/, ''), String(record.state.Pid)], { stdio: 'ignore' });
  await new Promise((done) => child.on('close', done));
}

async function waitForExit(c: Ctx, record: ContainerRecord, timeoutMs: number): Promise<ContainerRecord | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await c.containers.find(record.id);
    if (!current) return undefined;
    const seen = await refresh(c.paths, c.containers, current);
    if (seen.state.Status !== 'running' && seen.state.Status !== 'paused') {
      // Give the monitor's cleanup a moment to record the exit, so the caller reads the final state.
      if (seen.state.Status === 'restarting' && Date.now() < deadline) {
        await sleep(50);
        continue;
      }
      return seen;
    }
    if (Date.now() >= deadline) return seen;
    await sleep(50);
  }
}

async function stopContainer(c: Ctx, record: ContainerRecord, timeoutSeconds: number | undefined, signal?: string): Promise<void> {
  record = await refresh(c.paths, c.containers, record);
  if (record.state.Status !== 'running' && record.state.Status !== 'restarting' && record.state.Status !== 'paused') return;
  // The marker tells the monitor not to restart what the user stopped.
  writeFileSync(join(containerRunDir(c.paths, record.id), 'stop'), '');
  const timeout = timeoutSeconds ?? record.config.StopTimeout ?? 10;
  if (record.state.Status === 'running') {
    await signalContainer(c.paths, record, parseSignal(signal ?? record.config.StopSignal ?? 'SIGTERM')).catch(() => undefined);
    const after = await waitForExit(c, record, Math.max(0, timeout) * 1000);
    if (after && after.state.Status === 'running') await signalContainer(c.paths, after, 'SIGKILL').catch(() => undefined);
  }
  await waitForExit(c, record, 10_000);
}

const timeArg: ArgsDef = {
  signal: { type: 'string', alias: 's', description: 'Signal to send to the container' },
  // --time is the name Docker used before 23.0, and still accepts.
  timeout: { type: 'string', alias: ['t', 'time'], valueHint: 'int', description: 'Seconds to wait before killing the container' },
};

export const stop = defineCommand({
  args: timeArg,
  minArgs: 1,
  async run(ctx) {
    const c = open(ctx);
    return forEachName(ctx.args, true, async (name) => {
      await stopContainer(c, await c.containers.get(name), ctx.flags.timeout as number | undefined, ctx.flags.signal as string | undefined);
      process.stdout.write(`${name}\n`);
    });
  },
});

export const restart = defineCommand({
  args: timeArg,
  minArgs: 1,
  async run(ctx) {
    const c = open(ctx);
    return forEachName(ctx.args, false, async (name) => {
      const record = await c.containers.get(name);
      await stopContainer(c, record, ctx.flags.timeout as number | undefined, ctx.flags.signal as string | undefined);
      await (await start(c, await c.containers.get(record.id), false)).saved;
      process.stdout.write(`${name}\n`);
    });
  },
});

export const kill = defineCommand({
  args: { signal: { type: 'string', alias: 's', description: 'Signal to send to the container', default: 'KILL' } },
  minArgs: 1,
  async run(ctx) {
    const c = open(ctx);
    const sig = parseSignal(String(ctx.flags.signal));
    return forEachName(ctx.args, false, async (name) => {
      const record = await refresh(c.paths, c.containers, await c.containers.get(name));
      if (record.state.Status !== 'running') throw new SkiffError(`Cannot kill container: ${name}: Container ${record.id} is not running`, ExitCode.failure);
      if (sig === 'SIGKILL' || sig === 'SIGTERM' || sig === 'SIGINT') writeFileSync(join(containerRunDir(c.paths, record.id), 'stop'), '');
      await signalContainer(c.paths, record, sig);
      process.stdout.write(`${name}\n`);
    });
  },
});

export const wait = defineCommand({
  minArgs: 1,
  async run(ctx) {
    const c = open(ctx);
    return forEachName(ctx.args, false, async (name) => {
      const record = await c.containers.get(name);
      let seen = await refresh(c.paths, c.containers, record);
      while (seen.state.Status === 'running' || seen.state.Status === 'restarting' || seen.state.Status === 'paused' || seen.state.Status === 'created') {
        if (seen.state.Status === 'created') {
          await sleep(100);
        } else {
          const after = await waitForExit(c, seen, 3_600_000);
          if (!after) throw new SkiffError(`No such container: ${name}`, ExitCode.failure);
          seen = after;
          continue;
        }
        const again = await c.containers.find(record.id);
        if (!again) throw new SkiffError(`No such container: ${name}`, ExitCode.failure);
        seen = await refresh(c.paths, c.containers, again);
      }
      process.stdout.write(`${seen.state.ExitCode}\n`);
    });
  },
});

// ---------------------------------------------------------------------------------------------
// rm, cleanup

async function removeContainer(c: Ctx, name: string, force: boolean): Promise<void> {
  let record = await c.containers.get(name);
  record = await refresh(c.paths, c.containers, record);
  if (record.state.Status === 'running' || record.state.Status === 'restarting' || record.state.Status === 'paused') {
    if (!force) {
      throw new SkiffError(`You cannot remove a running container ${record.id}. Stop the container before attempting removal or force remove`, ExitCode.failure);
    }
    writeFileSync(join(containerRunDir(c.paths, record.id), 'stop'), '');
    await signalContainer(c.paths, record, 'SIGKILL').catch(() => undefined);
    await waitForExit(c, record, 10_000);
  }
  await c.containers.remove(record.id).catch((err) => {
    if (!(err instanceof SkiffError && /No such container/.test(err.message))) throw err;
  });
  await removeContainerDirs(c.paths, record.id);
}

export const rm = defineCommand({
  args: {
    force: { type: 'boolean', alias: 'f', description: 'Force the removal of a running container (uses SIGKILL)' },
    link: { type: 'boolean', alias: 'l', description: 'Remove the specified link' },
    volumes: { type: 'boolean', alias: 'v', description: 'Remove anonymous volumes associated with the container' },
  },
  minArgs: 1,
  async run(ctx) {
    const c = open(ctx);
    return forEachName(ctx.args, true, async (name) => {
      await removeContainer(c, name, ctx.flags.force === true);
      process.stdout.write(`${name}\n`);
    });
  },
});

/** Called by the monitor when a container ends for good: record the exit, apply --rm. */
export const cleanup = defineCommand({
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const c = open(ctx);
    const record = await c.containers.find(ctx.args[0]);
    if (!record) return 0;
    const exit = await readExit(c.paths, record.id);
    if (record.hostConfig.AutoRemove) {
      await c.containers.remove(record.id).catch(() => undefined);
      await removeContainerDirs(c.paths, record.id);
      return 0;
    }
    const startedMs = lastStartMs(c.paths, record.id);
    await c.containers.update(record.id, (r) => {
      r.state = {
        ...r.state, Status: 'exited', Pid: 0, MonitorPid: 0,
        ExitCode: exit?.exitCode ?? r.state.ExitCode, FinishedAt: exit?.finishedAt ?? new Date().toISOString(), OOMKilled: exit?.oomKilled ?? false,
      };
      // A start (or restart) the record missed, its CLI killed before writing it: as Docker's,
      // StartedAt is the latest start.
      if (startedMs !== undefined && startedMs > Date.parse(r.state.StartedAt)) r.state.StartedAt = new Date(startedMs).toISOString();
      r.restartCount = exit?.restartCount ?? r.restartCount;
    });
    return 0;
  },
});

// ---------------------------------------------------------------------------------------------
// ps

/** Docker's COMMAND: the command line with arguments that contain spaces quoted, as the daemon joins it. */
function commandLine(record: ContainerRecord): string {
  const quote = (a: string): string => (a === '' || /[\s'"\\$`]/.test(a) ? `'${a.replace(/'/g, `'\\''`)}'` : a);
  return [record.path, ...record.args].map(quote).join(' ');
}

const psHeaders = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS',
  State: 'STATE', Status: 'STATUS', Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS',
  LocalVolumes: 'LOCAL VOLUMES',
};

export const ps = defineCommand({
  args: {
    all: { type: 'boolean', alias: 'a', description: 'Show all containers (default shows just running)' },
    filter: { type: 'string', alias: 'f', valueHint: 'filter', description: 'Filter output based on conditions provided' },
    format: { type: 'string', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'" },
    last: { type: 'string', alias: 'n', valueHint: 'int', default: '-1', description: 'Show n last created containers (includes all states)' },
    latest: { type: 'boolean', alias: 'l', description: 'Show the latest created container (includes all states)' },
    'no-trunc': { type: 'boolean', description: "Don't truncate output" },
    quiet: { type: 'boolean', alias: 'q', description: 'Only display container IDs' },
    size: { type: 'boolean', alias: 's', description: 'Display total file sizes' },
  },
  maxArgs: 0,
  async run(ctx) {
    const c = open(ctx);
    const filters = parseFilters(ctx.flags.filter as string[], ['id', 'name', 'label', 'status', 'ancestor', 'exited', 'before', 'since']);
    let records = await Promise.all((await c.containers.list()).map((r) => refresh(c.paths, c.containers, r)));
    records.sort((a, b) => compareCodePoints(b.created, a.created));
    const last = ctx.flags.latest ? 1 : (ctx.flags.last as number);
    const all = ctx.flags.all === true || last > 0 || (filters.has('status') && true) || filters.has('exited');
    if (!all) records = records.filter((r) => r.state.Status === 'running' || r.state.Status === 'paused' || r.state.Status === 'restarting');
    for (const [key, values] of filters) {
      if (key === 'before' || key === 'since') {
        for (const v of values) {
          const pivot = await c.containers.get(v);
          records = records.filter((r) => (key === 'before' ? r.created < pivot.created : r.created > pivot.created));
        }
        continue;
      }
      if (key === 'ancestor') {
        const ids = new Set<string>();
        for (const v of values) {
          const img = await c.stores.images.find(v);
          if (img) ids.add(img.id);
        }
        records = records.filter((r) => ids.has(r.image) || values.includes(r.imageName));
        continue;
      }
      if (key === 'label') {
        records = records.filter((r) => labelsMatch(filters, r.config.Labels));
        continue;
      }
      records = records.filter((r) => values.some((v) => {
        switch (key) {
          case 'id': return r.id.startsWith(v);
          case 'name': return new RegExp(v).test(r.name);
          case 'status': return r.state.Status === v;
          case 'exited': return r.state.Status === 'exited' && r.state.StartedAt !== zeroTime && String(r.state.ExitCode) === v;
          default: return true;
        }
      }));
    }
    if (last > 0) records = records.slice(0, last);
    const noTrunc = ctx.flags['no-trunc'] === true;
    const rows = records.map((r) => ({
      ID: noTrunc ? r.id : r.id.slice(0, 12),
      Image: r.imageName,
      Command: JSON.stringify(noTrunc ? commandLine(r) : ellipsis(commandLine(r), 20)),
      CreatedAt: goTime(r.created),
      RunningFor: createdSince(r.created),
      Ports: '',
      State: r.state.Status,
      Status: statusText(r, Date.now(), humanDuration),
      Size: '0B (virtual 0B)',
      Names: r.name,
      Labels: Object.entries(r.config.Labels).sort(([a], [b]) => compareCodePoints(a, b)).map(([k, v]) => `${k}=${v}`).join(','),
      Label: (name: string) => r.config.Labels[name] ?? '',
      Mounts: '',
      Networks: r.hostConfig.NetworkMode,
      LocalVolumes: '0',
    }));
    // Docker's CLI asks for sizes when the template reads .Size, as {{json .}} does.
    const format = typeof ctx.flags.format === 'string' ? ctx.flags.format : '';
    const size = ctx.flags.size === true || /\.Size\b|\bjson\s+\.\s*}}|^\s*json\s*$/.test(format);
    if (size) {
      for (const [i, r] of records.entries()) {
        const image = await c.stores.images.get(r.image);
        rows[i].Size = `${humanSize(await duBytes(join(containerDir(c.paths, r.id), 'upper')))} (virtual ${humanSize(image?.size ?? 0)})`;
      }
    }
    const defaultFormat = `table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}${ctx.flags.size === true ? '\t{{.Size}}' : ''}`;
    process.stdout.write(formatList(rows, { format: ctx.flags.format as string | undefined, defaultFormat, headers: psHeaders, quiet: ctx.flags.quiet === true, quietFormat: '{{.ID}}' }));
  },
});

async function duBytes(dir: string): Promise<number> {
  const { readdir, lstat } = await import('node:fs/promises');
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else total += (await lstat(p).catch(() => ({ size: 0 }))).size;
    }
  };
  await walk(dir);
  return total;
}

// ---------------------------------------------------------------------------------------------
// inspect

export function inspectContainer(paths: Paths, r: ContainerRecord): Record<string, unknown> {
  const dir = containerDir(paths, r.id);
  const s = r.state;
  return {
    Id: r.id,
    Created: r.created,
    Path: r.path,
    Args: r.args,
    State: {
      Status: s.Status,
      Running: s.Status === 'running' || s.Status === 'paused',
      Paused: s.Status === 'paused',
      Restarting: s.Status === 'restarting',
      OOMKilled: s.OOMKilled,
      Dead: s.Status === 'dead',
      Pid: s.Pid,
      ExitCode: s.ExitCode,
      Error: s.Error,
      StartedAt: s.StartedAt,
      FinishedAt: s.FinishedAt,
    },
    Image: r.image,
    ResolvConfPath: join(dir, 'resolv.conf'),
    HostnamePath: join(dir, 'hostname'),
    HostsPath: join(dir, 'hosts'),
    LogPath: r.hostConfig.LogConfig.Type === 'none' ? '' : logPath(paths, r.id),
    Name: `/${r.name}`,
    RestartCount: r.restartCount,
    Driver: 'overlay',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: null,
    HostConfig: {
      Binds: null,
      ContainerIDFile: '',
      LogConfig: r.hostConfig.LogConfig,
      NetworkMode: r.hostConfig.NetworkMode,
      PortBindings: {},
      RestartPolicy: r.hostConfig.RestartPolicy,
      AutoRemove: r.hostConfig.AutoRemove,
      VolumeDriver: '',
      VolumesFrom: null,
      CapAdd: null,
      CapDrop: null,
      ExtraHosts: r.hostConfig.ExtraHosts,
      Init: r.hostConfig.Init,
      Privileged: false,
      PublishAllPorts: false,
      ReadonlyRootfs: r.hostConfig.ReadonlyRootfs,
      Ulimits: r.hostConfig.Ulimits,
    },
    GraphDriver: {
      Data: { LowerDir: r.lowerDirs.join(':'), MergedDir: join(dir, 'rootfs'), UpperDir: join(dir, 'upper'), WorkDir: join(dir, 'work') },
      Name: 'overlay',
    },
    Mounts: [],
    Config: r.config,
    NetworkSettings: { Bridge: '', SandboxID: '', Ports: {}, Networks: {} },
  };
}

// ---------------------------------------------------------------------------------------------
// logs

interface LogEntry { log: string; stream: string; time: string }

/** Rotated files first (oldest), then the live file. */
function logFiles(path: string): string[] {
  const files: string[] = [];
  for (let i = 1; ; i++) {
    try {
      statSync(`${path}.${i}`);
      files.unshift(`${path}.${i}`);
    } catch {
      break;
    }
  }
  return [...files, path];
}

/** Docker's --since/--until: RFC 3339, a Unix timestamp, or a Go duration like 10m relative to now. */
export function parseLogTime(text: string, now = Date.now(), flag = 'since'): number {
  return parseTimeOrDuration(text, now, flag);
}

export const logs = defineCommand({
  args: {
    details: { type: 'boolean', description: 'Show extra details provided to logs' },
    follow: { type: 'boolean', alias: 'f', description: 'Follow log output' },
    since: { type: 'string', description: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    tail: { type: 'string', alias: 'n', description: 'Number of lines to show from the end of the logs', default: 'all' },
    timestamps: { type: 'boolean', alias: 't', description: 'Show timestamps' },
    until: { type: 'string', description: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const c = open(ctx);
    const record = await c.containers.get(ctx.args[0]);
    if (record.hostConfig.LogConfig.Type === 'none') throw new SkiffError('configured logging driver does not support reading', ExitCode.failure);
    const now = Date.now();
    const since = typeof ctx.flags.since === 'string' ? parseLogTime(ctx.flags.since, now, 'since') : undefined;
    const until = typeof ctx.flags.until === 'string' ? parseLogTime(ctx.flags.until, now, 'until') : undefined;
    const tailText = String(ctx.flags.tail);
    const tail = tailText === 'all' || tailText === '' ? -1 : Number(tailText);
    if (Number.isNaN(tail)) throw new SkiffError(`invalid value for "tail": ${tailText}: use a number or "all"`, ExitCode.failure);
    const path = logPath(c.paths, record.id);
    const print = (e: LogEntry): void => {
      const t = Date.parse(e.time);
      if (since !== undefined && t < since) return;
      if (until !== undefined && t > until) return;
      const text = ctx.flags.timestamps ? `${e.time} ${e.log}` : e.log;
      (e.stream === 'stderr' ? process.stderr : process.stdout).write(text);
    };
    const parse = (text: string): LogEntry[] => text.split('\n').filter(Boolean).flatMap((l) => {
      try {
        return [JSON.parse(l) as LogEntry];
      } catch {
        return [];
      }
    });
    let entries: LogEntry[] = [];
    for (const f of logFiles(path)) {
      try {
        entries.push(...parse(readWhole(f)));
      } catch { /* rotated away meanwhile */ }
    }
    if (tail >= 0) entries = tail === 0 ? [] : entries.slice(-tail);
    for (const e of entries) print(e);
    if (!ctx.flags.follow) return 0;
    // Follow: read what is appended (and the new file after a rotation) until the container stops.
    let offset = fileSize(path);
    let ino = fileIno(path);
    let partial = '';
    for (;;) {
      const nowIno = fileIno(path);
      if (nowIno !== ino) {
        ino = nowIno;
        offset = 0;
      }
      const size = fileSize(path);
      if (size < offset) offset = 0;
      if (size > offset) {
        const chunk = readRange(path, offset, size - offset);
        offset = size;
        const text = partial + chunk;
        const cut = text.lastIndexOf('\n');
        partial = cut < 0 ? text : text.slice(cut + 1);
        for (const e of parse(cut < 0 ? '' : text.slice(0, cut))) print(e);
        continue;
      }
      const current = await c.containers.find(record.id);
      if (!current) return 0;
      const seen = await refresh(c.paths, c.containers, current);
      if (seen.state.Status !== 'running' && seen.state.Status !== 'restarting' && fileSize(path) <= offset) return 0;
      await sleep(100);
    }
  },
});

function readWhole(path: string): string {
  return readRange(path, 0, fileSize(path));
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function fileIno(path: string): number {
  try {
    return statSync(path).ino;
  } catch {
    return 0;
  }
}

function readRange(path: string, offset: number, length: number): string {
  if (length <= 0) return '';
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// exec, attach, top, port, rename, prune

export const exec = defineCommand({
  args: {
    detach: { type: 'boolean', alias: 'd', description: 'Detached mode: run command in the background' },
    'detach-keys': { type: 'string', description: 'Override the key sequence for detaching a container' },
    env: { type: 'string', alias: 'e', valueHint: 'list', description: 'Set environment variables' },
    'env-file': { type: 'string', valueHint: 'list', description: 'Read in a file of environment variables' },
    interactive: { type: 'boolean', alias: 'i', description: 'Keep STDIN open even if not attached' },
    privileged: { type: 'boolean', description: 'Give extended privileges to the command' },
    tty: { type: 'boolean', alias: 't', description: 'Allocate a pseudo-TTY' },
    user: { type: 'string', alias: 'u', description: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    workdir: { type: 'string', alias: 'w', description: 'Working directory inside the container' },
  },
  interspersed: false,
  minArgs: 2,
  async run(ctx) {
    const c = open(ctx);
    const [name, ...command] = ctx.args;
    const record = await refresh(c.paths, c.containers, await c.containers.get(name));
    if (record.state.Status !== 'running') {
      throw new SkiffError(`Container ${record.id} is not running`, ExitCode.failure);
    }
    const { collectEnv, processEnv } = await import('../runtime/create');
    const { readImageFile, resolveUser } = await import('../runtime/passwd');
    const userSpec = typeof ctx.flags.user === 'string' ? ctx.flags.user : record.config.User;
    const upper = join(containerDir(c.paths, record.id), 'upper');
    const layers = [upper, ...record.lowerDirs];
    const user = resolveUser(userSpec, await readImageFile(layers, '/etc/passwd'), await readImageFile(layers, '/etc/group'));
    // As Docker's: the container's environment rebuilt for this process (TERM only with -t), then -e.
    const env = processEnv(record.config, { tty: ctx.flags.tty === true, home: user.home, extra: await collectEnv(ctx.flags) });
    const { helperPath } = await import('../runtime/helper');
    const args = [helperPath(c.paths), 'exec', '--pid', String(record.state.Pid), '--cwd', (typeof ctx.flags.workdir === 'string' ? ctx.flags.workdir : record.config.WorkingDir) || '/',
      '--user', `${user.uid}:${user.gid}`];
    if (user.additionalGids.length) args.push('--groups', user.additionalGids.join(','));
    for (const e of env) args.push('--env', e);
    if (ctx.flags.tty === true) args.push('--tty');
    if (ctx.flags.interactive === true) args.push('--interactive');
    if (ctx.flags.detach === true) args.push('--detach');
    args.push('--', ...command);
    const child = await spawnInUserNamespace(c.paths, args, { stdio: 'inherit' });
    // The helper owns the terminal and forwards signals; the CLI just waits for it.
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.on(sig, () => child.kill(sig));
    const detached = ctx.flags.detach === true;
    return new Promise<number>((done) => child.on('close', (code, signal) => {
      const status = code ?? 128 + (signal ? signalNumbers[signal.replace('SIG', '')] ?? 0 : 0);
      // Docker reports a failed `exec -d` as a daemon error: exit 1.
      done(detached && status >= 125 ? ExitCode.failure : status);
    }));
  },
});

export const attachCmd = defineCommand({
  args: {
    'detach-keys': { type: 'string', description: 'Override the key sequence for detaching a container' },
    'no-stdin': { type: 'boolean', description: 'Do not attach STDIN' },
    'sig-proxy': { type: 'boolean', description: 'Proxy all received signals to the process', default: true },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const c = open(ctx);
    const detachKeys = parseDetachKeys(ctx.flags['detach-keys'] as string | undefined);
    const record = await refresh(c.paths, c.containers, await c.containers.get(ctx.args[0]));
    if (record.state.Status !== 'running') throw new SkiffError('You cannot attach to a stopped container, start it first', ExitCode.failure);
    return attachForeground(c, record, {
      stdin: record.config.OpenStdin && ctx.flags['no-stdin'] !== true, tty: record.config.Tty, sigProxy: ctx.flags['sig-proxy'] !== false, detachKeys, onDetach: 'report',
    });
  },
});

/** Every process of the container: its init and the init's descendants, from /proc. */
async function containerPids(pid: number): Promise<number[]> {
  const { readFile, readdir } = await import('node:fs/promises');
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    out.push(p);
    for (const task of await readdir(`/proc/${p}/task`).catch(() => [] as string[])) {
      const kids = await readFile(`/proc/${p}/task/${task}/children`, 'utf8').catch(() => '');
      for (const k of kids.trim().split(/\s+/).filter(Boolean)) queue.push(Number(k));
    }
  }
  return out;
}

export const top = defineCommand({
  minArgs: 1,
  interspersed: false,
  async run(ctx) {
    const c = open(ctx);
    const [name, ...psArgs] = ctx.args;
    const record = await refresh(c.paths, c.containers, await c.containers.get(name));
    if (record.state.Status !== 'running') throw new SkiffError(`Container ${record.id} is not running`, ExitCode.failure);
    const pids = new Set(await containerPids(record.state.Pid));
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' });
    // Docker reports the first line of what ps said.
    if (r.status !== 0) throw new SkiffError(`ps: ${r.stderr.trim().split('\n')[0]}`, ExitCode.failure);
    const [header, ...lines] = r.stdout.trimEnd().split('\n');
    const pidColumn = header.trim().split(/\s+/).indexOf('PID');
    if (pidColumn < 0) throw new SkiffError(`Couldn't find PID field in ps output`, ExitCode.failure);
    const rows = [header.trim().split(/\s+/), ...lines.map((l) => l.trim().split(/\s+/)).filter((f) => pids.has(Number(f[pidColumn])))];
    const cmdStart = header.trim().split(/\s+/).length - 1;
    const table = rows.map((f, i) => (i === 0 ? f : [...f.slice(0, cmdStart), f.slice(cmdStart).join(' ')]));
    const { tabwrite } = await import('./format');
    // Docker's top: tabwriter.NewWriter(out, 20, 1, 3, ' ', 0).
    process.stdout.write(tabwrite(`${table.map((f) => f.join('\t')).join('\n')}\n`, { minWidth: 20, padding: 3, padChar: ' ' }));
  },
});

export const port = defineCommand({
  minArgs: 1,
  maxArgs: 2,
  async run(ctx) {
    const c = open(ctx);
    await c.containers.get(ctx.args[0]);
    // Port publishing arrives with networking; until then no container has a published port.
    if (ctx.args[1]) throw new SkiffError(`No public port '${ctx.args[1]}' published for ${ctx.args[0]}`, ExitCode.failure);
  },
});

export const rename = defineCommand({
  minArgs: 2,
  maxArgs: 2,
  async run(ctx) {
    const c = open(ctx);
    const to = ctx.args[1].replace(/^\//, '');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(to)) throw new SkiffError(`Invalid container name (${to}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, ExitCode.failure);
    const record = await c.containers.get(ctx.args[0]);
    if (record.name === to) throw new SkiffError(`Renaming a container with the same name as its current name`, ExitCode.failure);
    await c.containers.rename(record.id, to);
  },
});

export const prune = defineCommand({
  args: {
    filter: { type: 'string', valueHint: 'filter', description: 'Provide filter values (e.g. "until=<timestamp>")' },
    force: { type: 'boolean', alias: 'f', description: 'Do not prompt for confirmation' },
  },
  maxArgs: 0,
  async run(ctx) {
    const c = open(ctx);
    // Bad filters fail before the prompt, as Docker's do: "Invalid filter 'x'".
    const filter = pruneFilter(ctx.flags.filter as string[]);
    const { confirm } = await import('./image');
    if (!ctx.flags.force && !(await confirm('WARNING! This will remove all stopped containers.\nAre you sure you want to continue?'))) return 0;
    const removed: string[] = [];
    let reclaimed = 0;
    for (const record of await c.containers.list()) {
      const seen = await refresh(c.paths, c.containers, record);
      if (seen.state.Status === 'running' || seen.state.Status === 'restarting' || seen.state.Status === 'paused') continue;
      if (!filter.matches(seen.created, seen.config.Labels)) continue;
      reclaimed += await duBytes(join(containerDir(c.paths, seen.id), 'upper'));
      await removeContainer(c, seen.id, false);
      removed.push(seen.id);
    }
    // Directories no record owns (a create killed half-way) go too, unless filters narrow the prune.
    if (filter.filters.size === 0) await removeOrphanDirs(c.paths, c.containers);
    if (removed.length) process.stdout.write(`Deleted Containers:\n${removed.join('\n')}\n\n`);
    process.stdout.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
  },
});
