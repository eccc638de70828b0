// Garbage collection: frees the layers and blobs no image references, and what killed pulls left behind.
//
// The hard part is a pull running at the same time as `rmi`: the pull may have decided to reuse a layer
// or blob that the last image referencing it is just losing, and it stores its own image record only at
// the end. Leases close that gap without a store-wide lock that would serialise pulls:
//
// - Anything that will store an image record referencing layers or blobs (pull, load, build, commit)
//   runs inside withLease, and gets every layer and blob it uses from the stores *after* the lease began:
//   layers.prepare() and content.claim()/write()/ingest() mark what they return or write as used now.
// - A lease is a lock (lock.ts) on `<leases>/<start ms>-<rand>`, held for the whole operation: it vanishes
//   on release, and a killed holder's lock is recognised as dead, so a lease cannot outlive its process.
// - gc notes its own start time, then reads the live leases, then the images. It removes an
//   unreferenced layer or blob only when it was not used at or after the earliest of those times.
//
// Why that is enough: an operation either stored its image before gc read the images (then its items are
// referenced), or its lease was still held when gc read the leases (then everything it used is newer than
// the lease), or its lease began after gc started (then everything it used is newer than gc's start). An
// item it used that gc removed first is simply missing when it asks, and it downloads or unpacks it again:
// the stores compare the use time under the layer's lock, and by renaming a blob aside before deleting it.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { removeStaleTemps } from './atomic';
import type { ContentStore } from './content';
import type { ImageStore } from './images';
import type { LayerStore } from './layers';
import { withLock } from './lock';
import { randomHex } from '../util/random';

/** Where leases live under the data directory. */
export function leasesDir(dataDir: string): string {
  return join(dataDir, 'leases');
}

export interface Lease {
  /** ms since the epoch; everything used under the lease is marked used at or after this. */
  readonly startedAt: number;
}

/** Runs `fn` holding a lease: see the file comment for what the holder must do. */
export async function withLease<R>(dir: string, fn: (lease: Lease) => Promise<R> | R): Promise<R> {
  const startedAt = Date.now();
  return withLock(join(dir, `${startedAt}-${randomHex(6)}`), () => fn({ startedAt }));
}

export interface GarbageCollectionOptions {
  images: ImageStore;
  layers: LayerStore;
  content: ContentStore;
  /** The leases directory (leasesDir). Without it, only operations that begin after gc starts are safe. */
  leases?: string;
  /** Temp files (blob downloads, lock staging) are removed when older than this. Default 1 hour: a
   * download writes its temp file continuously, so only one stalled that long could be mistaken. */
  tempGraceMs?: number;
}

export interface GarbageCollected {
  layers: number;
  blobs: number;
  /** Temp files and directories removed. */
  temps: number;
  /** Unpacked bytes of the removed layers plus bytes of the removed blobs. */
  bytes: number;
  /** What could not be removed, and why; gc goes on past these, the next run retries. */
  warnings: string[];
}

const defaultTempGraceMs = 60 * 60_000;
/** A use time is a file's mtime: set from Date.now() by utimes, or by the kernel when a blob is written,
 * from its coarse clock, which may lag by a timer tick (10 ms at HZ=100). The slack keeps an item used
 * just as a lease began; its cost is that something used in the last 50 ms before gc is freed next time. */
const clockSlackMs = 50;
/** `<start ms>-<12 hex>` plus lock.ts's `.lock` suffix for the lock directory. */
const leaseLockName = /^([0-9]+)-[0-9a-f]{12}\.lock$/;

export async function collectGarbage(options: GarbageCollectionOptions): Promise<GarbageCollected> {
  const { images, layers, content } = options;
  const result: GarbageCollected = { layers: 0, blobs: 0, temps: 0, bytes: 0, warnings: [] };
  // The order of these three reads is what makes gc safe next to a running pull (file comment).
  const startedAt = Date.now();
  const leaseStarts = options.leases ? await liveLeaseStarts(options.leases) : [];
  const keepUsedSince = Math.min(startedAt, ...leaseStarts) - clockSlackMs;
  const referencedLayers = new Set<string>();
  const referencedBlobs = new Set<string>();
  for (const image of await images.list()) {
    referencedBlobs.add(image.manifestDigest);
    referencedBlobs.add(image.configDigest);
    for (const name of image.repoDigests) referencedBlobs.add(name.slice(name.indexOf('@') + 1));
    for (const layer of image.layers) {
      referencedLayers.add(layer.chainId);
      referencedBlobs.add(layer.digest);
    }
  }

  for (const layer of await layers.list()) {
    if (referencedLayers.has(layer.chainId)) continue;
    try {
      const removed = await layers.remove(layer.chainId, { unlessUsedSince: keepUsedSince });
      if (removed) {
        result.layers++;
        result.bytes += removed.size;
      }
    } catch (err) {
      result.warnings.push(`could not remove layer ${layer.chainId}: ${(err as Error).message}`);
    }
  }

  for (const blob of await content.list()) {
    if (referencedBlobs.has(blob.digest)) continue;
    try {
      if (await content.delete(blob.digest, { unlessUsedSince: keepUsedSince })) {
        result.blobs++;
        result.bytes += blob.size;
      }
    } catch (err) {
      result.warnings.push(`could not remove blob ${blob.digest}: ${(err as Error).message}`);
    }
  }

  const grace = options.tempGraceMs ?? defaultTempGraceMs;
  const sweeps: Array<[string, () => Promise<number>]> = [
    ['content store', () => content.sweep(grace)],
    ['layer store', () => layers.sweep(grace)],
  ];
  if (options.leases) sweeps.push(['leases', () => removeStaleTemps(options.leases!, grace)]);
  for (const [where, sweep] of sweeps) {
    try {
      result.temps += await sweep();
    } catch (err) {
      result.warnings.push(`could not sweep temp files in the ${where}: ${(err as Error).message}`);
    }
  }
  return result;
}

/** Start times of the leases whose holders are alive. A lease we can lock at once has no live holder:
 * lock.ts takes a dead holder's lock over, and our release then deletes it. */
async function liveLeaseStarts(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const starts: number[] = [];
  await Promise.all(names.map(async (name) => {
    const match = leaseLockName.exec(name);
    if (!match) return;
    try {
      await withLock(join(dir, name.slice(0, -'.lock'.length)), () => undefined, { timeoutMs: 0 });
    } catch {
      starts.push(Number(match[1]));
    }
  }));
  return starts;
}
