// --storage-opt, Podman's global flag: how new containers' root is mounted.
import { accessSync, constants as fsConstants } from 'node:fs';
import { SkiffError } from '../errors';

/** What --storage-opt says for new containers. Podman's key for the same thing: overlay.mount_program. */
export interface StorageOptions {
  /** Mount the container's overlay with this FUSE program (fuse-overlayfs) rather than the kernel. */
  mountProgram?: string;
}

export function parseStorageOpts(opts: readonly string[] = []): StorageOptions {
  const out: StorageOptions = {};
  for (const opt of opts) {
    const i = opt.indexOf('=');
    const key = i < 0 ? opt : opt.slice(0, i);
    const value = i < 0 ? '' : opt.slice(i + 1);
    if (key !== 'overlay.mount_program' && key !== 'mount_program') {
      throw new SkiffError(`unknown storage option "${key}": skiff knows overlay.mount_program=PATH (a FUSE program such as /usr/bin/fuse-overlayfs)`);
    }
    if (!value.startsWith('/')) throw new SkiffError(`storage option ${key}: "${value}" is not an absolute path; e.g. overlay.mount_program=/usr/bin/fuse-overlayfs`);
    try {
      accessSync(value, fsConstants.X_OK);
    } catch (err) {
      throw new SkiffError(`storage option ${key}: ${value}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file; install fuse-overlayfs or give its path' : 'not executable'}`);
    }
    out.mountProgram = value;
  }
  return out;
}
