// Platforms (os/arch/variant): the host's, `--platform` parsing, and choosing a manifest from an index as containerd's matcher does.
import { arch as nodeArch, platform as nodePlatform } from 'node:process';
import { ExitCode, SkiffError } from '../../errors';
import type { Descriptor } from './media-types';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

/** An image index (OCI) or manifest list (Docker): only what platform selection reads. */
export interface ImageIndex {
  manifests: Descriptor[];
}

const knownOS = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'wasip1', 'windows', 'zos']);
const knownArch = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64p32', 'mips64p32le',
  'ppc', 'ppc64', 'ppc64le', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm',
  // Aliases normaliseArch maps onto the names above.
  'i386', 'x86_64', 'x86-64', 'aarch64', 'armhf', 'armel',
]);

/** Node's names for architectures, in Go's (and so the image config's) words. */
const goArch: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle' };

/** The platform this process runs on, as Docker names it by default: linux/amd64, linux/arm64/v8, linux/arm/v7. */
export function hostPlatform(): Platform {
  const architecture = goArch[nodeArch] ?? nodeArch;
  const platform: Platform = { os: nodePlatform === 'win32' ? 'windows' : nodePlatform, architecture };
  if (architecture === 'arm64') platform.variant = 'v8';
  if (architecture === 'arm') {
    const version = (process.config.variables as Record<string, unknown>).arm_version;
    platform.variant = `v${typeof version === 'string' || typeof version === 'number' ? version : '7'}`;
  }
  return platform;
}

/**
 * Parses `--platform`: `os/arch[/variant]`, or one word naming an OS (the host's architecture) or an
 * architecture (the host's OS), as containerd's platforms.Parse. Names are lower-cased and the
 * architecture's aliases (x86_64, aarch64) resolved; the variant is kept as written (`8` → `v8`).
 */
export function parsePlatform(text: string, options: { exitCode?: number } = {}): Platform {
  const fail = (why: string) => new SkiffError(`"${text}": ${why}: invalid argument`, options.exitCode ?? ExitCode.engine);
  const parts = text.toLowerCase().split('/');
  if (parts.length > 3 || parts.some((part) => !/^[a-z0-9_.-]+$/.test(part))) throw fail('invalid platform: expected os/arch[/variant], e.g. linux/arm64');
  const host = hostPlatform();
  if (parts.length === 1) {
    const [word] = parts as [string];
    if (knownOS.has(word)) return word === host.os ? host : { os: word, architecture: host.architecture };
    if (knownArch.has(word)) return withArch({ os: host.os }, word, undefined);
    throw fail('unknown operating system or architecture');
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  if (!knownOS.has(os)) throw fail('unknown operating system or architecture');
  return withArch({ os }, architecture, variant);
}

function withArch(base: { os: string }, architecture: string, variant: string | undefined): Platform {
  const arch = aliasArch(architecture);
  const platform: Platform = { ...base, architecture: arch.architecture };
  const v = variant ?? arch.variant;
  if (v) platform.variant = /^\d/.test(v) ? `v${v}` : v;
  return platform;
}

function aliasArch(architecture: string): { architecture: string; variant?: string } {
  switch (architecture) {
    case 'i386': return { architecture: '386' };
    case 'x86_64': case 'x86-64': return { architecture: 'amd64' };
    case 'aarch64': return { architecture: 'arm64' };
    case 'armhf': return { architecture: 'arm', variant: 'v7' };
    case 'armel': return { architecture: 'arm', variant: 'v6' };
    default: return { architecture };
  }
}

/** `linux/arm64/v8`: the form Docker prints in its messages. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((part) => part).join('/');
}

/**
 * containerd's normalisation, under which two platforms are the same when their fields are equal:
 * arm64's v8 is no variant at all, arm's default is v7, amd64's v1 is no variant, 386 has none.
 */
export function normalizePlatform(platform: Platform): Platform {
  let os = platform.os.toLowerCase();
  if (os === 'macos') os = 'darwin';
  const alias = aliasArch(platform.architecture.toLowerCase());
  const architecture = alias.architecture;
  let variant = (platform.variant ?? '').toLowerCase();
  if (alias.variant && !variant) variant = alias.variant;
  if (/^\d/.test(variant)) variant = `v${variant}`;
  switch (architecture) {
    case '386':
      variant = '';
      break;
    case 'amd64':
      if (variant === 'v1') variant = '';
      break;
    case 'arm64':
      if (variant === 'v8' || variant === 'v8.0') variant = '';
      else if (variant === 'v9.0') variant = 'v9';
      break;
    case 'arm':
      if (variant === '') variant = 'v7';
      break;
  }
  return variant ? { os, architecture, variant } : { os, architecture };
}

/**
 * The platforms that can run on `wanted`, best first, as containerd's `platforms.Only`: amd64/v3
 * also runs v2, v1 and 386; arm/v7 also runs v6 and v5; arm64 also runs arm at the same level.
 */
export function compatiblePlatforms(wanted: Platform): Platform[] {
  const p = normalizePlatform(wanted);
  const vector: Platform[] = [p];
  const level = (variant: string | undefined, fallback: number): number => {
    const n = Number.parseInt((variant ?? '').replace(/^v/, ''), 10);
    return Number.isNaN(n) ? fallback : n;
  };
  switch (p.architecture) {
    case 'amd64':
      for (let v = level(p.variant, 1) - 1; v >= 1; v--) vector.push(normalizePlatform({ os: p.os, architecture: 'amd64', variant: `v${v}` }));
      vector.push({ os: p.os, architecture: '386' });
      break;
    case 'arm':
      for (let v = level(p.variant, 7) - 1; v >= 5; v--) vector.push({ os: p.os, architecture: 'arm', variant: `v${v}` });
      break;
    case 'arm64': {
      // An arm64 CPU at v8 runs 32-bit arm code up to v8, i.e. v7 images and below.
      const v = level(p.variant, 8);
      for (let armv = Math.min(v, 8); armv >= 5; armv--) vector.push({ os: p.os, architecture: 'arm', variant: `v${armv}` });
      break;
    }
  }
  return vector;
}

function samePlatform(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}

/**
 * Picks the manifest for `wanted` (the host's by default) from an index: the entry matching the most
 * preferred compatible platform, the first such entry when several do. Throws Docker's
 * `no matching manifest for linux/arm64/v8 in the manifest list entries`, plus what the list offers.
 */
export function selectPlatform(index: ImageIndex, wanted: Platform = hostPlatform()): Descriptor {
  const entries = (index.manifests ?? []).filter((entry) => entry.platform && entry.platform.os && entry.platform.architecture);
  const normalized = entries.map((entry) => normalizePlatform(entry.platform!));
  for (const candidate of compatiblePlatforms(wanted)) {
    const i = normalized.findIndex((platform) => samePlatform(platform, candidate));
    if (i !== -1) return entries[i]!;
  }
  // Attestation manifests (buildx) carry unknown/unknown: not something a user can ask for.
  const offered = [...new Set(entries.map((entry) => formatPlatform(entry.platform!)).filter((text) => !text.startsWith('unknown/')))];
  throw new SkiffError(
    `no matching manifest for ${formatPlatform(wanted)} in the manifest list entries` +
      (offered.length > 0 ? ` (available: ${offered.join(', ')}); choose one with --platform` : ' (the list names no platforms)'),
    ExitCode.failure,
  );
}
