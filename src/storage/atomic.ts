// The one way skiff replaces a file on disk: readers and crashes see the old or the new content, never a mix.
import { closeSync, fsyncSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SkiffError } from '../errors';
import { randomHex } from '../util/random';

export interface AtomicWriteOptions {
  /** Permission bits of the new file; records default to 0600 because container configs hold env secrets. */
  mode?: number;
  /** Runs after the data is durable and right before the rename makes it visible; throwing cancels the
   * write. Record writes check here that they still hold their lock. */
  beforeCommit?: () => Promise<void>;
  /** false: leave the rename undurable (no directory fsync). Only for replacing a file whose previous
   * version is as good after a power loss (a record's state: reconciled with reality on every read). */
  syncDir?: boolean;
}

/** Every temporary name this module (and lock.ts) makes ends with this, so that directory scans can skip
 * them and sweeps can find them; a crash may leave one behind, never in place of the real file. */
export const tempSuffix = '.tmp';

/** A fresh name next to `path` for a temporary file or directory. Same directory, so that the final
 * rename stays on one filesystem and is atomic; a leading dot keeps it out of casual listings. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomHex(6)}${tempSuffix}`);
}

/** True for a name made by tempPathFor. */
export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith(tempSuffix);
}

/**
 * Replaces `path` with `data`: write a temp file in the same directory, fsync it, rename it over
 * `path`, fsync the directory. The file fsync makes the bytes durable before the name points at
 * them (otherwise a power loss can leave a renamed but empty file); the directory fsync makes the
 * rename itself durable.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  // Synchronous calls: records are small, and each thread-pool round trip cost more than the write.
  const temp = tempPathFor(path);
  try {
    const fd = openSync(temp, 'wx', options.mode ?? 0o644);
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    await options.beforeCommit?.();
    renameSync(temp, path);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already renamed
    }
    throw err;
  }
  if (options.syncDir !== false) await fsyncDir(dirname(path));
}

/** writeFileAtomic of `value` as JSON, one line. */
export async function writeJsonAtomic(path: string, value: unknown, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value) + '\n', options);
}

/** Reads a JSON file; a missing file is `undefined`, not an error. A file that does not parse is an
 * error that names it: with atomic writes that only happens when something else wrote the file. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new SkiffError(`${path} is not valid JSON (${(err as Error).message}); it was not written by skiff: restore it or move it away`, undefined, { cause: err });
  }
}

/** Removes a file and makes the removal durable; false when there was nothing to remove. */
export async function removeFileDurably(path: string): Promise<boolean> {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  await fsyncDir(dirname(path));
  return true;
}

/** Flushes a directory's entries (creations, renames, removals) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } catch (err) {
    // Some filesystems (and some FUSE ones) cannot fsync a directory; the rename is still atomic there.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR') throw err;
  } finally {
    closeSync(fd);
  }
}

/** Deletes temporary files and directories in `dir` older than `maxAgeMs`: what a killed writer left.
 * The age guard keeps it from touching a temp file another process is writing right now. Synchronous:
 * record creation sweeps its directory every time, and the temps it finds are few and small. */
export async function removeStaleTemps(dir: string, maxAgeMs: number): Promise<number> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  const cutoff = Date.now() - maxAgeMs;
  let removed = 0;
  for (const name of names) {
    if (!isTempName(name)) continue;
    const path = join(dir, name);
    try {
      if (lstatSync(path).mtimeMs >= cutoff) continue;
      rmSync(path, { recursive: true, force: true });
      removed++;
    } catch {
      // Gone already, or not ours to remove: a sweep is housekeeping and must never fail a command.
    }
  }
  return removed;
}
