// The integration-test environment as test/setup/setup.sh recorded it in test/.cache/env.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface SubIdRange {
  start: number;
  count: number;
}

export interface FixtureImages {
  /** OCI manifest (no top-level mediaType, as umoci writes it), one gzip layer. */
  busybox: string;
  /** The same image as a Docker schema2 manifest. */
  busyboxV2s2: string;
  /** The same image with a zstd layer. */
  busyboxZstd: string;
  /** The same image with an uncompressed layer. */
  busyboxUncompressed: string;
  /** busybox:latest on the registry that requires basic auth. */
  authBusybox: string;
  /** Four layers: whiteouts, opaque dir, hard links, symlinks, owners, modes (see setup.sh). */
  layers: string;
  /** OCI index with linux/amd64 and linux/arm64; /arch says which. */
  multiarch: string;
  /** Debian 12 minbase; only when TestEnv.debian is true. */
  debian?: string;
  /**
   * Unpack attacks, { attack: ref }: busybox layer + one malicious layer each (see setup.sh):
   * dotdot, absolute, symlink-parent, symlink-relative, hardlink, hardlink-dotdot, dir-to-symlink, device.
   */
  evil?: Record<string, string>;
}

export interface TestEnv {
  /** The unprivileged user the CLI runs as (skiff-test under root; the current user otherwise). */
  user: string;
  uid: number;
  gid: number;
  /** That user's real home; the harness gives each session its own HOME instead. */
  home: string;
  subuid: SubIdRange | null;
  subgid: SubIdRange | null;
  /** host:port of the registry without auth. */
  registry: string;
  /** host:port of the registry that requires basic auth. */
  authRegistry: string;
  authUser: string;
  authPassword: string;
  images: FixtureImages;
  /** Whether the Debian fixture exists (it needs root once, for debootstrap). */
  debian: boolean;
  /** Whether setup ran as root (then the tests must run as root too and switch to `user`). */
  root: boolean;
  /** A user with no /etc/subuid or /etc/subgid entries (made only when setup runs as root). */
  noSubidUser: string | null;
  stateDir: string;
  cacheDir: string;
  /** Where the harness makes its per-run directories (the test user can execute files there). */
  tmpDir: string;
}

let repo: string | undefined;

/** The repository root: the nearest directory above this file with skiff's package.json. */
export function repoRoot(): string {
  if (repo !== undefined) return repo;
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'skiff') return (repo = dir);
      } catch {
        // Not ours; keep looking upwards.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find skiff's package.json above ${__dirname}`);
    dir = parent;
  }
}

export function envFile(): string {
  return join(repoRoot(), 'test', '.cache', 'env.json');
}

let cached: TestEnv | undefined;

/** Reads env.json once; a clear error says to run the setup when it is missing or incomplete. */
export function loadEnv(): TestEnv {
  if (cached) return cached;
  const file = envFile();
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run test/setup/setup.sh first (as root in CI, or as yourself)`);
  }
  const env = JSON.parse(readFileSync(file, 'utf8')) as TestEnv;
  const required: (keyof TestEnv)[] = ['user', 'uid', 'gid', 'home', 'registry', 'authRegistry', 'authUser', 'authPassword', 'images', 'debian', 'root', 'tmpDir'];
  const missing = required.filter((k) => env[k] === undefined);
  if (missing.length > 0) {
    throw new Error(`${file} lacks ${missing.join(', ')}: re-run test/setup/setup.sh`);
  }
  return (cached = env);
}
