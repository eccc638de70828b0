// Registry configuration: which registries a short name resolves through, which may use plain HTTP, which mirrors to try.
//
// The file is `registries.json` in skiff's config dir. Key names follow Docker's daemon.json where
// Docker has the setting (`insecure-registries`, with the same host[:port] and CIDR entries) and
// containers-registries.conf(5) where only Podman has it (`unqualified-search-registries`). Mirrors
// are `mirrors`, an object keyed by registry, rather than Docker's `registry-mirrors` array, because
// Docker's applies to Docker Hub alone and a differently shaped value under Docker's name would
// mislead; a `registry-mirrors` key is refused with the way to write it.
//
//   {
//     "unqualified-search-registries": ["docker.io"],
//     "insecure-registries": ["myreg:5000", "10.0.0.0/8"],
//     "mirrors": { "docker.io": ["https://mirror.example"] }
//   }
import { readFile } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { join } from 'node:path';
import { SkiffError } from '../errors';
import { resolvePaths } from '../paths';
import { defaultDomain, isShortName, isValidDomain, parseReference, type ParseOptions, type Reference } from './reference';

export interface RegistriesConfig {
  /** Tried in order for a name that names no registry (`alpine`, `user/app`). */
  unqualifiedSearchRegistries: string[];
  /** `host[:port]` entries matched exactly, or CIDRs matched against IP-literal hosts. */
  insecureRegistries: string[];
  /** Per registry, mirror base URLs (`https://mirror.example`) tried before the registry itself when pulling. */
  mirrors: Record<string, string[]>;
}

export const registriesFileName = 'registries.json';

/** What a missing file means: Docker's behaviour. */
export function defaultRegistriesConfig(): RegistriesConfig {
  return { unqualifiedSearchRegistries: [defaultDomain], insecureRegistries: [], mirrors: {} };
}

/** Reads `registries.json` from the config dir (`resolvePaths().config` unless given). */
export async function loadRegistriesConfig(configDir: string = resolvePaths().config): Promise<RegistriesConfig> {
  const file = join(configDir, registriesFileName);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return defaultRegistriesConfig();
    throw new SkiffError(`cannot read registry configuration ${file}: ${(err as Error).message}`, undefined, { cause: err });
  }
  return parseRegistriesConfig(text, file);
}

/** Validates the file's text; `file` only names the file in error messages. */
export function parseRegistriesConfig(text: string, file: string): RegistriesConfig {
  const fail = (problem: string) => new SkiffError(`invalid registry configuration ${file}: ${problem}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw fail(`not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(value)) throw fail('the top level must be a JSON object');

  const config = defaultRegistriesConfig();
  for (const [key, entry] of Object.entries(value)) {
    switch (key) {
      case 'unqualified-search-registries':
        config.unqualifiedSearchRegistries = unique(stringList(entry, key, fail).map((domain, i) => registryDomain(domain, `"${key}"[${i}]`, fail)));
        break;
      case 'insecure-registries':
        config.insecureRegistries = stringList(entry, key, fail).map((host, i) => insecureEntry(host, `"${key}"[${i}]`, fail));
        break;
      case 'mirrors':
        config.mirrors = mirrorTable(entry, fail);
        break;
      case 'registry-mirrors':
        throw fail('"registry-mirrors" is Docker\'s daemon.json key; write mirrors per registry: "mirrors": { "docker.io": ["https://mirror.example"] }');
      default:
        throw fail(`unknown key "${key}" (known: "unqualified-search-registries", "insecure-registries", "mirrors")`);
    }
  }
  return config;
}

type Fail = (problem: string) => SkiffError;

function stringList(value: unknown, key: string, fail: Fail): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw fail(`"${key}" must be an array of strings`);
  return value as string[];
}

/** A registry as references name it; `index.docker.io` is Docker Hub's old name, as in references. */
function registryDomain(domain: string, where: string, fail: Fail): string {
  if (!isValidDomain(domain)) throw fail(`${where}: "${domain}" is not a registry host[:port]`);
  return domain === 'index.docker.io' ? defaultDomain : domain;
}

function insecureEntry(entry: string, where: string, fail: Fail): string {
  // Docker's daemon refuses a scheme here too: insecurity is about the host, the scheme is derived.
  if (entry.includes('://')) throw fail(`${where}: "${entry}" must be host[:port] or a CIDR, without a scheme`);
  if (entry.includes('/')) {
    if (!parseCidr(entry)) throw fail(`${where}: "${entry}" is not a valid CIDR`);
    return entry;
  }
  return registryDomain(entry, where, fail);
}

function mirrorTable(value: unknown, fail: Fail): Record<string, string[]> {
  if (!isPlainObject(value)) throw fail('"mirrors" must be an object from registry to an array of mirror URLs');
  const table: Record<string, string[]> = {};
  for (const [registry, urls] of Object.entries(value)) {
    const domain = registryDomain(registry, `"mirrors" key`, fail);
    const key = `mirrors["${registry}"]`;
    if (!Array.isArray(urls) || !urls.every((url) => typeof url === 'string')) throw fail(`${key} must be an array of URL strings`);
    table[domain] = unique([...(table[domain] ?? []), ...urls.map((url, i) => mirrorUrl(url, `${key}[${i}]`, fail))]);
  }
  return table;
}

/** A mirror is a registry root, like Docker's: http(s), a host, nothing after it. Normalised without a trailing slash. */
function mirrorUrl(text: string, where: string, fail: Fail): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fail(`${where}: "${text}" is not a URL (write it as https://host[:port])`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail(`${where}: "${text}" must use https:// or http://`);
  if (url.username || url.password) throw fail(`${where}: "${text}" must not carry credentials; skiff login stores them`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) throw fail(`${where}: "${text}" must be a registry root, without path, query or fragment`);
  return `${url.protocol}//${url.host}`;
}

/**
 * The references to try, in order, for what the user typed. A name that names its registry
 * (`docker.io/alpine`, `myreg:5000/x`) has one; a short name has one per search registry, where
 * only Docker Hub adds `library/` (`alpine` → docker.io/library/alpine, quay.io/alpine). Parse
 * errors are Docker's, for the text as typed.
 */
export function candidates(text: string, config: RegistriesConfig, options: ParseOptions = {}): Reference[] {
  const reference = parseReference(text, options);
  if (!isShortName(text)) return [reference];
  if (config.unqualifiedSearchRegistries.length === 0) {
    throw new SkiffError(
      `cannot resolve short name "${text}": "unqualified-search-registries" in ${registriesFileName} is empty; name the registry, e.g. ${defaultDomain}/${text}`,
      options.exitCode,
    );
  }
  return config.unqualifiedSearchRegistries.map((domain) => (domain === defaultDomain ? reference : parseReference(`${domain}/${text}`, options)));
}

/** Docker Hub's API is not served at its reference name. */
export function registryHost(domain: string): string {
  return domain === defaultDomain ? 'registry-1.docker.io' : domain;
}

/** The user's per-command choice, `--tls-verify`; undefined when not given. */
export type TlsVerifyFlag = boolean | undefined;

/** Docker's own defaults: loopback registries are insecure (::1/128 and 127.0.0.0/8 in Docker's API docs). */
const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/**
 * Whether TLS may be skipped for a registry: certificates not verified, plain HTTP as a fallback.
 * `--tls-verify` decides when given (Podman's flag; Docker has no per-command switch). Otherwise, as
 * Docker: Docker Hub never; `localhost` and loopback addresses; entries of `insecure-registries`,
 * exact host[:port] or a CIDR containing the host's address. Docker also resolves host names
 * against CIDRs; this stays pure and matches IP literals only (and `localhost` by name).
 */
export function isInsecure(host: string, config: RegistriesConfig, tlsVerify?: TlsVerifyFlag): boolean {
  if (tlsVerify !== undefined) return !tlsVerify;
  if (host === defaultDomain || host === registryHost(defaultDomain)) return false;
  const { hostname } = splitHostPort(host);
  if (hostname.toLowerCase() === 'localhost') return true;
  const address = ipAddress(hostname);
  if (address && loopback.check(address.ip, address.family)) return true;
  return config.insecureRegistries.some((entry) => {
    if (!entry.includes('/')) return entry.toLowerCase() === host.toLowerCase();
    const cidr = parseCidr(entry);
    return !!address && !!cidr && cidr.family === address.family && cidr.list.check(address.ip, address.family);
  });
}

/**
 * The schemes to try, in order. As Docker: HTTPS always first (for an insecure registry without
 * certificate verification, see verifiesTls), then plain HTTP only when the registry is insecure.
 */
export function schemes(host: string, config: RegistriesConfig, tlsVerify?: TlsVerifyFlag): ('https' | 'http')[] {
  return isInsecure(host, config, tlsVerify) ? ['https', 'http'] : ['https'];
}

/** Whether HTTPS to this registry checks the certificate. */
export function verifiesTls(host: string, config: RegistriesConfig, tlsVerify?: TlsVerifyFlag): boolean {
  return !isInsecure(host, config, tlsVerify);
}

/** One place to send registry API requests: a base URL (`https://registry-1.docker.io`) and how to treat its TLS. */
export interface Endpoint {
  url: string;
  tlsVerify: boolean;
  /** True for a configured mirror: a failure there moves on to the next endpoint, as in Docker. */
  mirror: boolean;
}

export interface EndpointOptions {
  tlsVerify?: TlsVerifyFlag;
  /** Mirrors serve pulls only; pushes go to the registry itself, as in Docker. */
  purpose: 'pull' | 'push';
}

/**
 * Every endpoint for a registry, in the order to try: its mirrors (pull only, each with the
 * scheme written in the config), then the registry over HTTPS, then over HTTP when insecure.
 */
export function endpoints(domain: string, config: RegistriesConfig, options: EndpointOptions): Endpoint[] {
  const mirrors: Endpoint[] = options.purpose === 'pull'
    ? (config.mirrors[domain] ?? []).map((url) => ({ url, tlsVerify: verifiesTls(new URL(url).host, config, options.tlsVerify), mirror: true }))
    : [];
  const host = registryHost(domain);
  const tlsVerify = verifiesTls(domain, config, options.tlsVerify);
  const direct = schemes(domain, config, options.tlsVerify).map((scheme) => ({
    url: `${scheme}://${host}`,
    tlsVerify: scheme === 'https' ? tlsVerify : false,
    mirror: false,
  }));
  return [...mirrors, ...direct];
}

/** `myreg:5000` → myreg, `[::1]:5000` → ::1. */
function splitHostPort(host: string): { hostname: string; port?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (bracketed) return { hostname: bracketed[1]!, port: bracketed[2] };
  const colon = host.lastIndexOf(':');
  return colon === -1 ? { hostname: host } : { hostname: host.slice(0, colon), port: host.slice(colon + 1) };
}

function ipAddress(hostname: string): { ip: string; family: 'ipv4' | 'ipv6' } | undefined {
  const version = isIP(hostname);
  return version === 0 ? undefined : { ip: hostname, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function parseCidr(text: string): { list: BlockList; family: 'ipv4' | 'ipv6' } | undefined {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const address = ipAddress(match[1]!);
  const prefix = Number(match[2]);
  if (!address || prefix > (address.family === 'ipv4' ? 32 : 128)) return undefined;
  const list = new BlockList();
  list.addSubnet(address.ip, prefix, address.family);
  return { list, family: address.family };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
