// The one HTTP client skiff talks to registries with: node-fetch, keep-alive agents, a headers timeout, and retries with backoff.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import type { RequestInit, Response } from 'node-fetch';
import { errorForNetwork, isTransientNetworkError } from './errors';

export type { Response } from 'node-fetch';

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

let fetchModule: Promise<Fetch> | undefined;

/** node-fetch 3 is ESM-only: loaded on first use (tsc turns this into require(), which Node 20.19+ allows; esbuild bundles it). */
function loadFetch(): Promise<Fetch> {
  fetchModule ??= import('node-fetch').then((m) => m.default as Fetch);
  return fetchModule;
}

// Keep-alive agents, one per TLS policy: a pull makes many requests to one host. Idle sockets are
// unref'd by Node, so they never keep a finished command alive.
const agents = {
  http: new HttpAgent({ keepAlive: true, maxSockets: 16 }),
  // Explicit: Node's default comes from NODE_TLS_REJECT_UNAUTHORIZED, and a developer's shell that
  // sets it to 0 must not turn certificate checks off without --tls-verify=false (Docker ignores it).
  httpsVerify: new HttpsAgent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: true }),
  httpsNoVerify: new HttpsAgent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false }),
};

export interface RetryPolicy {
  /** Tries in all, including the first. */
  attempts: number;
  /** Pause before the 2nd, 3rd… try; the last entry repeats. */
  delaysMs: number[];
}

export const defaultRetry: RetryPolicy = { attempts: 3, delaysMs: [200, 800] };

export interface TransportOptions {
  /** Verify certificates over HTTPS (false for insecure registries and --tls-verify=false). */
  tlsVerify: boolean;
  userAgent: string;
  retry?: RetryPolicy;
  /** How long to wait for response headers. */
  headersTimeoutMs?: number;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** A stream can be sent once: requests with one are never retried here. */
  body?: Buffer | string | Readable;
  /** Safe to send again after a 5xx or a dropped connection. */
  idempotent: boolean;
  /** Aborts the request, and the response body while it is read. */
  signal?: AbortSignal;
}

const retryStatuses = new Set([500, 502, 503, 504]);

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function retryDelay(policy: RetryPolicy, attempt: number): number {
  return policy.delaysMs[Math.min(attempt - 1, policy.delaysMs.length - 1)] ?? 0;
}

/** Reads and discards a body we will not use, so the socket goes back to the pool. */
export async function discard(response: Response): Promise<void> {
  try {
    await response.arrayBuffer();
  } catch {
    // A body that fails while being thrown away changes nothing.
  }
}

/**
 * Sends one request, retrying idempotent ones on 500/502/503/504 and on dropped connections, with
 * backoff. Any other HTTP status is returned as it is, for the caller to interpret; network failures
 * become RegistryErrors that name the host and the way out.
 */
export async function send(request: HttpRequest, options: TransportOptions): Promise<Response> {
  const fetch = await loadFetch();
  const policy = options.retry ?? defaultRetry;
  const attempts = request.idempotent && !isStream(request.body) ? Math.max(1, policy.attempts) : 1;
  const url = new URL(request.url);
  for (let attempt = 1; ; attempt++) {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), options.headersTimeoutMs ?? 30_000);
    const onAbort = (): void => timeout.abort();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: { 'User-Agent': options.userAgent, ...request.headers },
        body: request.body,
        agent: (target: URL) => (target.protocol === 'http:' ? agents.http : options.tlsVerify ? agents.httpsVerify : agents.httpsNoVerify),
        signal: timeout.signal,
        redirect: 'follow',
      });
      clearTimeout(timer);
      // The caller's signal keeps governing the body (its listener stays); our headers timer is done.
      if (retryStatuses.has(response.status) && attempt < attempts) {
        request.signal?.removeEventListener('abort', onAbort);
        await discard(response);
        await sleep(retryDelay(policy, attempt));
        continue;
      }
      return response;
    } catch (err) {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      if (request.signal?.aborted) throw err;
      const failure = timeout.signal.aborted ? Object.assign(new Error(`no response within ${options.headersTimeoutMs ?? 30_000} ms`), { code: 'HEADERS_TIMEOUT' }) : err;
      if (attempt < attempts && isTransientNetworkError(failure)) {
        await sleep(retryDelay(policy, attempt));
        continue;
      }
      throw errorForNetwork(failure, url.host, url.protocol === 'http:' ? 'http' : 'https');
    }
  }
}

function isStream(body: HttpRequest['body']): boolean {
  return typeof body === 'object' && body !== null && !Buffer.isBuffer(body);
}
