// Registry credentials where Docker and Podman keep them: ~/.docker/config.json (auths, credsStore, credHelpers) and Podman's auth.json.
//
// Lookup order, Docker's first: the credential helper named for the host in `credHelpers`, else
// the one named by `credsStore`, else `auths` in config.json; then, when Docker's config has
// nothing for the host, Podman's `$REGISTRY_AUTH_FILE` or `$XDG_RUNTIME_DIR/containers/auth.json`.
// Writes go where Docker writes: the helper when one is configured, else `auths` in config.json.
// Docker Hub is keyed `https://index.docker.io/v1/` in Docker's file and `docker.io` in Podman's.
import { spawn } from 'node:child_process';
import { mkdir, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ExitCode, SkiffError } from '../errors';
import { readJson, writeFileAtomic } from '../storage/atomic';

/** A username and password, or an OAuth identity (refresh) token as Docker Hub's SSO logins leave. */
export type Credentials =
  | { username: string; password: string }
  | { identitytoken: string; username?: string };

export interface FoundCredentials {
  credentials: Credentials;
  /** Where they came from, for messages: a file, or `docker-credential-pass`. */
  source: string;
}

/** Docker's config.json, the parts skiff reads; every other key is kept as it is on write. */
interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  [key: string]: unknown;
}

type Env = NodeJS.ProcessEnv;

/** Docker Hub's key in config.json and for credential helpers. */
export const dockerHubKey = 'https://index.docker.io/v1/';
const dockerHubNames = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** `$DOCKER_CONFIG` (which `--config` sets), else `~/.docker`. */
export function dockerConfigDir(env: Env = process.env): string {
  return env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
}

export function dockerConfigFile(env: Env = process.env): string {
  return join(dockerConfigDir(env), 'config.json');
}

/** Podman's auth file: `$REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`. */
export function podmanAuthFile(env: Env = process.env): string | undefined {
  if (env.REGISTRY_AUTH_FILE) return env.REGISTRY_AUTH_FILE;
  return env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json') : undefined;
}

/**
 * A server as `login` and config keys may write it, reduced to the registry host as Docker's
 * ConvertToHostname does: `https://myreg:5000/v1/` → myreg:5000. Docker Hub's names all become docker.io.
 */
export function registryName(server: string): string {
  let host = server.trim().replace(/^[a-z]+:\/\//i, '');
  const slash = host.indexOf('/');
  if (slash !== -1) host = host.slice(0, slash);
  host = host.toLowerCase();
  return dockerHubNames.has(host) ? 'docker.io' : host;
}

/** The key Docker files a registry's credentials under: Docker Hub's URL, or the host[:port]. */
export function credentialKey(registry: string): string {
  const name = registryName(registry);
  return name === 'docker.io' ? dockerHubKey : name;
}

/** The credentials for a registry (`docker.io`, `registry-1.docker.io`, `127.0.0.1:5001`), or undefined when there are none. */
export async function loadCredentials(registry: string, env: Env = process.env): Promise<Credentials | undefined> {
  return (await findCredentials(registry, env))?.credentials;
}

/** loadCredentials, saying where they were found. */
export async function findCredentials(registry: string, env: Env = process.env): Promise<FoundCredentials | undefined> {
  const name = registryName(registry);
  const key = credentialKey(name);
  const file = dockerConfigFile(env);
  const config = await readConfig(file);
  const helper = helperFor(config, name);
  if (helper) {
    const fromHelper = await helperGet(helper, key, file, env);
    if (fromHelper) return { credentials: fromHelper, source: `docker-credential-${helper}` };
  } else {
    const entry = findEntry(config.auths, name, true);
    const credentials = entry && decodeEntry(entry, file);
    if (credentials) return { credentials, source: file };
  }
  const podman = podmanAuthFile(env);
  if (podman) {
    const entry = findEntry((await readConfig(podman)).auths, name, false);
    const credentials = entry && decodeEntry(entry, podman);
    if (credentials) return { credentials, source: podman };
  }
  return undefined;
}

export interface SaveResult {
  /** The config file written (also with a helper: Docker records the login there without secrets). */
  file: string;
  /** The helper that holds the secret, when one is configured. */
  helper?: string;
  /** True when the password sits base64-encoded in the file: Docker warns about that. */
  plaintext: boolean;
}

/** Stores a login the way Docker does: through the configured helper, else base64 in config.json (mode 0600). */
export async function saveCredentials(registry: string, username: string, password: string, env: Env = process.env): Promise<SaveResult> {
  const name = registryName(registry);
  const key = credentialKey(name);
  const file = await resolvedConfigFile(env);
  const config = await readConfig(file);
  const helper = helperFor(config, name);
  const auths = { ...(config.auths ?? {}) };
  for (const k of matchingKeys(auths, name)) delete auths[k];
  if (helper) {
    await runHelper(helper, 'store', JSON.stringify({ ServerURL: key, Username: username, Secret: password }), file, env);
    auths[key] = {};
  } else {
    auths[key] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  }
  await writeConfig(file, { ...config, auths });
  return { file, helper, plaintext: !helper };
}

/**
 * Forgets a login: the helper's entry and every config.json key naming the host. False when there
 * was nothing to forget (Docker then says `Not logged in to HOST`). Podman's file is Podman's:
 * `podman logout` edits it.
 */
export async function removeCredentials(registry: string, env: Env = process.env): Promise<boolean> {
  const name = registryName(registry);
  const key = credentialKey(name);
  const file = await resolvedConfigFile(env);
  const config = await readConfig(file);
  const helper = helperFor(config, name);
  const keys = matchingKeys(config.auths ?? {}, name);
  let removed = false;
  if (helper) removed = await helperErase(helper, key, file, env);
  if (keys.length > 0) {
    const auths = { ...config.auths };
    for (const k of keys) delete auths[k];
    await writeConfig(file, { ...config, auths });
    removed = true;
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------
// config.json
// ---------------------------------------------------------------------------------------------

async function readConfig(file: string): Promise<DockerConfig> {
  const value = await readJson<unknown>(file);
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new SkiffError(`${file} is not a JSON object; fix or move it away`, ExitCode.failure);
  return value as DockerConfig;
}

/** The real file behind a symlinked config.json, so that a rewrite keeps the link (dotfile managers make them). */
async function resolvedConfigFile(env: Env): Promise<string> {
  const file = dockerConfigFile(env);
  try {
    return await realpath(file);
  } catch {
    return file;
  }
}

async function writeConfig(file: string, config: DockerConfig): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  // Docker's layout (tab-indented), so that diffs against a file Docker wrote stay small.
  await writeFileAtomic(file, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
}

function helperFor(config: DockerConfig, name: string): string | undefined {
  const helpers = config.credHelpers ?? {};
  for (const [host, helper] of Object.entries(helpers)) {
    if (registryName(host) === name && helper) return helper;
  }
  return config.credsStore || undefined;
}

/** Keys of `auths` that name the host: the exact key, `http(s)://host`, `host/v1/`, Docker Hub's aliases. */
function matchingKeys(auths: Record<string, AuthEntry>, name: string): string[] {
  return Object.keys(auths).filter((k) => registryName(k) === name);
}

/**
 * The entry for a host. Docker's file is matched by host whatever the key's scheme or path; in
 * Podman's, a key with a path names one namespace (`quay.io/org`), so only bare hosts match here.
 */
function findEntry(auths: Record<string, AuthEntry> | undefined, name: string, docker: boolean): AuthEntry | undefined {
  if (!auths) return undefined;
  const exact = auths[credentialKey(name)] ?? auths[name];
  if (exact) return exact;
  for (const [key, entry] of Object.entries(auths)) {
    const bare = key.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
    if (!docker && bare.includes('/')) continue;
    if (registryName(key) === name) return entry;
  }
  return undefined;
}

function decodeEntry(entry: AuthEntry, file: string): Credentials | undefined {
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
    const user = typeof entry.auth === 'string' && entry.auth ? decodeAuth(entry.auth, file).username : entry.username;
    return user ? { identitytoken: entry.identitytoken, username: user } : { identitytoken: entry.identitytoken };
  }
  if (typeof entry.auth === 'string' && entry.auth !== '') return decodeAuth(entry.auth, file);
  if (typeof entry.username === 'string' && typeof entry.password === 'string' && entry.username !== '') {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}

function decodeAuth(auth: string, file: string): { username: string; password: string } {
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) throw new SkiffError(`an "auth" entry in ${file} is not base64 of "username:password"; log in again or remove it`, ExitCode.failure);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

// ---------------------------------------------------------------------------------------------
// docker-credential-* helpers: `get`/`erase` read the server URL on stdin, `store` a JSON object.
// ---------------------------------------------------------------------------------------------

const notFound = /credentials not found/i;

async function helperGet(helper: string, key: string, file: string, env: Env): Promise<Credentials | undefined> {
  const result = await runHelper(helper, 'get', key, file, env, true);
  if (result === undefined) return undefined;
  let value: { Username?: unknown; Secret?: unknown };
  try {
    value = JSON.parse(result) as typeof value;
  } catch {
    throw new SkiffError(`docker-credential-${helper} get printed something that is not JSON; check the helper`, ExitCode.failure);
  }
  const username = typeof value.Username === 'string' ? value.Username : '';
  const secret = typeof value.Secret === 'string' ? value.Secret : '';
  if (secret === '') return undefined;
  // Docker's convention: the user name `<token>` means the secret is an identity token.
  return username === '<token>' ? { identitytoken: secret } : { username, password: secret };
}

async function helperErase(helper: string, key: string, file: string, env: Env): Promise<boolean> {
  return (await runHelper(helper, 'erase', key, file, env, true)) !== undefined;
}

/** Runs `docker-credential-HELPER ACTION`; undefined when it says the credentials are not there (and that is allowed). */
function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string, file: string, env: Env, allowNotFound = false): Promise<string | undefined> {
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, [action], { stdio: ['pipe', 'pipe', 'pipe'], env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT'
        ? new SkiffError(`${program} is not installed or not in PATH; ${file} names "${helper}" as credential helper: install it, or remove it from "credsStore"/"credHelpers"`, ExitCode.failure)
        : new SkiffError(`cannot run ${program}: ${error.message}`, ExitCode.failure));
    });
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8').trim();
      const stderr = Buffer.concat(err).toString('utf8').trim();
      if (code === 0) resolve(stdout);
      else if (allowNotFound && notFound.test(`${stdout} ${stderr}`)) resolve(undefined);
      else reject(new SkiffError(`${program} ${action} failed (exit ${code}): ${stderr || stdout || 'no message'}`, ExitCode.failure));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
