// The one inter-process lock skiff uses: proper-lockfile's lock directory, plus an owner record so that
// a lock left by a killed process is taken over at once instead of after the stale timeout.
//
// How a lock on PATH looks on disk: the directory PATH.lock holding one file, `owner`, with the pid,
// process start time, boot id and pid namespace of the holder and a random token. proper-lockfile
// creates the directory (through the fs adapter below, which builds it aside with the owner file
// inside and renames it into place, so a lock never exists without its owner), refreshes its mtime
// while it is held, treats it as stale when the mtime is older than `staleMs`, and removes it on
// release and on exit by signal.
//
// Staleness, decided:
// - A holder killed with SIGKILL (or the OOM killer) cannot release. When the owner record says the
//   holder ran on this boot in this pid namespace and that process is gone (no such pid, a zombie,
//   or a different process start time: the pid was reused), the waiter takes the lock over
//   immediately. That is the common case and it costs no waiting at all.
// - When the holder cannot be judged (another pid namespace, e.g. skiff inside a container sharing
//   the data dir, or a lock without an owner record), proper-lockfile's mtime rule decides. We keep
//   its 10 s default rather than its 2 s minimum: the holder refreshes the mtime every 2 s from its
//   event loop, which a few slow fsyncs or a stalled disk can hold up for seconds, and a
//   lock wrongly judged stale means two writers. 10 s leaves 8 s of slack; the price, waiting up to
//   10 s behind a dead holder we cannot see, is only paid in those rare cases.
// - A holder that finds its lock taken over (it was stopped, or stalled past the stale time) is told
//   so by HeldLock.check(), which record writes call right before their final rename.
import * as fs from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ExitCode, SkiffError } from '../errors';
import { tempPathFor } from './atomic';
import { randomHex } from '../util/random';
// Loaded with the first lock: loading it registers signal-exit's exit hook and signal handlers.
import { properLockfile } from '../util/lazy';

export interface LockOptions {
  /** Give up waiting for a live holder after this long. Default 60 s: critical sections are short, so a
   * lock held that long is a stuck process the user should hear about. */
  timeoutMs?: number;
  /** proper-lockfile's stale time, for holders whose liveness cannot be checked. Default 10 s, minimum 2 s. */
  staleMs?: number;
}

export interface HeldLock {
  /** The path that was locked (not the .lock directory). */
  readonly path: string;
  /** Throws when this lock is no longer ours (another process judged it stale and took it over).
   * Call it right before making a change visible, so that a writer that lost its lock does not commit. */
  check(): Promise<void>;
}

const defaultTimeoutMs = 60_000;
const defaultStaleMs = 10_000;
const refreshMs = 2_000;
const ownerFile = 'owner';

/** Who holds a lock, as written into the lock directory. */
interface LockOwner {
  pid: number;
  /** Process start time in clock ticks since boot (/proc/PID/stat field 22): tells a reused pid apart. */
  start: number;
  boot: string;
  pidns: string;
  token: string;
}

/** The lock directory proper-lockfile uses for `path`. */
export function lockDirFor(path: string): string {
  return `${resolve(path)}.lock`;
}

/**
 * Runs `fn` holding an exclusive lock on `path` (which need not exist), across processes and within
 * this one. Not re-entrant: locking a path again inside its own fn waits until the timeout.
 */
export async function withLock<R>(path: string, fn: (lock: HeldLock) => Promise<R> | R, options: LockOptions = {}): Promise<R> {
  const target = resolve(path);
  const lockDir = lockDirFor(target);
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const staleMs = Math.max(options.staleMs ?? defaultStaleMs, 2_000);
  const deadline = Date.now() + timeoutMs;
  const owner: LockOwner = { ...thisProcess(), token: randomHex(12) };
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  let delayMs = 2;
  let parentMade = false;

  for (;;) {
    try {
      release = await properLockfile().lock(target, {
        realpath: false,
        retries: 0,
        stale: staleMs,
        update: refreshMs,
        fs: lockDirFs(owner, staleMs),
        // proper-lockfile's default throws from a timer, which would crash the process; check() reports it instead.
        onCompromised: (err) => { compromised = err; },
      });
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !parentMade) {
        await fs.promises.mkdir(dirname(target), { recursive: true });
        parentMade = true;
        continue;
      }
      if (code !== 'ELOCKED') throw err;
      if (await takeOverFromDeadOwner(lockDir)) continue;
      if (Date.now() >= deadline) throw await timeoutError(target, lockDir, timeoutMs);
      // Short first waits because critical sections take milliseconds; jitter so that waiters spread out.
      await sleep(delayMs + Math.random() * delayMs);
      delayMs = Math.min(delayMs * 2, 100);
    }
  }

  const held: HeldLock = {
    path: target,
    async check() {
      const current = compromised ? undefined : await readOwner(lockDir);
      if (current?.token !== owner.token) {
        throw new SkiffError(`lost the lock on ${target}: another process took it over while this one was stalled; nothing was written, try again`, ExitCode.engine, { cause: compromised });
      }
    },
  };
  try {
    return await fn(held);
  } finally {
    // A release that fails (the lock was taken over) changes nothing for the caller: fn's result stands.
    await release().catch(() => undefined);
  }
}

/** The fs proper-lockfile should use for one acquisition: its mkdir creates the lock with our owner record
 * already inside, so that no other process ever sees a lock without an owner; its rmdir (release, and
 * removal of a stale lock) removes only a lock that is ours or still stale when it is moved aside, so that
 * a holder whose lock was taken over cannot destroy the new holder's lock by releasing. */
function lockDirFs(owner: LockOwner, staleMs: number) {
  const removable = (owned: LockOwner | undefined, mtimeMs: number) =>
    owned?.token === owner.token || mtimeMs < Date.now() - staleMs;
  return {
    stat(path: string, callback: (err: Error | null, stats?: fs.Stats) => void) {
      settle(() => fs.statSync(path), callback);
    },
    // proper-lockfile sets the new lock's mtime to probe its precision, and refreshes it every 2 s.
    utimes(path: string, atime: Date, mtime: Date, callback: (err: Error | null) => void) {
      settle(() => fs.utimesSync(path, atime, mtime), callback);
    },
    realpath: fs.realpath,
    mkdir(path: string, callback: (err: Error | null) => void) {
      createLockDir(path, owner).then(() => callback(null), callback);
    },
    rmdir(path: string, callback: (err: Error | null) => void) {
      removeLockDir(path, removable).then(() => callback(null), callback);
    },
    // Used by proper-lockfile's exit handler (SIGINT, SIGTERM, normal exit), for locks this process holds.
    rmdirSync(path: string) {
      const owned = readOwnerSync(path);
      if (owned?.token !== owner.token) return;
      const aside = tempPathFor(path);
      fs.renameSync(path, aside);
      discardLockDir(aside);
    },
  };
}

/** Calls back with fn's result or error on the next tick, as an fs callback would be. */
function settle<T>(fn: () => T, callback: (err: Error | null, value?: T) => void): void {
  let value: T;
  try {
    value = fn();
  } catch (err) {
    process.nextTick(callback, err as Error);
    return;
  }
  process.nextTick(callback, null, value);
}

// The lock's own file operations are synchronous: each is a single small syscall, and a command holds
// its locks for milliseconds. Through the thread pool each cost a round trip of 0.1-0.3 ms, which
// added up to several milliseconds per record written (a quarter of `run -d`).
async function createLockDir(lockDir: string, owner: LockOwner): Promise<void> {
  const staging = tempPathFor(lockDir);
  fs.mkdirSync(staging, { mode: 0o700 });
  try {
    fs.writeFileSync(join(staging, ownerFile), JSON.stringify(owner));
    // rename(2) of a directory fails with ENOTEMPTY/EEXIST when the target exists and is not empty, which
    // every lock directory is: exactly the atomic "create if absent" that mkdir gave proper-lockfile.
    fs.renameSync(staging, lockDir);
  } catch (err) {
    try {
      discardLockDir(staging);
    } catch {
      // a staging directory left behind is swept as a stale temp
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') throw Object.assign(new Error(`${lockDir} exists`), { code: 'EEXIST' });
    throw err;
  }
}

type Removable = (owner: LockOwner | undefined, mtimeMs: number) => boolean;

/** Removes a lock directory if `removable` says so, judged before and again after moving it aside: between
 * the two, another process may have replaced it, and then what was moved is put back. */
async function removeLockDir(lockDir: string, removable: Removable): Promise<void> {
  const judge = (dir: string) => removable(readOwnerSync(dir), fs.statSync(dir).mtimeMs);
  if (!judge(lockDir)) throw stillLocked(lockDir); // ENOENT from stat is passed on: already removed.
  const aside = tempPathFor(lockDir);
  fs.renameSync(lockDir, aside);
  if (!judge(aside)) {
    try {
      fs.renameSync(aside, lockDir);
    } catch {
      discardLockDir(aside);
    }
    throw stillLocked(lockDir);
  }
  discardLockDir(aside);
}

/** Deletes a lock directory moved aside (or a staging one): its owner file, then itself. Anything else
 * inside (not made by skiff) is removed with it. */
function discardLockDir(dir: string): void {
  try {
    fs.unlinkSync(join(dir, ownerFile));
    fs.rmdirSync(dir);
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function stillLocked(lockDir: string): Error {
  return Object.assign(new Error(`${lockDir} is held by another process`), { code: 'ELOCKED' });
}

/** When the lock's owner is known to be dead, removes the lock and returns true (the caller retries at once). */
async function takeOverFromDeadOwner(lockDir: string): Promise<boolean> {
  const dead = await readOwner(lockDir);
  if (!dead || !(await isDead(dead))) return false;
  try {
    // Only if it is still that dead owner's lock: another waiter may have cleared it and locked since.
    await removeLockDir(lockDir, (owner) => owner?.token === dead.token);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code === 'ELOCKED') return false;
    throw err;
  }
}

async function readOwner(lockDir: string): Promise<LockOwner | undefined> {
  return readOwnerSync(lockDir);
}

function readOwnerSync(lockDir: string): LockOwner | undefined {
  return parseOwner(readTextSync(join(lockDir, ownerFile)));
}

/** Undefined for no lock, or one made by something else: only the stale time can judge those. */
function parseOwner(text: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(text) as LockOwner;
    return typeof owner.pid === 'number' && typeof owner.token === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** True only when we can be sure: same boot, same pid namespace, and that process is gone or a zombie. */
async function isDead(owner: LockOwner): Promise<boolean> {
  const me = thisProcess();
  if (owner.boot !== me.boot || owner.pidns !== me.pidns || !me.boot || !me.pidns) return false;
  const proc = await readProcStat(owner.pid);
  if (!proc) return true;
  return proc.state === 'Z' || proc.state === 'X' || proc.start !== owner.start;
}

let thisProcessCache: Omit<LockOwner, 'token'> | undefined;

function thisProcess(): Omit<LockOwner, 'token'> {
  if (!thisProcessCache) {
    const proc = parseProcStat(readTextSync('/proc/self/stat'));
    thisProcessCache = {
      pid: process.pid,
      start: proc?.start ?? 0,
      boot: readTextSync('/proc/sys/kernel/random/boot_id').trim(),
      pidns: readLinkSync('/proc/self/ns/pid'),
    };
  }
  return thisProcessCache;
}

async function readProcStat(pid: number): Promise<{ state: string; start: number } | undefined> {
  try {
    return parseProcStat(await fs.promises.readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses, so split after the last ")". */
function parseProcStat(text: string): { state: string; start: number } | undefined {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
  const start = Number(fields[19]);
  return fields[0] && Number.isFinite(start) ? { state: fields[0], start } : undefined;
}

async function timeoutError(target: string, lockDir: string, timeoutMs: number): Promise<SkiffError> {
  const owner = await readOwner(lockDir);
  const holder = owner ? `process ${owner.pid}` : 'another process';
  return new SkiffError(
    `timed out after ${Math.round(timeoutMs / 1000)}s waiting for the lock on ${target}, held by ${holder}; ` +
      `if no skiff command is running, remove ${lockDir} and try again`,
    ExitCode.engine,
  );
}

function readTextSync(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function readLinkSync(path: string): string {
  try {
    return fs.readlinkSync(path);
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
