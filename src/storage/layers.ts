// The layer store: each layer unpacked once, in its own directory keyed by chain ID, shared by every image using it.
//
// Layout under the store's root (layerStoreDir):
//   <chainhex>/diff/                 the unpacked layer (whiteouts in overlay form): an overlay lower dir
//   <chainhex>/meta.json             LayerMeta, written before the directory is renamed into place
//   .<chainhex>.<rand>.tmp/          an unpack in progress (under the chain's lock), or left by a killed one
//   .<chainhex>.removed.<rand>.tmp/  a removed layer on its way out (removeTree may take a while)
//   locks/<chainhex>.lock/           the chain's lock (lock.ts), held from prepare() to commit()/abort()
//
// A layer directory exists only complete: unpacking happens in a temp directory, and commit renames it
// into place. Keying by chain ID rather than diffID matters because a layer's content only means
// something on top of its parents; two images share a directory exactly when they share the whole
// stack below it, which is also what lets an overlay mount reuse it.
//
// Two pulls of one image must unpack each layer once: prepare() takes the chain's lock and waits for a
// holder (who is downloading and unpacking it) to finish; when it gets the lock and the layer is there,
// it returns undefined and the caller skips that layer. The lock is refreshed while held (lock.ts), so a
// long unpack is not mistaken for a dead one, and a holder that is killed is taken over at once.
//
// "Last used" is the layer directory's mtime, set by commit and refreshed when prepare() finds the layer
// present; gc.ts removes an unreferenced layer only when it was not used since a pull in progress began.
//
// Unpacked files belong to subordinate ids the user cannot delete directly, so removal goes through the
// `removeTree` the caller gives (the CLI's runs `rm -rf` inside the user namespace).
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, SkiffError } from '../errors';
import { fsyncDir, isTempName, readJson, removeStaleTemps, tempPathFor, writeJsonAtomic } from './atomic';
import { digestHex } from './content';
import { type HeldLock, type LockOptions, withLock } from './lock';
import { sha256Hex } from '../util/random';

/** Where the layer store lives under the data directory. */
export function layerStoreDir(dataDir: string): string {
  return join(dataDir, 'layers');
}

export interface LayerMeta {
  chainId: string;
  diffId: string;
  /** The chain ID of the layer below; none for the bottom layer. */
  parent?: string;
  /** Bytes of the unpacked content, as the unpacker counted them. */
  size: number;
  /** ISO time of the commit. */
  committedAt: string;
}

export interface PreparedLayer {
  readonly chainId: string;
  /** Unpack the layer here. It is inside the store's filesystem, so that commit is a rename. */
  readonly tempDir: string;
  /** Makes the unpacked layer visible and releases the chain's lock. */
  commit(meta: { diffId: string; parent?: string; size: number }): Promise<void>;
  /** Throws the unpacked content away and releases the chain's lock. Safe to call after commit (does nothing). */
  abort(): Promise<void>;
}

export interface RemoveLayerOptions {
  /** Keep the layer when it was committed or prepared at or after this time (ms since the epoch). */
  unlessUsedSince?: number;
}

export interface LayerStore {
  readonly root: string;
  has(chainId: string): Promise<boolean>;
  /** The unpacked layer directory: an overlay lower dir. */
  dir(chainId: string): string;
  /**
   * Waits for the chain's lock. When the layer is already stored, marks it used now (so that a concurrent gc
   * keeps it) and returns undefined: nothing to do. Otherwise returns a temp directory to unpack into,
   * holding the lock until commit() or abort().
   */
  prepare(chainId: string): Promise<PreparedLayer | undefined>;
  meta(chainId: string): Promise<LayerMeta | undefined>;
  /** Removes the layer; returns its meta, or undefined when it was not there or was kept. */
  remove(chainId: string, options?: RemoveLayerOptions): Promise<LayerMeta | undefined>;
  list(): Promise<LayerMeta[]>;
  /** Removes what killed unpacks and interrupted removals left behind; returns how many entries. An unpack
   * directory goes when its chain's lock is free (then nobody is unpacking into it), whatever its age;
   * `maxAgeMs` applies to lock staging leftovers, which carry no owner. */
  sweep(maxAgeMs: number): Promise<number>;
}

export interface LayerStoreOptions {
  /** Deletes a directory tree that may hold files owned by subordinate ids. Default: fs.rm recursive. */
  removeTree?: (dir: string) => Promise<void>;
  /** Lock options for short critical sections (remove). */
  lock?: LockOptions;
  /** How long prepare() waits for another process to finish unpacking the same layer. Default 1 hour:
   * that process is alive (a dead one's lock is taken over at once) and bounded by its own timeouts. */
  prepareTimeoutMs?: number;
}

/**
 * OCI chain IDs: chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)).
 * Returns one per diffID, bottom layer first.
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const chain: string[] = [];
  for (const diffId of diffIds) {
    digestHex(diffId);
    const below = chain[chain.length - 1];
    chain.push(below === undefined ? diffId : `sha256:${sha256Hex(`${below} ${diffId}`)}`);
  }
  return chain;
}

const metaFile = 'meta.json';
const diffDir = 'diff';
const layerName = /^[0-9a-f]{64}$/;
/** tempPathFor(<root>/<hex>): an unpack in progress or abandoned. */
const unpackTempName = /^\.([0-9a-f]{64})\.[0-9a-f]{12}\.tmp$/;
/** tempPathFor(<root>/<hex>.removed): a removed layer not yet deleted. */
const removedTempName = /^\.[0-9a-f]{64}\.removed\.[0-9a-f]{12}\.tmp$/;

export function openLayerStore(root: string, options: LayerStoreOptions = {}): LayerStore {
  const removeTree = options.removeTree ?? ((dir: string) => fsp.rm(dir, { recursive: true, force: true }));
  const prepareTimeoutMs = options.prepareTimeoutMs ?? 60 * 60_000;
  const locksDir = join(root, 'locks');
  const layerDir = (chainId: string) => join(root, digestHex(chainId));
  const lockPath = (chainId: string) => join(locksDir, digestHex(chainId));

  async function exists(path: string): Promise<boolean> {
    try {
      await fsp.stat(path);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async function markUsed(dir: string): Promise<void> {
    const now = new Date();
    await fsp.utimes(dir, now, now);
  }

  async function prepare(chainId: string): Promise<PreparedLayer | undefined> {
    const final = layerDir(chainId);
    const held = await holdLock(lockPath(chainId), { ...options.lock, timeoutMs: prepareTimeoutMs });
    let temp: string | undefined;
    try {
      if (await exists(final)) {
        await markUsed(final);
        await held.release();
        return undefined;
      }
      await fsp.mkdir(root, { recursive: true });
      temp = tempPathFor(final);
      await fsp.mkdir(join(temp, diffDir), { recursive: true, mode: 0o755 });
    } catch (err) {
      if (temp) await removeTree(temp).catch(() => undefined);
      await held.release();
      throw err;
    }
    const tempRoot = temp;
    let finished = false;

    async function discard(): Promise<void> {
      try {
        await removeTree(tempRoot);
      } finally {
        await held.release();
      }
    }

    return {
      chainId,
      tempDir: join(tempRoot, diffDir),
      async commit(meta) {
        if (finished) throw new Error(`layer ${chainId} was already committed or aborted`); // A bug in the caller.
        finished = true;
        try {
          await held.lock.check();
          if (await exists(final)) {
            // Only possible when our lock was taken over while we stalled: theirs is as good as ours.
            await discard();
            return;
          }
          const record: LayerMeta = { chainId, diffId: meta.diffId, parent: meta.parent, size: meta.size, committedAt: new Date().toISOString() };
          await writeJsonAtomic(join(tempRoot, metaFile), record);
          await markUsed(tempRoot);
          try {
            await fsp.rename(tempRoot, final);
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
            await discard();
            return;
          }
          await fsyncDir(root);
        } catch (err) {
          await discard().catch(() => undefined);
          throw err;
        }
        await held.release();
      },
      async abort() {
        if (finished) return;
        finished = true;
        await discard();
      },
    };
  }

  async function remove(chainId: string, removeOptions: RemoveLayerOptions = {}): Promise<LayerMeta | undefined> {
    const final = layerDir(chainId);
    const since = removeOptions.unlessUsedSince;
    // Under the chain's lock, so that a prepare() that finds the layer and marks it used cannot interleave
    // with our look at its mtime and the rename that makes it disappear.
    const aside = await withLock(lockPath(chainId), async (lock) => {
      let mtimeMs: number;
      try {
        mtimeMs = (await fsp.stat(final)).mtimeMs;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      if (since !== undefined && mtimeMs >= since) return undefined;
      const meta = await readMeta(chainId);
      const path = tempPathFor(`${final}.removed`);
      await lock.check();
      await fsp.rename(final, path);
      await fsyncDir(root);
      return { path, meta };
    }, options.lock);
    if (!aside) return undefined;
    // Outside the lock: deleting a big tree takes time and the layer is already gone for everyone.
    // Should this fail, sweep() retries later.
    await removeTree(aside.path);
    return aside.meta ?? { chainId, diffId: '', size: 0, committedAt: '' };
  }

  function readMeta(chainId: string): Promise<LayerMeta | undefined> {
    return readJson<LayerMeta>(join(layerDir(chainId), metaFile));
  }

  async function names(): Promise<string[]> {
    try {
      return await fsp.readdir(root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async function list(): Promise<LayerMeta[]> {
    const layers = (await names()).filter((name) => layerName.test(name));
    const metas: LayerMeta[] = [];
    let next = 0;
    // Bounded parallelism, as records.ts: each read holds a file descriptor while it is open.
    const worker = async () => {
      while (next < layers.length) {
        const meta = await readMeta(`sha256:${layers[next++]}`);
        if (meta) metas.push(meta); // Undefined: removed since readdir.
      }
    };
    await Promise.all(Array.from({ length: Math.min(32, layers.length) }, worker));
    return metas;
  }

  async function sweep(maxAgeMs: number): Promise<number> {
    let removed = 0;
    for (const name of await names()) {
      if (!isTempName(name)) continue;
      const path = join(root, name);
      try {
        const unpack = unpackTempName.exec(name);
        if (removedTempName.test(name)) {
          await removeTree(path);
          removed++;
        } else if (unpack) {
          // An unpack in progress holds its chain's lock; if we can take the lock at once, nobody is
          // unpacking that layer, so the directory is what a killed pull left.
          const swept = await withLock(lockPath(`sha256:${unpack[1]}`), async () => {
            if (!(await exists(path))) return false;
            await removeTree(path);
            return true;
          }, { timeoutMs: 0 });
          if (swept) removed++;
        }
      } catch {
        // Locked (in use) or not removable now: housekeeping never fails a command; the next sweep retries.
      }
    }
    // Lock staging leftovers (lock.ts) of killed processes.
    removed += await removeStaleTemps(locksDir, maxAgeMs);
    return removed;
  }

  return {
    root,
    has: (chainId) => exists(layerDir(chainId)),
    dir: (chainId) => join(layerDir(chainId), diffDir),
    prepare,
    meta: readMeta,
    remove,
    list,
    sweep,
  };
}

/** A lock held beyond one callback: withLock's critical section stays open until release() is called. */
async function holdLock(path: string, options: LockOptions): Promise<{ lock: HeldLock; release(): Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => { release = resolve; });
  let acquired!: (lock: HeldLock) => void;
  const lockPromise = new Promise<HeldLock>((resolve) => { acquired = resolve; });
  const section = withLock(path, async (lock) => {
    acquired(lock);
    await released;
  }, options);
  // `section` settles only after release (or when taking the lock failed), so an undefined winner is a failure to lock.
  const lock = await Promise.race([lockPromise, section.then(() => undefined)]);
  if (!lock) throw new SkiffError(`the lock on ${path} ended before it was taken`, ExitCode.engine);
  return {
    lock,
    async release() {
      release();
      await section;
    },
  };
}
