// A client for one repository of one registry over the OCI distribution API: ping, manifests, blobs, tags, uploads.
//
// Every request goes through `request()`: the endpoint (scheme) chosen once by pinging /v2/, the
// Authorization header from the authorizer, one retry after a 401 with a fresh challenge, and the
// transport's retries on 5xx and dropped connections. Methods map what is left to RegistryErrors.
import type { Readable } from 'node:stream';
import { isValidTag } from '../reference';
import { registryHost } from '../registries';
import type { Credentials } from '../auth';
import { createAuthorizer, pullScope, pushScope } from './authorizer';
import { checkDigest, digestOf, isDigest, verifyingStream } from './digest';
import { errorForNetwork, errorForStatus, isTransientNetworkError, parseErrorBody, RegistryError, type FailureContext } from './errors';
import { defaultManifestAccept, manifestMediaType } from './media-types';
import { parseWwwAuthenticate, type Challenge } from './challenge';
import { uploadBlob, type PushBlobOptions } from './push';
import { defaultRetry, discard, retryDelay, send, sleep, type HttpRequest, type Response, type RetryPolicy, type TransportOptions } from './transport';

export interface RegistryClientOptions {
  /** The registry as references name it: `docker.io`, `127.0.0.1:5000`. Requests go to registryHost(domain). */
  domain: string;
  /** The repository path: `library/alpine`. Only ping() and authenticate() work without one. */
  repository?: string;
  /** Schemes to try, in order (from registries.ts `schemes()`): plain HTTP only where allowed. */
  schemes: ('https' | 'http')[];
  /** Verify certificates over HTTPS (default true; registries.ts `verifiesTls()`). */
  tlsVerify?: boolean;
  credentials?: Credentials;
  userAgent: string;
  retry?: RetryPolicy;
  /** Wait this long for response headers, and at most this long between two chunks of a blob. Default 30 s / 60 s. */
  headersTimeoutMs?: number;
  idleTimeoutMs?: number;
}

export interface PingResult {
  /** `https://registry-1.docker.io` or `http://127.0.0.1:5000`. */
  url: string;
  /** Challenges of the anonymous /v2/ request: empty when the registry needs no login. */
  challenges: Challenge[];
}

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  size: number;
  bytes: Buffer;
  /** The parsed document. */
  json: unknown;
}

export interface ManifestHead {
  digest?: string;
  mediaType?: string;
  size?: number;
}

export interface FetchBlobOptions {
  /** From the descriptor: a blob of another size is refused. */
  size?: number;
  signal?: AbortSignal;
}

export interface RegistryClient {
  readonly domain: string;
  /** Where requests go: `registry-1.docker.io` for docker.io. */
  readonly host: string;
  readonly repository?: string;
  ping(): Promise<PingResult>;
  /** Proves the client's credentials to the registry (GET /v2/ with them); throws `unauthorized` when refused. */
  authenticate(): Promise<void>;
  /** GET a manifest or index by tag or digest; by digest the content must hash to it, by tag the digest is computed. */
  getManifest(reference: string, accept?: readonly string[]): Promise<FetchedManifest>;
  /** HEAD a manifest: its digest and type without its body; undefined when the registry does not have it. */
  headManifest(reference: string, accept?: readonly string[]): Promise<ManifestHead | undefined>;
  /** The blob as a stream that fails (is destroyed) if its content does not match the digest. */
  fetchBlob(digest: string, options?: FetchBlobOptions): Promise<Readable>;
  /** fetchBlob, read into memory: for configs and other small blobs. */
  fetchBlobBytes(digest: string, options?: FetchBlobOptions): Promise<Buffer>;
  hasBlob(digest: string): Promise<boolean>;
  /** Asks the registry to link a blob of `fromRepository` (same registry) into this one; false when it would not. */
  mountBlob(digest: string, fromRepository: string): Promise<boolean>;
  /** Uploads a blob: POST, then one PUT, or PATCH chunks and a final PUT. `openStream` is called again for a retry. */
  pushBlob(digest: string, size: number, openStream: () => Readable | Promise<Readable>, options?: PushBlobOptions): Promise<void>;
  /** PUT a manifest under a tag or its digest; returns its digest. */
  putManifest(reference: string, mediaType: string, bytes: Buffer): Promise<string>;
  /** Every tag of the repository, following `Link` pagination (`pageSize` asks for pages of that many). */
  listTags(options?: { pageSize?: number }): Promise<string[]>;
}

/** What request() needs to know about a call. */
export interface RegistryRequest {
  method: HttpRequest['method'];
  /** A path under the endpoint (`/v2/…`), or an absolute URL (an upload Location, a Link). */
  path: string;
  headers?: Record<string, string>;
  body?: HttpRequest['body'];
  scopes: string[];
  idempotent: boolean;
  signal?: AbortSignal;
}

/** What push.ts uses of the client. */
export interface RequestContext {
  domain: string;
  repository: string;
  request(spec: RegistryRequest): Promise<Response>;
  /** Maps a failed response to a RegistryError (reading its body). */
  failure(response: Response, context: Omit<FailureContext, 'domain' | 'repository' | 'username'>): Promise<RegistryError>;
  /** The absolute URL of a path or Location, resolved against `base`. */
  resolve(location: string, base: string): string;
}

/** Manifests are small; anything bigger is not one (containerd's limit). */
const maxManifestBytes = 4 * 1024 * 1024;

interface Endpoint {
  url: string;
  challengeHeader: string | null;
}

/** One ping per registry and policy for the whole process. */
const endpoints = new Map<string, Promise<Endpoint>>();

/** Forgets which scheme each registry answered on (tests start registries on the fly). */
export function clearEndpointCache(): void {
  endpoints.clear();
}

export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const domain = options.domain;
  const host = registryHost(domain);
  const repository = options.repository;
  const transport: TransportOptions = {
    tlsVerify: options.tlsVerify ?? true,
    userAgent: options.userAgent,
    retry: options.retry ?? defaultRetry,
    headersTimeoutMs: options.headersTimeoutMs,
  };
  const authorizer = createAuthorizer({ domain, credentials: options.credentials, transport });
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;

  function repo(): string {
    if (!repository) throw new Error('registry client: this call needs a repository');
    return repository;
  }

  /** Chooses the scheme by GET /v2/ on each allowed one in order; the first that answers at all wins. */
  function endpoint(): Promise<Endpoint> {
    const key = `${host}|${options.schemes.join(',')}|${transport.tlsVerify}`;
    let found = endpoints.get(key);
    if (!found) {
      found = probe();
      endpoints.set(key, found);
      // A failed ping is not remembered: the next command (or call) tries again.
      found.catch(() => endpoints.delete(key));
    }
    return found;
  }

  async function probe(): Promise<Endpoint> {
    if (options.schemes.length === 0) throw new RegistryError(`no scheme allowed for registry ${domain}`, 'invalid');
    let firstError: RegistryError | undefined;
    for (const scheme of options.schemes) {
      const url = `${scheme}://${host}`;
      try {
        const response = await send({ method: 'GET', url: `${url}/v2/`, idempotent: true }, transport);
        const challengeHeader = response.headers.get('www-authenticate');
        if (response.status === 200 || response.status === 401) {
          await discard(response);
          return { url, challengeHeader: response.status === 401 ? challengeHeader : null };
        }
        throw await failureOf(response, { what: 'ping', method: 'GET', url: `${url}/v2/` });
      } catch (err) {
        const error = errorForNetwork(err, host, scheme);
        // TLS spoken to a plain-HTTP registry says less than what the HTTP try says.
        if (!firstError || (firstError.reason === 'tls' && error.reason !== 'tls' && scheme === 'http')) firstError = error;
        if (error.reason !== 'unreachable' && error.reason !== 'tls') throw error;
      }
    }
    throw firstError!;
  }

  async function failureOf(response: Response, context: Omit<FailureContext, 'domain' | 'repository' | 'username'>): Promise<RegistryError> {
    let text = '';
    try {
      text = await response.text();
    } catch {
      // The status alone still says enough.
    }
    return errorForStatus(response.status, response.statusText, parseErrorBody(text), {
      domain, repository, username: authorizer.username, ...context,
    });
  }

  function resolve(location: string, base: string): string {
    return new URL(location, base).href;
  }

  async function request(spec: RegistryRequest): Promise<Response> {
    const { url: base, challengeHeader } = await endpoint();
    if (!authorizer.challenged && challengeHeader) authorizer.learn(challengeHeader);
    const url = resolve(spec.path, base);
    const go = (authorization: string | undefined): Promise<Response> => send({
      method: spec.method,
      url,
      headers: { ...spec.headers, ...(authorization ? { Authorization: authorization } : {}) },
      body: spec.body,
      idempotent: spec.idempotent,
      signal: spec.signal,
    }, transport);
    const sent = await authorizer.header(spec.scopes);
    const response = await go(sent);
    if (response.status !== 401) return response;
    // A stream body is gone once sent: a 401 there is reported, not retried (the token was fresh).
    if (spec.body !== undefined && typeof spec.body === 'object' && !Buffer.isBuffer(spec.body)) return response;
    const retry = await authorizer.retryHeader(response.headers.get('www-authenticate'), spec.scopes, sent);
    if (retry === undefined) return response;
    await discard(response);
    return go(retry);
  }

  const context: RequestContext = {
    domain,
    get repository() {
      return repo();
    },
    request,
    failure: failureOf,
    resolve,
  };

  function manifestPath(reference: string): string {
    if (!isDigest(reference) && !isValidTag(reference)) {
      throw new RegistryError(`invalid manifest reference "${reference}": expected a tag or a digest`, 'invalid');
    }
    return `/v2/${repo()}/manifests/${reference}`;
  }

  async function readBody(response: Response, limit: number, what: string): Promise<Buffer> {
    const declared = Number(response.headers.get('content-length'));
    if (declared > limit) {
      await discard(response);
      throw new RegistryError(`${what} from ${domain}/${repo()} is ${declared} bytes, more than the ${limit} a manifest may be`, 'protocol');
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > limit) {
          (response.body as unknown as Readable).destroy();
          throw new RegistryError(`${what} from ${domain}/${repo()} is more than the ${limit} bytes a manifest may be`, 'protocol');
        }
        chunks.push(chunk);
      }
    } catch (err) {
      throw errorForNetwork(err, host);
    }
    return Buffer.concat(chunks);
  }

  async function getManifest(reference: string, accept: readonly string[] = defaultManifestAccept): Promise<FetchedManifest> {
    const path = manifestPath(reference);
    const response = await request({ method: 'GET', path, headers: { Accept: accept.join(', ') }, scopes: [pullScope(repo())], idempotent: true });
    if (!response.ok) throw await failureOf(response, { what: 'manifest', reference, method: 'GET', url: path });
    const bytes = await readBody(response, maxManifestBytes, `the manifest ${reference}`);
    const name = `${domain}/${repo()}`;
    const header = response.headers.get('docker-content-digest');
    let digest: string;
    if (isDigest(reference)) {
      const algorithm = reference.slice(0, reference.indexOf(':'));
      const actual = digestOf(bytes, algorithm);
      if (actual !== reference) {
        throw new RegistryError(`digest mismatch for manifest ${name}@${reference}: the registry sent content with digest ${actual}; refusing it`, 'digest-mismatch');
      }
      digest = reference;
    } else {
      digest = digestOf(bytes);
      // The header is the registry's word for what the tag points at; content that disagrees was changed on the way.
      if (header && header.startsWith('sha256:') && header !== digest) {
        throw new RegistryError(`digest mismatch for manifest ${name}:${reference}: the registry says ${header} but the content received hashes to ${digest}; refusing it`, 'digest-mismatch');
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new RegistryError(`the manifest ${name}:${reference} is not valid JSON`, 'protocol');
    }
    return { digest, mediaType: manifestMediaType(json, response.headers.get('content-type')), size: bytes.length, bytes, json };
  }

  async function headManifest(reference: string, accept: readonly string[] = defaultManifestAccept): Promise<ManifestHead | undefined> {
    const path = manifestPath(reference);
    const response = await request({ method: 'HEAD', path, headers: { Accept: accept.join(', ') }, scopes: [pullScope(repo())], idempotent: true });
    if (response.status === 404) return undefined;
    if (!response.ok) throw await failureOf(response, { what: 'manifest', reference, method: 'HEAD', url: path });
    const digest = response.headers.get('docker-content-digest') ?? (isDigest(reference) ? reference : undefined);
    const type = response.headers.get('content-type')?.split(';')[0]?.trim();
    const length = Number(response.headers.get('content-length'));
    return { digest: digest ?? undefined, mediaType: type || undefined, size: Number.isFinite(length) && length > 0 ? length : undefined };
  }

  async function openBlob(digest: string, options: FetchBlobOptions): Promise<Readable> {
    const path = `/v2/${repo()}/blobs/${digest}`;
    const response = await request({ method: 'GET', path, scopes: [pullScope(repo())], idempotent: true, signal: options.signal });
    if (!response.ok) throw await failureOf(response, { what: 'blob', reference: digest, method: 'GET', url: path });
    const declared = response.headers.get('content-length');
    if (options.size !== undefined && declared !== null && Number(declared) !== options.size) {
      await discard(response);
      throw new RegistryError(`size mismatch for blob ${digest} from ${domain}/${repo()}: the registry offers ${declared} bytes where its descriptor gives ${options.size}`, 'digest-mismatch');
    }
    return response.body as unknown as Readable;
  }

  async function fetchBlob(digest: string, options: FetchBlobOptions = {}): Promise<Readable> {
    checkDigest(digest);
    const verifier = verifyingStream(digest, { size: options.size, source: `${domain}/${repo()}` });
    const policy = transport.retry!;
    let attempt = 1;
    let received = 0;
    let current: Readable = await openBlob(digest, options);
    let idle: NodeJS.Timeout | undefined;
    const armIdle = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        // A consumer that is slow to read (backpressure) is not a stalled registry.
        if (verifier.writableNeedDrain) armIdle();
        else current.destroy(Object.assign(new Error(`no data for ${idleTimeoutMs} ms`), { code: 'IDLE_TIMEOUT' }));
      }, idleTimeoutMs);
    };

    const attach = (body: Readable): void => {
      current = body;
      armIdle();
      body.on('data', (chunk: Buffer) => {
        received += chunk.length;
        armIdle();
      });
      body.pipe(verifier, { end: false });
      body.once('end', () => {
        clearTimeout(idle);
        verifier.end();
      });
      body.once('error', (err: Error) => {
        clearTimeout(idle);
        body.unpipe(verifier);
        if (verifier.destroyed) return;
        // Nothing has reached the consumer yet: asking again is safe without Range requests.
        if (received === 0 && attempt < policy.attempts && isTransientNetworkError(err)) {
          const wait = retryDelay(policy, attempt);
          attempt++;
          sleep(wait)
            .then(() => openBlob(digest, options))
            .then(attach, (next: unknown) => verifier.destroy(next as Error));
          return;
        }
        const cause = errorForNetwork(err, host);
        verifier.destroy(new RegistryError(
          `download of blob ${digest} from ${domain}/${repo()} broke off after ${received} bytes: ${cause.message}`,
          cause.reason, { transient: cause.transient, cause: err },
        ));
      });
    };
    attach(current);
    // A consumer that gives up (destroys the stream) must not leave the socket reading.
    verifier.once('close', () => {
      clearTimeout(idle);
      if (!current.destroyed) current.destroy();
    });
    return verifier;
  }

  async function fetchBlobBytes(digest: string, options: FetchBlobOptions = {}): Promise<Buffer> {
    const stream = await fetchBlob(digest, options);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async function hasBlob(digest: string): Promise<boolean> {
    checkDigest(digest);
    const path = `/v2/${repo()}/blobs/${digest}`;
    const response = await request({ method: 'HEAD', path, scopes: [pullScope(repo())], idempotent: true });
    if (response.status === 404) return false;
    if (!response.ok) throw await failureOf(response, { what: 'blob', reference: digest, method: 'HEAD', url: path });
    return true;
  }

  async function mountBlob(digest: string, fromRepository: string): Promise<boolean> {
    checkDigest(digest);
    const path = `/v2/${repo()}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepository)}`;
    const response = await request({ method: 'POST', path, scopes: [pushScope(repo()), pullScope(fromRepository)], idempotent: true, headers: { 'Content-Length': '0' } });
    if (response.status === 201) {
      await discard(response);
      return true;
    }
    if (response.status === 202) {
      // The registry could not mount (or may not, for us) and opened an ordinary upload instead: close it.
      const location = response.headers.get('location');
      await discard(response);
      if (location) {
        const cancel = await request({ method: 'DELETE', path: resolve(location, response.url), scopes: [pushScope(repo())], idempotent: true }).catch(() => undefined);
        if (cancel) await discard(cancel);
      }
      return false;
    }
    throw await failureOf(response, { what: 'upload', reference: digest, method: 'POST', url: path });
  }

  async function pushBlob(digest: string, size: number, openStream: () => Readable | Promise<Readable>, options: PushBlobOptions = {}): Promise<void> {
    checkDigest(digest);
    const policy = transport.retry!;
    for (let attempt = 1; ; attempt++) {
      try {
        await uploadBlob(context, digest, size, openStream, options);
        return;
      } catch (err) {
        if (attempt >= policy.attempts || !isTransientNetworkError(err)) throw err;
        await sleep(retryDelay(policy, attempt));
      }
    }
  }

  async function putManifest(reference: string, mediaType: string, bytes: Buffer): Promise<string> {
    const path = manifestPath(reference);
    const algorithm = isDigest(reference) ? reference.slice(0, reference.indexOf(':')) : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (isDigest(reference) && digest !== reference) {
      throw new RegistryError(`cannot push manifest as ${reference}: its content hashes to ${digest}`, 'digest-mismatch');
    }
    const response = await request({
      method: 'PUT', path, headers: { 'Content-Type': mediaType }, body: bytes, scopes: [pushScope(repo())], idempotent: true,
    });
    if (response.status !== 201 && response.status !== 200 && response.status !== 202) {
      throw await failureOf(response, { what: 'upload', reference, method: 'PUT', url: path });
    }
    const header = response.headers.get('docker-content-digest');
    await discard(response);
    if (header && header.startsWith(`${algorithm}:`) && header !== digest) {
      throw new RegistryError(`registry ${domain} stored manifest ${reference} of ${repo()} as ${header}, but it hashes to ${digest}`, 'digest-mismatch');
    }
    return digest;
  }

  async function listTags(options: { pageSize?: number } = {}): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repo()}/tags/list${options.pageSize ? `?n=${options.pageSize}` : ''}`;
    // A registry that keeps handing out `next` links must not keep us forever.
    for (let page = 0; path && page < 10_000; page++) {
      const response = await request({ method: 'GET', path, scopes: [pullScope(repo())], idempotent: true });
      if (!response.ok) throw await failureOf(response, { what: 'tags', method: 'GET', url: path });
      const body = (await response.json().catch(() => undefined)) as { tags?: unknown } | undefined;
      if (!body || (body.tags !== null && body.tags !== undefined && !Array.isArray(body.tags))) {
        throw new RegistryError(`the tag list of ${domain}/${repo()} is not valid JSON`, 'protocol');
      }
      for (const tag of (body.tags ?? []) as unknown[]) if (typeof tag === 'string') tags.push(tag);
      const next = nextLink(response.headers.get('link'));
      path = next ? resolve(next, response.url) : undefined;
    }
    return tags;
  }

  async function ping(): Promise<PingResult> {
    const found = await endpoint();
    return { url: found.url, challenges: parseWwwAuthenticate(found.challengeHeader) };
  }

  async function authenticate(): Promise<void> {
    const found = await endpoint();
    if (!found.challengeHeader) return; // the registry lets everyone in: nothing to prove
    authorizer.learn(found.challengeHeader);
    const header = await authorizer.header([]);
    if (header === undefined) {
      throw errorForStatus(401, 'Unauthorized', undefined, { domain, what: 'login', username: authorizer.username });
    }
    const response = await send({ method: 'GET', url: `${found.url}/v2/`, headers: { Authorization: header }, idempotent: true }, transport);
    if (response.ok) {
      await discard(response);
      return;
    }
    throw await failureOf(response, { what: 'login', method: 'GET', url: `${found.url}/v2/` });
  }

  return {
    domain,
    host,
    repository,
    ping,
    authenticate,
    getManifest,
    headManifest,
    fetchBlob,
    fetchBlobBytes,
    hasBlob,
    mountBlob,
    pushBlob,
    putManifest,
    listTags,
  };
}

/** The `next` target of a Link header: `</v2/x/tags/list?n=2&last=b>; rel="next"`. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?/i.test(m[2]!)) return m[1];
  }
  return undefined;
}
