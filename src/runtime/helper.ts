// The one place that finds and runs skiff-helper, the C binary embedded in the executable.
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SkiffError } from '../errors';
import type { Paths } from '../paths';
import { childProcess } from '../util/lazy';

declare const SKIFF_HELPER_HASH: string | undefined;

const assetName = 'skiff-helper';

interface SeaModule {
  isSea(): boolean;
  getRawAsset(key: string): ArrayBuffer;
}

function seaModule(): SeaModule | undefined {
  try {
    // node:sea exists on Node >= 20.12; outside a single executable isSea() is false.
    const sea = require('node:sea') as SeaModule;
    return sea.isSea() ? sea : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Returns the path of the helper binary. In the single executable it is extracted once
 * into the data dir under a name carrying its hash, so upgrades never run a stale helper
 * and concurrent first uses race harmlessly (each writes a temp file and renames it).
 * Outside it (unit tests, development), $SKIFF_HELPER or the repository's helpers/ build.
 */
export function helperPath(paths: Paths): string {
  if (process.env.SKIFF_HELPER) return process.env.SKIFF_HELPER;
  const sea = seaModule();
  if (!sea) {
    const local = resolve(__dirname, '..', '..', '..', 'helpers', assetName);
    const bundled = resolve(__dirname, '..', '..', 'helpers', assetName);
    const found = [local, bundled].find((p) => existsSync(p));
    if (!found) throw new SkiffError(`skiff-helper not found (looked in ${local}); build it with: make -C helpers`);
    return found;
  }
  const hash = typeof SKIFF_HELPER_HASH === 'string' ? SKIFF_HELPER_HASH : 'dev';
  const dir = join(paths.data, 'bin');
  const target = join(dir, `${assetName}-${hash}`);
  if (existsSync(target)) return target;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = `${target}.${process.pid}.tmp`;
    writeFileSync(temp, Buffer.from(sea.getRawAsset(assetName)), { mode: 0o755 });
    chmodSync(temp, 0o755);
    renameSync(temp, target);
  } catch (err) {
    throw new SkiffError(`cannot extract skiff-helper to ${dir}: ${(err as Error).message}; check that the directory is writable or pass --root`, undefined, { cause: err });
  }
  return target;
}

export interface HelperResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the helper to completion and returns what it printed (for short verbs such as probe). */
export function runHelper(paths: Paths, args: string[], timeoutMs = 20_000): Promise<HelperResult> {
  const file = helperPath(paths);
  return new Promise((done) => {
    childProcess().execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      done({ code, stdout, stderr: err && !stderr ? err.message : stderr });
    });
  });
}
