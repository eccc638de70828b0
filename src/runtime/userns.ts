// Runs commands inside this user's user namespace, which the helper's pause process holds.
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { log } from '../log';
import type { Paths } from '../paths';
import { findExecutableSync, findPasswdEntry, parseSubIdFile, subIdRangesFor, toolSearchDirs, type IdRange } from '../system/host';
import { helperPath } from './helper';
import { childProcess } from '../util/lazy';
import { runSync, type SyncOptions, type SyncResult } from './spawn-sync';

export type MappingMode = 'root' | 'full' | 'single-id';

export interface UserNamespace {
  mode: MappingMode;
  /** The helper arguments that enter the namespace; the command follows them. */
  helperArgs: string[];
}

let cached: Promise<UserNamespace> | undefined;

/** Works out how to enter the namespace: full subordinate-id mapping, one id, or (as root) none. */
export function userNamespace(paths: Paths): Promise<UserNamespace> {
  cached ??= resolveUserNamespace(paths);
  return cached;
}

async function resolveUserNamespace(paths: Paths): Promise<UserNamespace> {
  if (!paths.rootless) return { mode: 'root', helperArgs: [] };
  const uid = process.getuid?.() ?? 0;
  // Synchronous reads and stats: this runs before every container start, and the thread pool's round
  // trips cost more than the calls.
  const [passwd, subuidText, subgidText] = ['/etc/passwd', '/etc/subuid', '/etc/subgid'].map(readTextOrEmpty);
  const name = findPasswdEntry(passwd, uid)?.name ?? process.env.USER ?? safeUserName();
  const user = { name, uid };
  const uidRange: IdRange | undefined = subIdRangesFor(parseSubIdFile(subuidText), user)[0];
  const gidRange: IdRange | undefined = subIdRangesFor(parseSubIdFile(subgidText), user)[0];
  const dirs = toolSearchDirs(process.env.PATH);
  const [newuidmap, newgidmap] = [findExecutableSync('newuidmap', dirs), findExecutableSync('newgidmap', dirs)];
  const base = ['userns', '--state-dir', paths.runtime];
  if (uidRange && gidRange && newuidmap && newgidmap) {
    return {
      mode: 'full',
      helperArgs: [...base, '--uid-map', `${uidRange.start}:${uidRange.count}`, '--gid-map', `${gidRange.start}:${gidRange.count}`,
        '--newuidmap', newuidmap, '--newgidmap', newgidmap],
    };
  }
  const missing = !uidRange || !gidRange
    ? `no ${!uidRange ? 'subuid' : 'subgid'} range for "${name}" in /etc/${!uidRange ? 'subuid' : 'subgid'}`
    : `${!newuidmap ? 'newuidmap' : 'newgidmap'} is not installed (package uidmap)`;
  log.warn(`${missing}: only your own uid and gid are mapped into containers, so images with files owned by other users fail to unpack. Run 'skiff doctor' for the fix.`);
  return { mode: 'single-id', helperArgs: [...base, '--single-id'] };
}

function readTextOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '');
  }
}

/** Spawns `argv` as uid 0 of the user namespace (directly when skiff runs as root). */
export async function spawnInUserNamespace(paths: Paths, argv: string[], options: SpawnOptions = {}): Promise<ChildProcess> {
  const ns = await userNamespace(paths);
  if (ns.mode === 'root') return childProcess().spawn(argv[0], argv.slice(1), options);
  return childProcess().spawn(helperPath(paths), [...ns.helperArgs, '--', ...argv], options);
}

/** As spawnInUserNamespace, waiting for the process to exit and its output to end (runSync). For a
 * short helper call whose caller has nothing else to do meanwhile: no streams, sockets or loop turns. */
export async function runSyncInUserNamespace(paths: Paths, argv: string[], options: SyncOptions = {}): Promise<SyncResult> {
  const ns = await userNamespace(paths);
  if (ns.mode === 'root') return runSync(argv[0], argv.slice(1), options);
  return runSync(helperPath(paths), [...ns.helperArgs, '--', ...argv], options);
}
