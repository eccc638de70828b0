// Integration-test harness: runs a copy of dist/skiff (or any command) as the unprivileged test user, isolated per run.
//
// As root (CI) commands run as the test user from env.json through setpriv; as a normal user
// they run directly. Either way they get a clean environment: HOME, XDG_DATA_HOME,
// XDG_CONFIG_HOME, XDG_CACHE_HOME and TMPDIR point into a per-session directory, so neither
// two runs nor a run and the user's own skiff/docker/skopeo state see each other.
// XDG_RUNTIME_DIR is the user's /run/user/UID (skiff keeps its one user-namespace pause process
// there), unless a session asks for a private one.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { loadEnv, repoRoot, TestEnv } from './env';

export interface RunOptions {
  /** Written to stdin, which is then closed (stdin is always closed: no TTY, no hanging reads). */
  input?: string | Buffer;
  /** Added to (or overriding) the clean environment. */
  env?: Record<string, string>;
  /** Kill the process group after this long (default 120 s, or $SKIFF_TEST_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Working directory (default: the session directory; it must be usable by the test user). */
  cwd?: string;
}

export interface RunResult {
  /** Exit code; 128 + signal number when killed by a signal (as a shell reports it). */
  code: number;
  stdout: string;
  stderr: string;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

const DEFAULT_TIMEOUT_MS = Number(process.env.SKIFF_TEST_TIMEOUT_MS) || 120_000;
const PATH = '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin';

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Checks that this process can act as the test user: as root, or as that very user. */
function user(): TestEnv {
  const env = loadEnv();
  const uid = process.getuid?.();
  if (uid !== 0 && uid !== env.uid) {
    throw new Error(`test/.cache/env.json is for ${env.user} (uid ${env.uid}) but the tests run as uid ${uid}: run them as root or as ${env.user}, or re-run test/setup/setup.sh as yourself`);
  }
  return env;
}

/** Gives PATH (a file or directory) to the test user when we are root. */
function own(path: string): void {
  if (!isRoot()) return;
  const env = loadEnv();
  chownSync(path, env.uid, env.gid);
}

function ownTree(path: string): void {
  if (!isRoot()) return;
  own(path);
  if (lstatSync(path).isDirectory()) {
    for (const name of readdirSync(path)) ownTree(join(path, name));
  }
}

// ---------------------------------------------------------------------------------------------
// The per-run directory and the copy of dist/skiff
// ---------------------------------------------------------------------------------------------

let runDir: string | undefined;
let binary: string | undefined;
let sessionCount = 0;
const sessions: Session[] = [];

/** The per-run directory (0755, so the test user can reach the binary and its sessions). */
export function runDirectory(): string {
  if (runDir) return runDir;
  const env = user();
  const dir = mkdtempSync(join(env.tmpDir, 'skiff-it-'));
  chmodSync(dir, 0o755);
  runDir = dir;
  process.on('exit', cleanupRun);
  return dir;
}

/**
 * Path of the copy of dist/skiff that tests run (made on first use). Copying proves the
 * executable works alone, away from the repository and its node_modules, and puts it where the
 * test user can read it even when the repository is not readable to that user.
 * $SKIFF_TEST_BIN replaces dist/skiff as the source.
 */
export function skiffBinary(): string {
  if (binary) return binary;
  const source = process.env.SKIFF_TEST_BIN || join(repoRoot(), 'dist', 'skiff');
  if (!existsSync(source)) {
    throw new Error(`${source} does not exist: build it first with \`npm run build\``);
  }
  try {
    accessSync(source, constants.X_OK);
  } catch {
    throw new Error(`${source} is not executable: rebuild it with \`npm run build\``);
  }
  const bin = join(runDirectory(), 'bin');
  mkdirSync(bin, { mode: 0o755 });
  chmodSync(bin, 0o755);
  const target = join(bin, 'skiff');
  copyFileSync(source, target);
  chmodSync(target, 0o755);
  return (binary = target);
}

/** "DIR:" of the skiff copy, or "" while dist/skiff is missing (commands other than skiff still run). */
function optionalBinaryDir(): string {
  try {
    return `${dirname(skiffBinary())}:`;
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------
// Sessions: one isolated HOME / data / config / cache per session
// ---------------------------------------------------------------------------------------------

export interface SessionOptions {
  /** Use a private XDG_RUNTIME_DIR inside the session instead of /run/user/UID. */
  privateRuntime?: boolean;
}

export class Session {
  /** The session directory, owned by the test user. */
  readonly dir: string;
  readonly home: string;
  readonly dataHome: string;
  readonly configHome: string;
  readonly cacheHome: string;
  readonly tmp: string;
  readonly runtimeDir: string;
  /** The runtime dir is the session's own (and so is the pause process skiff starts there). */
  readonly privateRuntime: boolean;

  constructor(opts: SessionOptions = {}) {
    const env = user();
    sessionCount += 1;
    this.dir = join(runDirectory(), `s${sessionCount}`);
    mkdirSync(this.dir, { mode: 0o755 });
    own(this.dir);
    this.home = this.mkdir('home', 0o700);
    this.dataHome = this.mkdir('home/.local/share', 0o755);
    this.configHome = this.mkdir('home/.config', 0o755);
    this.cacheHome = this.mkdir('home/.cache', 0o755);
    this.tmp = this.mkdir('tmp', 0o700);
    this.privateRuntime = opts.privateRuntime === true;
    this.runtimeDir = this.privateRuntime ? this.mkdir('run', 0o700) : userRuntimeDir(env);
    sessions.push(this);
  }

  /** A directory under the session, owned by the test user (parents included). */
  mkdir(rel: string, mode = 0o755): string {
    const path = join(this.dir, rel);
    const parts = rel.split('/').filter((p) => p !== '');
    let cur = this.dir;
    for (const part of parts) {
      cur = join(cur, part);
      if (!existsSync(cur)) {
        mkdirSync(cur, { mode });
        chmodSync(cur, mode);
        own(cur);
      }
    }
    return path;
  }

  /** Writes a file under the session (e.g. a Dockerfile), owned by the test user. */
  writeFile(rel: string, content: string | Buffer, mode = 0o644): string {
    const path = join(this.dir, rel);
    const parent = dirname(rel);
    if (parent !== '.') this.mkdir(parent);
    writeFileSync(path, content, { mode });
    chmodSync(path, mode);
    own(path);
    return path;
  }

  /** Gives everything under a session path to the test user (after writing files there as root). */
  chownToUser(path: string): void {
    ownTree(path);
  }

  /** The clean environment every command of this session gets. */
  environment(extra: Record<string, string> = {}): Record<string, string> {
    const env = loadEnv();
    return {
      HOME: this.home,
      USER: env.user,
      LOGNAME: env.user,
      SHELL: '/bin/sh',
      // The skiff copy comes first, so scripts in tests can call `skiff` by name.
      PATH: optionalBinaryDir() + PATH,
      LANG: 'C.UTF-8',
      TMPDIR: this.tmp,
      XDG_RUNTIME_DIR: this.runtimeDir,
      XDG_DATA_HOME: this.dataHome,
      XDG_CONFIG_HOME: this.configHome,
      XDG_CACHE_HOME: this.cacheHome,
      ...extra,
    };
  }

  /** `skiff pull -q IMAGE`; throws with skiff's stderr when it fails (for test.before). */
  async pull(image: string): Promise<void> {
    const r = await this.skiff(['pull', '-q', image]);
    if (r.code !== 0) throw new Error(`skiff pull ${image} exited ${r.code}: ${r.stderr}`);
  }

  /** `skiff rm -f` of every container this session has (for test.after). */
  async removeAllContainers(): Promise<void> {
    const ids = (await this.skiff(['ps', '-aq'])).stdout.trim().split('\n').filter(Boolean);
    if (ids.length) await this.skiff(['rm', '-f', ...ids]);
  }

  /** Runs `skiff ARGS` as the test user. */
  async skiff(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const bin = skiffBinary();
    return this.run([bin, ...args], opts);
  }

  /** Runs any command as the test user with this session's environment (e.g. skopeo). */
  async run(cmd: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (cmd.length === 0) throw new Error('run: empty command');
    const env = user();
    const argv = isRoot()
      ? ['setpriv', `--reuid=${env.uid}`, `--regid=${env.gid}`, '--init-groups', '--', ...cmd]
      : cmd;
    return spawnCollect(argv, this.environment(opts.env), opts.cwd ?? this.dir, opts.input, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  }
}

/** /run/user/UID (made 0700 for the user when missing), or a private fallback for non-root users. */
function userRuntimeDir(env: TestEnv): string {
  if (isRoot()) {
    const dir = `/run/user/${env.uid}`;
    if (!existsSync(dir)) {
      mkdirSync('/run/user', { recursive: true, mode: 0o755 });
      mkdirSync(dir, { mode: 0o700 });
      chmodSync(dir, 0o700);
      chownSync(dir, env.uid, env.gid);
    }
    return dir;
  }
  const given = process.env.XDG_RUNTIME_DIR;
  if (given && existsSync(given) && statSync(given).uid === env.uid) return given;
  const dir = join(env.tmpDir, `skiff-test-runtime-${env.uid}`);
  if (!existsSync(dir)) mkdirSync(dir, { mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== env.uid || (st.mode & 0o077) !== 0) {
    throw new Error(`${dir} is not a private directory of uid ${env.uid}`);
  }
  return dir;
}

let defaultSession: Session | undefined;

/** The session that skiff() and asUser() use: shared by every test file of one run. */
export function session(): Session {
  return (defaultSession ??= new Session());
}

/** A fresh, empty session: no images, containers, volumes or logins from other tests. */
export function newSession(opts: SessionOptions = {}): Session {
  return new Session(opts);
}

/** Runs `skiff ARGS` as the test user in the default session. */
export async function skiff(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return session().skiff(args, opts);
}

/** Runs any command as the test user in the default session (e.g. skopeo to check a push). */
export async function asUser(cmd: string[], opts: RunOptions = {}): Promise<RunResult> {
  return session().run(cmd, opts);
}

// ---------------------------------------------------------------------------------------------
// Process plumbing
// ---------------------------------------------------------------------------------------------

function spawnCollect(argv: string[], env: Record<string, string>, cwd: string, input: string | Buffer | undefined, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    let settled = false;
    // Own process group, so a timeout kills the command and whatever it started in the foreground.
    const child = spawn(argv[0], argv.slice(1), { env, cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, timeoutMs);
    const finish = (r: RunResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    child.on('error', (err) => {
      finish({ code: 127, stdout: '', stderr: `${argv[0]}: ${err.message}\n`, signal: null, timedOut: false });
    });
    child.on('close', (code, signal) => {
      let err = Buffer.concat(stderr).toString('utf8');
      if (timedOut) err += `${err === '' || err.endsWith('\n') ? '' : '\n'}[harness] killed after ${timeoutMs} ms: ${argv.join(' ')}\n`;
      const signo = signal ? osConstants.signals[signal] ?? 0 : 0;
      finish({ code: code ?? 128 + signo, stdout: Buffer.concat(stdout).toString('utf8'), stderr: err, signal, timedOut });
    });
    // EPIPE when the command exits without reading its input is not the test's concern.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/**
 * Removes the per-run directory at exit (kept with SKIFF_TEST_KEEP=1). Without root, files that
 * containers created under subordinate ids can only be removed from inside a user namespace
 * that maps them, the way the CLI itself maps them (0 = the user, 1.. = the subuid range).
 */
function cleanupRun(): void {
  // A session's own runtime dir has its own user-namespace pause process: it goes with the session.
  for (const session of sessions.filter((x) => x.privateRuntime)) {
    try {
      process.kill(Number(readFileSync(join(session.runtimeDir, 'skiff', 'pause.pid'), 'utf8').split(/\s+/)[0]), 'SIGKILL');
    } catch {
      // never started, or gone
    }
  }
  if (!runDir || process.env.SKIFF_TEST_KEEP === '1') return;
  const dir = runDir;
  runDir = undefined;
  try {
    rmSync(dir, { recursive: true, force: true });
    return;
  } catch {
    // Fall through to the namespaced removal.
  }
  const env = loadEnv();
  if (!isRoot() && env.subuid && env.subgid) {
    spawnSync('unshare', ['--map-root-user', `--map-users=${env.subuid.start},1,${env.subuid.count}`, `--map-groups=${env.subgid.start},1,${env.subgid.count}`, 'rm', '-rf', dir], { stdio: 'ignore' });
  }
  if (existsSync(dir)) process.stderr.write(`[harness] could not remove ${dir}\n`);
}
