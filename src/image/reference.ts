// Image references as Docker parses them: grammar, normalisation and the familiar forms `docker images` shows.
//
// The grammar is distribution/reference's (the library Docker's CLI and daemon vendor), and the
// checks run in the order of its ParseNormalizedNamed, because that order decides which of several
// problems Docker reports (e.g. `a@SHA256:…` is a lowercase error, not a digest error). Messages
// are Docker's own words so that users can search for them; the CLI adds `Error response …`,
// `docker: ` or `Error parsing reference: …` framing per command, not this module.
//
//   reference  := name [ ":" tag ] [ "@" digest ]
//   name       := [ domain "/" ] path
//   domain     := host [ ":" port ]            host: DNS-ish name, IPv4, or [IPv6]
//   path       := component ( "/" component )*
//   component  := [a-z0-9]+ ( separator [a-z0-9]+ )*     separator: "." | "_" | "__" | "-"+
//   tag        := [\w][\w.-]{0,127}
//   digest     := algorithm ":" hex{32,}      sha256 (64 hex), sha384 (96), sha512 (128) accepted
import { ExitCode, SkiffError } from '../errors';

/** A parsed, normalised reference: `docker.io/library/alpine:3.19@sha256:…` is
 * `{ domain: 'docker.io', path: 'library/alpine', tag: '3.19', digest: 'sha256:…' }`. */
export interface Reference {
  /** Registry host and optional port, never empty: `docker.io`, `localhost:5000`, `[::1]:5000`. */
  domain: string;
  /** Repository path inside the registry: `library/alpine`, `user/app`. */
  path: string;
  tag?: string;
  /** `algorithm:hex`, validated; when both tag and digest are given the digest decides what is pulled. */
  digest?: string;
}

export const defaultDomain = 'docker.io';
export const defaultTag = 'latest';
/** Docker Hub's old name, still accepted and rewritten to docker.io. */
const legacyDefaultDomain = 'index.docker.io';
/** Docker Hub's namespace for official images: `alpine` is `library/alpine`. */
const officialRepoPrefix = 'library/';
/** Docker (distribution/reference v0.6, vendored by the v28 CLI) limits the path, not domain + path:
 * `example.com/` + 250 letters is accepted, `a` × 255 is not because it becomes `library/` + 255. */
export const maxPathLength = 255;

/** Docker's messages, exactly; parameterised ones are functions. */
export const ReferenceMessage = {
  invalidFormat: 'invalid reference format',
  nameUppercase: 'repository name must be lowercase',
  nameTooLong: `repository name must not be more than ${maxPathLength} characters`,
  tagFormat: 'invalid tag format',
  digestFormat: 'invalid checksum digest format',
  digestLength: 'invalid checksum digest length',
  digestUnsupported: 'unsupported digest algorithm',
  hexName: (text: string) => `invalid repository name (${text}), cannot specify 64-byte hexadecimal strings`,
  remoteUppercase: (remote: string) => `invalid reference format: repository name (${remote}) must be lowercase`,
} as const;

export interface ParseOptions {
  /** Exit code of the error thrown for a bad reference. Docker's v28 CLI exits 125 for `run`, 1 for
   * `pull`, `create`, `tag` and `push`; the caller knows which command it is. Default 125. */
  exitCode?: number;
}

// Building blocks of the grammar, as regular-expression source. Non-capturing groups throughout so
// the few captures below are the only ones.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const pathPattern = `${pathComponent}(?:/${pathComponent})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
// IPv6 only in brackets, without zone ids: the colon would otherwise be ambiguous with a port.
const ipv6Host = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainPattern = `(?:${domainName}|${ipv6Host})(?::[0-9]+)?`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const referenceRegexp = new RegExp(`^((?:${domainPattern}/)?${pathPattern})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
const nameRegexp = new RegExp(`^(?:(${domainPattern})/)?(${pathPattern})$`);
const domainRegexp = new RegExp(`^${domainPattern}$`);
const tagRegexp = new RegExp(`^${tagPattern}$`);
const digestRegexp = new RegExp(`^${digestPattern}$`);
/** An image ID without its algorithm: Docker refuses it as a name so that IDs and names never collide. */
const identifierRegexp = /^[a-f0-9]{64}$/;
/** go-digest's general shape, used only to tell an unknown algorithm from a malformed digest. */
const anyDigestRegexp = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
/** Algorithms Docker registers, with their hex length. */
const digestHexLength: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/**
 * Parses what a user typed into a normalised reference, as Docker's ParseNormalizedNamed does:
 * `alpine` → docker.io/library/alpine, `index.docker.io/x` → docker.io/library/x,
 * `myreg:5000/x/y:1` stays as it is. No default tag is added: see tagNameOnly.
 */
export function parseReference(text: string, options: ParseOptions = {}): Reference {
  const fail = (message: string) => new SkiffError(message, options.exitCode ?? ExitCode.engine);
  if (identifierRegexp.test(text)) throw fail(ReferenceMessage.hexName(text));

  const [domain, remainder] = splitDockerDomain(text);
  // Docker looks at the part before the first colon only, which is why `a@SHA256:…` reports
  // `library/a@SHA256` as the repository name.
  const colon = remainder.indexOf(':');
  const remote = colon === -1 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) throw fail(ReferenceMessage.remoteUppercase(remote));

  const full = `${domain}/${remainder}`;
  const match = referenceRegexp.exec(full);
  if (!match) {
    const lower = full.toLowerCase();
    // Reached when an uppercase first component was taken for a domain but cannot be one (`A_b/c`).
    if (lower !== full && referenceRegexp.test(lower)) throw fail(ReferenceMessage.nameUppercase);
    throw fail(ReferenceMessage.invalidFormat);
  }
  const name = nameRegexp.exec(match[1]!)!;
  const parsedDomain = name[1] ?? '';
  const path = name[2]!;
  // Docker lets the grammar regroup `ex_ample.com/a` as a domain-less path and then fails later
  // against a registry with an empty host (`Get "https:/v2/"`); refusing here says the same sooner.
  if (parsedDomain === '') throw fail(ReferenceMessage.invalidFormat);
  if (path.length > maxPathLength) throw fail(ReferenceMessage.nameTooLong);

  const reference: Reference = { domain: parsedDomain, path };
  if (match[2] !== undefined) reference.tag = match[2];
  if (match[3] !== undefined) {
    const problem = digestProblem(match[3]);
    if (problem) throw fail(problem);
    reference.digest = match[3];
  }
  return reference;
}

/**
 * True when the text names no registry, so that it may resolve through the unqualified-search
 * registries: `alpine`, `user/app`, `localhost` (a repository on Docker Hub). False for
 * `docker.io/alpine`, `myreg:5000/x`, `localhost/x`. The rule is Docker's domain detection.
 */
export function isShortName(text: string): boolean {
  return explicitDomain(text) === undefined;
}

/**
 * The registry named by the first path component, by Docker's rule: a component is a registry when
 * it is `localhost`, contains `.` or `:`, or has uppercase letters (namespaces cannot, so it must be
 * a host name). A single component is always a repository: `localhost` alone is docker.io's.
 */
function explicitDomain(text: string): string | undefined {
  const slash = text.indexOf('/');
  if (slash === -1) return undefined;
  const first = text.slice(0, slash);
  return first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first ? first : undefined;
}

/** Docker's splitDockerDomain: the registry (docker.io when none is named, `index.docker.io`
 * rewritten) and the rest, where a single-component Docker Hub name gains `library/`. */
function splitDockerDomain(text: string): [domain: string, remainder: string] {
  const named = explicitDomain(text);
  const domain = named === undefined || named === legacyDefaultDomain ? defaultDomain : named;
  const remainder = named === undefined ? text : text.slice(named.length + 1);
  return [domain, domain === defaultDomain && !remainder.includes('/') ? officialRepoPrefix + remainder : remainder];
}

/** Docker's (go-digest's) verdict on a digest, or undefined when it is valid. */
function digestProblem(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  if (colon <= 0 || colon === digest.length - 1) return ReferenceMessage.digestFormat;
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = digestHexLength[algorithm];
  if (length === undefined) return anyDigestRegexp.test(digest) ? ReferenceMessage.digestUnsupported : ReferenceMessage.digestFormat;
  if (hex.length !== length) return ReferenceMessage.digestLength;
  if (!/^[a-f0-9]+$/.test(hex)) return ReferenceMessage.digestFormat;
  return undefined;
}

/** Validates a digest on its own (`sha256:…`), with Docker's messages; returns it unchanged. */
export function parseDigest(text: string, options: ParseOptions = {}): string {
  const problem = digestRegexp.test(text) ? digestProblem(text) : ReferenceMessage.digestFormat;
  if (problem) throw new SkiffError(problem, options.exitCode ?? ExitCode.engine);
  return text;
}

/** True for a valid tag (`[\w][\w.-]{0,127}`). */
export function isValidTag(tag: string): boolean {
  return tagRegexp.test(tag);
}

/** True for a valid registry host with optional port: `docker.io`, `myreg:5000`, `[::1]:5000`. */
export function isValidDomain(domain: string): boolean {
  return domainRegexp.test(domain);
}

/** Docker's TagNameOnly: adds `latest` when the reference has neither a tag nor a digest. */
export function tagNameOnly(reference: Reference): Reference {
  return reference.tag === undefined && reference.digest === undefined ? { ...reference, tag: defaultTag } : reference;
}

/** The fully qualified repository name: `docker.io/library/alpine`. */
export function fullName(reference: Reference): string {
  return `${reference.domain}/${reference.path}`;
}

/** The repository as `docker images` shows it: `alpine`, `user/app`, `library/a/b`, `myreg:5000/x/y`. */
export function familiarName(reference: Reference): string {
  if (reference.domain !== defaultDomain) return fullName(reference);
  const official = reference.path.startsWith(officialRepoPrefix) ? reference.path.slice(officialRepoPrefix.length) : undefined;
  // Only a single-component name drops `library/`, as in Docker, so that the result parses back.
  return official !== undefined && !official.includes('/') ? official : reference.path;
}

/** The full reference: `docker.io/library/alpine:latest`, `…:tag@sha256:…` when both are set. */
export function toString(reference: Reference): string {
  return fullName(reference) + suffix(reference);
}

/** The familiar reference: `alpine:latest`, `myreg:5000/x/y@sha256:…`. */
export function familiarString(reference: Reference): string {
  return familiarName(reference) + suffix(reference);
}

function suffix(reference: Reference): string {
  return (reference.tag !== undefined ? `:${reference.tag}` : '') + (reference.digest !== undefined ? `@${reference.digest}` : '');
}
