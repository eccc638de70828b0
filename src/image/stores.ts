// Opens the content, layer and image stores of one skiff data dir, wired to the reference parser
// and to a tree removal that works on files owned by subordinate ids.
import { join } from 'node:path';
import { SkiffError } from '../errors';
import type { Paths } from '../paths';
import { spawnInUserNamespace } from '../runtime/userns';
import { openContentStore, contentStoreDir, type ContentStore } from '../storage/content';
import { collectGarbage, leasesDir, withLease, type GarbageCollected, type Lease } from '../storage/gc';
import { imageStoreDir, openImageStore, type ImageStore, type NormalisedReference } from '../storage/images';
import { layerStoreDir, openLayerStore, type LayerStore } from '../storage/layers';
import { parseReference } from './reference';

export interface Stores {
  content: ContentStore;
  layers: LayerStore;
  images: ImageStore;
  /** Runs fn so that a concurrent gc (rmi, prune) keeps what fn stores or claims. */
  lease<R>(fn: (lease: Lease) => Promise<R>): Promise<R>;
  gc(): Promise<GarbageCollected>;
}

/** A name as typed (busybox, host:5000/x:tag, x@sha256:…) split into the store's full form. */
export function normaliseImageName(text: string): NormalisedReference | undefined {
  try {
    const ref = parseReference(text);
    return { name: `${ref.domain}/${ref.path}`, tag: ref.tag, digest: ref.digest };
  } catch {
    return undefined;
  }
}

/** `rm -rf` as root of the user namespace: layer files belong to subordinate ids the user cannot delete. */
export function removeTreeIn(paths: Paths): (dir: string) => Promise<void> {
  return async (dir) => {
    const child = await spawnInUserNamespace(paths, ['rm', '-rf', '--one-file-system', '--', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const code: number = await new Promise((done) => child.on('close', (c) => done(c ?? 1)));
    if (code !== 0) throw new SkiffError(`cannot remove ${dir}: ${stderr.trim() || `rm exited ${code}`}`);
  };
}

export function openStores(paths: Paths): Stores {
  const content = openContentStore(contentStoreDir(paths.data));
  const layers = openLayerStore(layerStoreDir(paths.data), { removeTree: removeTreeIn(paths) });
  const images = openImageStore(imageStoreDir(paths.data), { normalise: normaliseImageName });
  const leases = leasesDir(paths.data);
  return {
    content,
    layers,
    images,
    lease: (fn) => withLease(leases, fn),
    gc: () => collectGarbage({ images, layers, content, leases }),
  };
}

export function tmpDirOf(paths: Paths): string {
  return join(paths.data, 'tmp');
}
