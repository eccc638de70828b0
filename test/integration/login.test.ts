// skiff login / logout as a user runs them: checked against the real registries, credentials stored where Docker keeps them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnv } from '../lib/env';
import { newSession, type Session } from '../lib/skiff';

const E = loadEnv();
const b64 = (text: string): string => Buffer.from(text).toString('base64');

function dockerConfig(session: Session, dir = join(session.home, '.docker')): { auths?: Record<string, Record<string, string>>; [key: string]: unknown } {
  return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
}

test('login --password-stdin checks the password, stores it base64 in ~/.docker/config.json (0600) and says Login Succeeded', async () => {
  const s = newSession();
  const r = await s.skiff(['login', '-u', E.authUser, '--password-stdin', E.authRegistry], { input: `${E.authPassword}\n` });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'Login Succeeded\n');
  assert.match(r.stderr, `WARNING! Your credentials are stored unencrypted in '${join(s.home, '.docker', 'config.json')}'.`);
  const file = join(s.home, '.docker', 'config.json');
  assert.equal(dockerConfig(s).auths, { [E.authRegistry]: { auth: b64(`${E.authUser}:${E.authPassword}`) } });
  assert.is(statSync(file).mode & 0o777, 0o600);
  assert.is(statSync(file).uid, E.uid);
});

test('a wrong password fails with exit 1, a clear message, and stores nothing', async () => {
  const s = newSession();
  const r = await s.skiff(['login', '-u', E.authUser, '--password-stdin', E.authRegistry], { input: 'wrong-password\n' });
  assert.is(r.code, 1);
  assert.is(r.stdout, '');
  assert.is(r.stderr, `Error: login to ${E.authRegistry} failed: unauthorized: incorrect username or password for "${E.authUser}"\n`);
  assert.not.ok(existsSync(join(s.home, '.docker', 'config.json')));
});

test("-p works and prints Docker's warning; login without flags reuses stored credentials", async () => {
  const s = newSession();
  const r = await s.skiff(['login', '-u', E.authUser, '-p', E.authPassword, E.authRegistry]);
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stderr.startsWith('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n'), r.stderr);
  assert.match(r.stdout, /Login Succeeded\n$/);
  const again = await s.skiff(['login', E.authRegistry]);
  assert.is(again.code, 0, again.stderr);
  assert.is(again.stdout, `Authenticating with existing credentials... [Username: ${E.authUser}]\nLogin Succeeded\n`);
});

test('logout removes the credentials; a second logout says not logged in', async () => {
  const s = newSession();
  s.writeFile('home/.docker/config.json', JSON.stringify({ auths: { [E.authRegistry]: { auth: b64('a:b') }, 'other.example': { auth: b64('c:d') } }, currentContext: 'default' }), 0o600);
  const out = await s.skiff(['logout', E.authRegistry]);
  assert.is(out.code, 0, out.stderr);
  assert.is(out.stdout, `Removing login credentials for ${E.authRegistry}\n`);
  assert.equal(dockerConfig(s), { auths: { 'other.example': { auth: b64('c:d') } }, currentContext: 'default' });
  const again = await s.skiff(['logout', E.authRegistry]);
  assert.is(again.code, 0);
  assert.is(again.stdout, `Not logged in to ${E.authRegistry}\n`);
  const hub = await s.skiff(['logout']);
  assert.is(hub.stdout, 'Not logged in to https://index.docker.io/v1/\n');
});

test('$DOCKER_CONFIG and --config choose where credentials go', async () => {
  const s = newSession();
  const envDir = s.mkdir('docker-env', 0o700);
  const viaEnv = await s.skiff(['login', '-u', E.authUser, '--password-stdin', E.authRegistry], { input: E.authPassword, env: { DOCKER_CONFIG: envDir } });
  assert.is(viaEnv.code, 0, viaEnv.stderr);
  assert.ok(dockerConfig(s, envDir).auths?.[E.authRegistry]);
  const flagDir = s.mkdir('docker-flag', 0o700);
  const viaFlag = await s.skiff(['--config', flagDir, 'login', '-u', E.authUser, '--password-stdin', E.authRegistry], { input: E.authPassword });
  assert.is(viaFlag.code, 0, viaFlag.stderr);
  assert.ok(dockerConfig(s, flagDir).auths?.[E.authRegistry]);
  assert.not.ok(existsSync(join(s.home, '.docker', 'config.json')));
});

test('a credsStore helper gets the secret; config.json only records the login', async () => {
  const s = newSession();
  const store = s.mkdir('helper-store', 0o700);
  s.writeFile('bin/docker-credential-skifftest', `#!/bin/sh
# A credential helper keeping one file per server in ${store}.
key=$(if [ "$1" = store ]; then cat | tee "${store}/.in" | jq -r .ServerURL; else cat; fi | tr '/:' '__')
case "$1" in
  store) mv "${store}/.in" "${store}/$key" ;;
  get) [ -f "${store}/$key" ] || { echo "credentials not found in native keychain"; exit 1; }; cat "${store}/$key" ;;
  erase) [ -f "${store}/$key" ] || { echo "credentials not found in native keychain"; exit 1; }; rm "${store}/$key" ;;
esac
`, 0o755);
  s.writeFile('home/.docker/config.json', JSON.stringify({ credsStore: 'skifftest' }), 0o600);
  const env = { PATH: `${join(s.dir, 'bin')}:${s.environment().PATH}` };
  const r = await s.skiff(['login', '-u', E.authUser, '--password-stdin', E.authRegistry], { input: E.authPassword, env });
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, 'unencrypted');
  const key = E.authRegistry.replace(/[/:]/g, '_');
  assert.equal(JSON.parse(readFileSync(join(store, key), 'utf8')), { ServerURL: E.authRegistry, Username: E.authUser, Secret: E.authPassword });
  assert.equal(dockerConfig(s), { credsStore: 'skifftest', auths: { [E.authRegistry]: {} } });
  const again = await s.skiff(['login', E.authRegistry], { env });
  assert.is(again.code, 0, again.stderr);
  const out = await s.skiff(['logout', E.authRegistry], { env });
  assert.is(out.stdout, `Removing login credentials for ${E.authRegistry}\n`);
  assert.not.ok(existsSync(join(store, key)));
});

test('login to a registry without authentication succeeds (as Docker)', async () => {
  const s = newSession();
  const r = await s.skiff(['login', '-u', 'anyone', '--password-stdin', E.registry], { input: 'anything' });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'Login Succeeded');
});

test('usage problems and unreachable or non-TLS registries: exit 1 with the way out', async () => {
  const s = newSession();
  const noUser = await s.skiff(['login', '--password-stdin', E.authRegistry], { input: 'x' });
  assert.is(noUser.code, 1);
  assert.is(noUser.stderr, 'Error: Must provide --username with --password-stdin\n');
  const both = await s.skiff(['login', '-u', 'a', '-p', 'b', '--password-stdin', E.authRegistry], { input: 'x' });
  assert.is(both.code, 1);
  assert.match(both.stderr, 'Error: --password and --password-stdin are mutually exclusive');
  const noTty = await s.skiff(['login', E.authRegistry]);
  assert.is(noTty.code, 1);
  assert.is(noTty.stderr, 'Error: Cannot perform an interactive login from a non TTY device\n');
  const unreachable = await s.skiff(['login', '-u', 'a', '--password-stdin', '127.0.0.1:1'], { input: 'b' });
  assert.is(unreachable.code, 1);
  assert.is(unreachable.stderr, 'Error: cannot reach registry 127.0.0.1:1 (ECONNREFUSED); check the name, or that it is running\n');
  const strict = await s.skiff(['login', '--tls-verify', '-u', E.authUser, '--password-stdin', E.authRegistry], { input: E.authPassword });
  assert.is(strict.code, 1);
  assert.match(strict.stderr, `registry ${E.authRegistry} does not speak HTTPS`);
  assert.match(strict.stderr, '--tls-verify=false');
  const relaxed = await s.skiff(['login', '--tls-verify=false', '-u', E.authUser, '--password-stdin', E.authRegistry], { input: E.authPassword });
  assert.is(relaxed.code, 0, relaxed.stderr);
  assert.ok(dockerConfig(s).auths?.[E.authRegistry]);
});

test.run();
