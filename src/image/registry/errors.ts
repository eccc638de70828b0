// What registry failures look like to users: HTTP statuses, registry error bodies and network failures turned into messages that say the way out.
import { ExitCode, SkiffError } from '../../errors';

/** What went wrong, for callers that react differently (pull tries the next search registry on manifest-unknown). */
export type RegistryErrorReason =
  | 'unauthorized'
  | 'denied'
  | 'manifest-unknown'
  | 'blob-unknown'
  | 'name-unknown'
  | 'too-many-requests'
  | 'unreachable'
  | 'tls'
  | 'digest-mismatch'
  | 'server'
  | 'protocol'
  | 'invalid';

export interface RegistryErrorOptions {
  status?: number;
  /** True when trying again may work (5xx, a reset connection): whole-operation retries look at it. */
  transient?: boolean;
  exitCode?: number;
  cause?: unknown;
  /** The registry's own words (`manifest unknown: manifest unknown`), when it said any. */
  detail?: string;
}

/** A registry failure. Exit code 1 by default, as Docker's pull, push and login; run/create rewrap with 125. */
export class RegistryError extends SkiffError {
  readonly status?: number;
  readonly transient: boolean;
  readonly detail?: string;
  constructor(message: string, readonly reason: RegistryErrorReason, options: RegistryErrorOptions = {}) {
    super(message, options.exitCode ?? ExitCode.failure, { cause: options.cause });
    this.status = options.status;
    this.transient = options.transient ?? false;
    this.detail = options.detail;
  }
}

/** The distribution API's error body: `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`. */
export interface ErrorBody {
  errors?: Array<{ code?: string; message?: string; detail?: unknown }>;
  /** Docker Hub's token service says why a login failed here. */
  details?: string;
}

export function parseErrorBody(text: string): ErrorBody | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    return typeof body === 'object' && body !== null ? (body as ErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

/** Docker's rendering of a registry error: `manifest unknown: manifest unknown` (the code in words, then the message). */
export function describeErrorBody(body: ErrorBody | undefined): string | undefined {
  const first = body?.errors?.[0];
  if (first?.code) {
    const code = first.code.toLowerCase().replace(/_/g, ' ');
    return first.message ? `${code}: ${first.message}` : code;
  }
  return body?.details || undefined;
}

function hasCode(body: ErrorBody | undefined, code: string): boolean {
  return body?.errors?.some((e) => e.code === code) ?? false;
}

/** What a failed request was about, so that a status can be said in the domain's words. */
export interface FailureContext {
  /** The registry as references name it: `docker.io`, `127.0.0.1:5000`. */
  domain: string;
  repository?: string;
  what: 'ping' | 'login' | 'token' | 'manifest' | 'blob' | 'upload' | 'tags';
  /** The tag or digest asked for. */
  reference?: string;
  /** Set when credentials were sent: the message then says they were refused rather than missing. */
  username?: string;
  method?: string;
  url?: string;
}

/** `skiff login` or `skiff login HOST`: Docker Hub is the default server. */
export function loginCommand(domain: string): string {
  return domain === 'docker.io' ? 'skiff login' : `skiff login ${domain}`;
}

/** Maps a non-success HTTP status (after any auth retry) to the error a user sees. Pure. */
export function errorForStatus(status: number, statusText: string, body: ErrorBody | undefined, context: FailureContext): RegistryError {
  const said = describeErrorBody(body);
  const name = context.repository ? `${context.domain}/${context.repository}` : context.domain;
  const target = context.reference ? `${name}${context.reference.includes(':') ? '@' : ':'}${context.reference}` : name;
  const because = said ? ` (${said})` : '';

  if (status === 401) {
    // distribution's stock text says no more than the status; anything else (Hub's `incorrect username or password`) is worth showing.
    const because = said && said !== 'unauthorized: authentication required' ? ` (${said})` : '';
    if (context.username !== undefined) {
      return new RegistryError(
        `unauthorized: ${context.domain} refused the credentials of "${context.username}"${because}; check the username and password, then run: ${loginCommand(context.domain)}`,
        'unauthorized', { status, detail: said },
      );
    }
    return new RegistryError(
      `unauthorized: ${context.what === 'login' || context.what === 'ping' ? context.domain : name} requires authentication${because}; log in with: ${loginCommand(context.domain)}`,
      'unauthorized', { status, detail: said },
    );
  }
  if (status === 403) {
    return new RegistryError(`denied: ${said?.replace(/^denied: /, '') ?? 'requested access to the resource is denied'} (${name}${context.username !== undefined ? `, as "${context.username}"` : ''})`, 'denied', { status });
  }
  if (status === 404) {
    if (hasCode(body, 'NAME_UNKNOWN') || (context.what === 'tags' && !hasCode(body, 'MANIFEST_UNKNOWN'))) {
      return new RegistryError(`repository ${name} not found: ${said ?? 'name unknown: repository name not known to registry'}`, 'name-unknown', { status });
    }
    if (context.what === 'manifest') {
      return new RegistryError(`manifest for ${target} not found: ${said ?? 'manifest unknown: manifest unknown'}`, 'manifest-unknown', { status });
    }
    if (context.what === 'blob') {
      return new RegistryError(`blob ${context.reference ?? ''} not found in ${name}: ${said ?? 'blob unknown: blob unknown to registry'}`, 'blob-unknown', { status });
    }
    if (context.what === 'ping' || context.what === 'login') {
      return new RegistryError(`${context.domain} does not serve the registry API: GET /v2/ answered 404; check the registry name`, 'protocol', { status });
    }
    return new RegistryError(`${context.method ?? 'request'} ${context.url ?? name} answered 404 Not Found${because}`, 'protocol', { status });
  }
  if (status === 429) {
    return new RegistryError(`toomanyrequests: ${said?.replace(/^toomanyrequests: /, '') ?? `${context.domain} is limiting the request rate`}; wait and try again${context.username === undefined ? `, or log in (${loginCommand(context.domain)}) for a higher limit` : ''}`, 'too-many-requests', { status });
  }
  if (status === 400 && (hasCode(body, 'DIGEST_INVALID') || hasCode(body, 'SIZE_INVALID'))) {
    return new RegistryError(`registry ${context.domain} refused ${context.reference ?? 'the upload'} for ${name}: ${said}`, 'digest-mismatch', { status });
  }
  if (status >= 500) {
    return new RegistryError(`registry ${context.domain} failed: ${context.method ?? 'request'} ${context.url ?? name} answered ${status} ${statusText}${because}; try again later`, 'server', { status, transient: true });
  }
  return new RegistryError(`${context.what === 'upload' ? 'upload to' : 'request to'} ${name} failed: ${context.method ?? ''} ${context.url ?? ''} answered ${status} ${statusText}${because}`.replace(/ {2,}/g, ' '), 'protocol', { status });
}

/** Error codes of a connection that dropped: worth one more try. */
const resetCodes = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE', 'HEADERS_TIMEOUT', 'IDLE_TIMEOUT']);
/** Error codes of a host that is not there. */
const unreachableCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_FAIL', 'EAI_NONAME', 'EADDRNOTAVAIL']);
/** Certificate problems: the server is there and speaks TLS, but cannot be trusted as configured. */
const certificateCodes = /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET)|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH/;
/** TLS spoken to something that is not TLS, typically a plain-HTTP registry. */
const protocolCodes = /^(EPROTO|ERR_SSL_WRONG_VERSION_NUMBER|ERR_SSL_.*|ERR_TLS_.*)$/;

/** The errno-style code of a network failure, looking through node-fetch's FetchError and causes. */
export function networkCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True for failures where the same request may well work a moment later. */
export function isTransientNetworkError(err: unknown): boolean {
  if (err instanceof RegistryError) return err.transient;
  const code = networkCode(err);
  if (code && resetCodes.has(code)) return true;
  return /socket hang up|premature close|ECONNRESET/i.test(err instanceof Error ? err.message : String(err));
}

/** The reason part of node-fetch's `request to URL failed, reason: …`. */
function networkReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const m = /reason: (.*)$/s.exec(message);
  const reason = (m ? m[1]! : message).trim();
  // OpenSSL's `write EPROTO 80…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:…` → its last words.
  const ssl = /error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+)/.exec(reason);
  return ssl ? ssl[1]!.trim() : reason;
}

/** Maps a failure to connect or talk to `host` to the error a user sees. Pure. */
export function errorForNetwork(err: unknown, host: string, scheme: 'https' | 'http' = 'https'): RegistryError {
  if (err instanceof RegistryError) return err;
  const code = networkCode(err) ?? '';
  const reason = networkReason(err);
  if (unreachableCodes.has(code)) {
    return new RegistryError(`cannot reach registry ${host} (${code}); check the name, or that it is running`, 'unreachable', { cause: err });
  }
  if (certificateCodes.test(code) || /certificate/i.test(reason)) {
    return new RegistryError(
      `TLS certificate of registry ${host} is not trusted (${code || 'TLS'}: ${reason}); if it is yours and uses a self-signed certificate, pass --tls-verify=false or add "${host}" to "insecure-registries" in skiff's registries.json`,
      'tls', { cause: err },
    );
  }
  if (scheme === 'https' && (protocolCodes.test(code) || /wrong version number|packet length too long|unknown protocol/i.test(reason))) {
    return new RegistryError(
      `registry ${host} does not speak HTTPS (${code || 'TLS'}: ${reason}); if it serves plain HTTP, pass --tls-verify=false or add "${host}" to "insecure-registries" in skiff's registries.json`,
      'tls', { cause: err },
    );
  }
  if (code === 'HEADERS_TIMEOUT' || code === 'IDLE_TIMEOUT' || code === 'ETIMEDOUT') {
    return new RegistryError(`registry ${host} did not answer in time (${code}: ${reason}); check the network, or try again`, 'unreachable', { cause: err, transient: true });
  }
  if (resetCodes.has(code) || /socket hang up|premature close/i.test(reason)) {
    return new RegistryError(`connection to registry ${host} was lost (${code || reason}); try again`, 'unreachable', { cause: err, transient: true });
  }
  return new RegistryError(`cannot talk to registry ${host}: ${reason}${code && !reason.includes(code) ? ` (${code})` : ''}`, 'unreachable', { cause: err });
}
