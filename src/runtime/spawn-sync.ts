// Runs a program to completion and collects its output, for the container start (`run`, `start`).
//
// node:child_process loads net, dgram and the stream classes with it, about 4 ms at every start, for
// a spawnSync whose work is done by Node's spawn_sync binding. This calls that binding directly with
// the options child_process.spawnSync would pass it (checked against Node 22, which the single
// executable embeds). Should the binding be missing, or refuse the options (it validates them before
// it spawns anything), node:child_process does the work. A result in a shape this does not know is
// an error, never a reason to run the program a second time.
import { childProcess } from '../util/lazy';

export interface SyncResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The spawn itself failed (ENOENT, EACCES...). */
  error?: Error;
}

export interface SyncOptions {
  /** In a session of its own (setsid). */
  detached?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface SpawnSyncBinding {
  spawn(options: Record<string, unknown>): unknown;
}

interface RawResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  output: (Buffer | null)[] | null;
  error?: number;
}

const maxBuffer = 16 * 1024 * 1024;
let binding: SpawnSyncBinding | null | undefined;

function spawnSyncBinding(): SpawnSyncBinding | null {
  if (binding === undefined) {
    try {
      const b = (process as unknown as { binding(name: string): unknown }).binding('spawn_sync') as SpawnSyncBinding;
      binding = typeof b?.spawn === 'function' ? b : null;
    } catch {
      binding = null;
    }
  }
  return binding;
}

function isRawResult(r: unknown): r is RawResult {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as Partial<RawResult>;
  return 'status' in o && (o.error !== undefined || (Array.isArray(o.output) && o.output.length === 3));
}

/** Runs file with args, stdin from /dev/null, stdout and stderr collected as UTF-8. */
export function runSync(file: string, args: string[], options: SyncOptions = {}): SyncResult {
  return runSyncWith(spawnSyncBinding(), file, args, options);
}

/** runSync through a given binding; null: through node:child_process (exported for the tests). */
export function runSyncWith(b: SpawnSyncBinding | null, file: string, args: string[], options: SyncOptions = {}): SyncResult {
  let raw: unknown;
  let spawned = false;
  if (b) {
    const env = options.env ?? process.env;
    try {
      raw = b.spawn({
        maxBuffer,
        stdio: [{ type: 'ignore' }, { type: 'pipe', readable: false, writable: true }, { type: 'pipe', readable: false, writable: true }],
        detached: options.detached === true,
        args: [file, ...args],
        envPairs: Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`),
        file,
        windowsHide: false,
        windowsVerbatimArguments: false,
      });
      spawned = true;
    } catch {
      if (b === binding) binding = null; // options it will not take: node:child_process from now on
    }
  }
  if (spawned) {
    if (!isRawResult(raw)) {
      return { status: null, signal: null, stdout: '', stderr: '', error: new Error(`spawnSync ${file}: an unexpected result from Node's spawn_sync`) };
    }
    if (raw.error !== undefined) {
      // A negative errno, as libuv reports it; the names come from the same table node:util uses.
      const code = errnoName(raw.error);
      return { status: null, signal: null, stdout: '', stderr: '', error: Object.assign(new Error(`spawnSync ${file} ${code}`), { code, errno: raw.error }) };
    }
    const text = (i: number) => raw.output?.[i]?.toString('utf8') ?? '';
    return { status: raw.status, signal: raw.signal, stdout: text(1), stderr: text(2) };
  }
  // detached works for spawnSync as for spawn, though @types/node leaves it out of SpawnSyncOptions.
  const fallbackOptions = { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', detached: options.detached, env: options.env, maxBuffer };
  const r = childProcess().spawnSync(file, args, fallbackOptions as import('node:child_process').SpawnSyncOptionsWithStringEncoding);
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ...(r.error ? { error: r.error } : {}) };
}

function errnoName(errno: number): string {
  try {
    // node:util is loaded at start-up already; getSystemErrorName maps libuv's negative errnos.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('node:util') as typeof import('node:util')).getSystemErrorName(errno);
  } catch {
    return `errno ${errno}`;
  }
}
