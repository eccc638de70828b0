// Registry authentication: answers a 401 challenge with Basic credentials or a bearer token from the realm, caching tokens per scope for the process.
//
// The token protocol is Docker's (distribution's token auth spec): GET REALM?service=S&scope=… with
// Basic credentials when there are any, or, with an identity token, the OAuth2 POST with
// grant_type=refresh_token. Tokens live `expires_in` seconds (60 when unsaid, the spec's minimum).
import { createHash } from 'node:crypto';
import type { Credentials } from '../auth';
import { parseWwwAuthenticate, type Challenge } from './challenge';
import { describeErrorBody, errorForStatus, parseErrorBody, RegistryError } from './errors';
import { send, type TransportOptions } from './transport';

export interface AuthorizerOptions {
  domain: string;
  credentials?: Credentials;
  transport: TransportOptions;
}

export interface Authorizer {
  /** Learns the registry's challenge from a WWW-Authenticate header (of the ping, or of a 401). */
  learn(header: string | null): void;
  /** True once the registry has said it wants authentication. */
  readonly challenged: boolean;
  /** The Authorization header for a request needing `scopes`, when the challenge is known; undefined otherwise. */
  header(scopes: string[]): Promise<string | undefined>;
  /** After a 401: the header to try once more with, or undefined when another try cannot help. */
  retryHeader(wwwAuthenticate: string | null, scopes: string[], sent: string | undefined): Promise<string | undefined>;
  /** The user whose credentials are sent, for messages; undefined when anonymous. */
  readonly username?: string;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Tokens for the whole process, keyed by realm, service, scopes and identity. */
const tokenCache = new Map<string, CachedToken>();

/** Pull access to a repository, as the token service names it. */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

/**
 * Scopes as one sorted list: a challenge may name a scope we asked for already, and `pull,push` on
 * a repository includes `pull` on it.
 */
export function mergeScopes(scopes: string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  const other = new Set<string>();
  for (const scope of scopes.flatMap((s) => s.split(' ')).filter((s) => s !== '')) {
    const last = scope.lastIndexOf(':');
    const first = scope.indexOf(':');
    if (first === -1 || last === first) {
      other.add(scope);
      continue;
    }
    const resource = scope.slice(0, last);
    const actions = byResource.get(resource) ?? new Set<string>();
    for (const action of scope.slice(last + 1).split(',')) if (action) actions.add(action);
    byResource.set(resource, actions);
  }
  const merged = [...byResource].map(([resource, actions]) => `${resource}:${[...actions].sort().join(',')}`);
  return [...merged, ...other].sort();
}

export function createAuthorizer(options: AuthorizerOptions): Authorizer {
  const credentials = options.credentials;
  const username = credentials ? credentials.username ?? '<identity token>' : undefined;
  let challenge: Challenge | undefined;

  const identity = credentials === undefined
    ? 'anonymous'
    : createHash('sha256').update(JSON.stringify(credentials)).digest('hex').slice(0, 16);

  function choose(challenges: Challenge[]): Challenge | undefined {
    // Bearer first: it carries scopes; Basic where that is all the registry offers.
    return challenges.find((c) => c.scheme === 'bearer' && c.params.realm) ?? challenges.find((c) => c.scheme === 'basic');
  }

  function basicHeader(): string | undefined {
    if (!credentials || !('password' in credentials)) return undefined;
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }

  async function token(bearer: Challenge, scopes: string[], fresh: boolean): Promise<string> {
    const realm = bearer.params.realm!;
    const service = bearer.params.service ?? '';
    const key = [realm, service, scopes.join(' '), identity].join('\n');
    const cached = tokenCache.get(key);
    if (!fresh && cached && cached.expiresAt > Date.now()) return cached.token;
    tokenCache.delete(key);

    let url: URL;
    try {
      url = new URL(realm);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      throw new RegistryError(`registry ${options.domain} names an invalid token realm "${realm}"`, 'protocol');
    }
    let response;
    if (credentials && 'identitytoken' in credentials) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.identitytoken, service, client_id: 'skiff' });
      if (scopes.length > 0) form.set('scope', scopes.join(' '));
      response = await send({ method: 'POST', url: url.href, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString(), idempotent: true }, options.transport);
    } else {
      if (service) url.searchParams.set('service', service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      const headers: Record<string, string> = {};
      const basic = basicHeader();
      if (basic) {
        headers.Authorization = basic;
        url.searchParams.set('account', username!);
      }
      response = await send({ method: 'GET', url: url.href, headers, idempotent: true }, options.transport);
    }
    const text = await response.text();
    if (!response.ok) {
      const body = parseErrorBody(text);
      throw errorForStatus(response.status, response.statusText, body, {
        domain: options.domain, what: 'token', username, method: 'GET', url: `${url.origin}${url.pathname}`,
      });
    }
    const parsed = parseErrorBody(text);
    const body = parsed as { token?: string; access_token?: string; expires_in?: number } | undefined;
    const value = body?.token || body?.access_token;
    if (!value) {
      const said = describeErrorBody(parsed);
      throw new RegistryError(`the token service of ${options.domain} (${url.origin}${url.pathname}) answered without a token${said ? `: ${said}` : ''}`, 'protocol');
    }
    const lifetime = Math.max(60, Number(body?.expires_in) || 60) * 1000;
    // Renew a little early so that a token does not expire between being taken and being used.
    tokenCache.set(key, { token: value, expiresAt: Date.now() + lifetime - Math.min(10_000, lifetime / 10) });
    return value;
  }

  async function headerFor(chosen: Challenge | undefined, scopes: string[], fresh: boolean): Promise<string | undefined> {
    if (!chosen) return undefined;
    if (chosen.scheme === 'basic') return basicHeader();
    return `Bearer ${await token(chosen, mergeScopes(scopes), fresh)}`;
  }

  return {
    username,
    get challenged() {
      return challenge !== undefined;
    },
    learn(header) {
      const chosen = choose(parseWwwAuthenticate(header));
      if (chosen) challenge = chosen;
    },
    header(scopes) {
      return headerFor(challenge, scopes, false);
    },
    async retryHeader(wwwAuthenticate, scopes, sent) {
      const chosen = choose(parseWwwAuthenticate(wwwAuthenticate)) ?? challenge;
      if (!chosen) return undefined;
      challenge = chosen;
      if (chosen.scheme === 'basic') {
        const basic = basicHeader();
        // Sending the same credentials again cannot change the answer.
        return basic !== undefined && basic !== sent ? basic : undefined;
      }
      // The registry may ask for more than we did (its `scope` parameter); a token we sent was
      // refused, so fetch a fresh one rather than the cached one.
      const wanted = mergeScopes([...scopes, ...(chosen.params.scope ? [chosen.params.scope] : [])]);
      const next = await headerFor(chosen, wanted, sent !== undefined);
      return next !== sent ? next : undefined;
    },
  };
}

/** Forgets every cached token (tests; a login with new credentials). */
export function clearTokenCache(): void {
  tokenCache.clear();
}
