// Registry configuration: loading registries.json, short-name candidates, insecure registries and endpoint order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SkiffError } from '../../../src/errors';
import { toString } from '../../../src/image/reference';
import {
  candidates,
  defaultRegistriesConfig,
  endpoints,
  isInsecure,
  loadRegistriesConfig,
  parseRegistriesConfig,
  registryHost,
  schemes,
  verifiesTls,
  type RegistriesConfig,
} from '../../../src/image/registries';

let dir = '';
test.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'skiff-registries-')); });
test.after.each(() => { rmSync(dir, { recursive: true, force: true }); });

const config = (overrides: Partial<RegistriesConfig> = {}): RegistriesConfig => ({ ...defaultRegistriesConfig(), ...overrides });

function problem(text: string): string {
  try {
    parseRegistriesConfig(text, '/cfg/registries.json');
  } catch (err) {
    assert.instance(err, SkiffError);
    return (err as Error).message;
  }
  assert.unreachable(`accepted ${text}`);
  return '';
}

test('a missing file means Docker\'s defaults', async () => {
  assert.equal(await loadRegistriesConfig(dir), { unqualifiedSearchRegistries: ['docker.io'], insecureRegistries: [], mirrors: {} });
  assert.equal(await loadRegistriesConfig(join(dir, 'nope')), defaultRegistriesConfig());
});

test('loads and normalises a full file', async () => {
  writeFileSync(join(dir, 'registries.json'), JSON.stringify({
    'unqualified-search-registries': ['index.docker.io', 'quay.io', 'docker.io'],
    'insecure-registries': ['myreg:5000', '10.0.0.0/8', 'fd00::/8'],
    mirrors: { 'docker.io': ['https://mirror.example/', 'http://10.1.1.1:5000'], 'quay.io': ['https://q.example:8443'] },
  }));
  assert.equal(await loadRegistriesConfig(dir), {
    unqualifiedSearchRegistries: ['docker.io', 'quay.io'],
    insecureRegistries: ['myreg:5000', '10.0.0.0/8', 'fd00::/8'],
    mirrors: { 'docker.io': ['https://mirror.example', 'http://10.1.1.1:5000'], 'quay.io': ['https://q.example:8443'] },
  });
});

test('a partial file keeps the defaults for the rest', () => {
  assert.equal(parseRegistriesConfig('{"insecure-registries": ["r:1"]}', 'f'), config({ insecureRegistries: ['r:1'] }));
  assert.equal(parseRegistriesConfig('{}', 'f'), defaultRegistriesConfig());
});

test('an unreadable file is an error naming it', async () => {
  if (process.getuid?.() === 0) return; // root reads anything
  const file = join(dir, 'registries.json');
  writeFileSync(file, '{}');
  chmodSync(file, 0);
  try {
    await loadRegistriesConfig(dir);
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, `cannot read registry configuration ${file}`);
  }
});

test('a malformed file names the file and the problem', async () => {
  writeFileSync(join(dir, 'registries.json'), '{"insecure-registries": [');
  try {
    await loadRegistriesConfig(dir);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, SkiffError);
    assert.match((err as Error).message, `invalid registry configuration ${join(dir, 'registries.json')}: not valid JSON (`);
  }
  const prefix = 'invalid registry configuration /cfg/registries.json: ';
  assert.is(problem('[]'), `${prefix}the top level must be a JSON object`);
  assert.is(problem('{"insecure-registries": "myreg:5000"}'), `${prefix}"insecure-registries" must be an array of strings`);
  assert.is(problem('{"unqualified-search-registries": [1]}'), `${prefix}"unqualified-search-registries" must be an array of strings`);
  assert.is(problem('{"unqualified-search-registries": ["docker.io", "quay.io/x"]}'), `${prefix}"unqualified-search-registries"[1]: "quay.io/x" is not a registry host[:port]`);
  assert.is(problem('{"insecure-registries": ["http://myreg:5000"]}'), `${prefix}"insecure-registries"[0]: "http://myreg:5000" must be host[:port] or a CIDR, without a scheme`);
  assert.is(problem('{"insecure-registries": ["10.0.0.0/33"]}'), `${prefix}"insecure-registries"[0]: "10.0.0.0/33" is not a valid CIDR`);
  assert.is(problem('{"insecure-registries": ["myreg/8"]}'), `${prefix}"insecure-registries"[0]: "myreg/8" is not a valid CIDR`);
  assert.is(problem('{"mirrors": ["https://m"]}'), `${prefix}"mirrors" must be an object from registry to an array of mirror URLs`);
  assert.is(problem('{"mirrors": {"docker.io": "https://m"}}'), `${prefix}mirrors["docker.io"] must be an array of URL strings`);
  assert.is(problem('{"mirrors": {"docker.io": ["mirror.example"]}}'), `${prefix}mirrors["docker.io"][0]: "mirror.example" is not a URL (write it as https://host[:port])`);
  assert.is(problem('{"mirrors": {"docker.io": ["ftp://m"]}}'), `${prefix}mirrors["docker.io"][0]: "ftp://m" must use https:// or http://`);
  assert.is(problem('{"mirrors": {"docker.io": ["https://u:p@m"]}}'), `${prefix}mirrors["docker.io"][0]: "https://u:p@m" must not carry credentials; skiff login stores them`);
  assert.is(problem('{"mirrors": {"docker.io": ["https://m/v2"]}}'), `${prefix}mirrors["docker.io"][0]: "https://m/v2" must be a registry root, without path, query or fragment`);
  assert.is(problem('{"mirrors": {"not a host": []}}'), `${prefix}"mirrors" key: "not a host" is not a registry host[:port]`);
  assert.match(problem('{"registry-mirrors": ["https://m"]}'), '"registry-mirrors" is Docker\'s daemon.json key; write mirrors per registry: "mirrors": { "docker.io": [');
  assert.is(problem('{"insecure-registry": []}'), `${prefix}unknown key "insecure-registry" (known: "unqualified-search-registries", "insecure-registries", "mirrors")`);
});

test('candidates: a short name resolves through each search registry, only Docker Hub adds library/', () => {
  const search = config({ unqualifiedSearchRegistries: ['docker.io', 'quay.io', 'myreg:5000'] });
  const names = (text: string, c = search) => candidates(text, c).map(toString);
  assert.equal(names('alpine'), ['docker.io/library/alpine', 'quay.io/alpine', 'myreg:5000/alpine']);
  assert.equal(names('alpine:3'), ['docker.io/library/alpine:3', 'quay.io/alpine:3', 'myreg:5000/alpine:3']);
  assert.equal(names('user/app'), ['docker.io/user/app', 'quay.io/user/app', 'myreg:5000/user/app']);
  assert.equal(names('library/alpine'), ['docker.io/library/alpine', 'quay.io/library/alpine', 'myreg:5000/library/alpine']);
  assert.equal(names('quay.io/alpine'), ['quay.io/alpine']);
  assert.equal(names('docker.io/alpine'), ['docker.io/library/alpine']);
  assert.equal(names('localhost/x'), ['localhost/x']);
  assert.equal(names('alpine', config()), ['docker.io/library/alpine']);
  assert.equal(names('alpine', config({ unqualifiedSearchRegistries: ['quay.io'] })), ['quay.io/alpine']);
});

test('candidates: parse errors are Docker\'s for the text as typed; an empty search list is explained', () => {
  assert.throws(() => candidates('Foo', config()), (err: Error) => err.message === 'invalid reference format: repository name (library/Foo) must be lowercase');
  try {
    candidates('alpine', config({ unqualifiedSearchRegistries: [] }), { exitCode: 1 });
    assert.unreachable();
  } catch (err) {
    assert.is((err as SkiffError).exitCode, 1);
    assert.is((err as Error).message, 'cannot resolve short name "alpine": "unqualified-search-registries" in registries.json is empty; name the registry, e.g. docker.io/alpine');
  }
});

test('registryHost maps Docker Hub to its API host', () => {
  assert.is(registryHost('docker.io'), 'registry-1.docker.io');
  assert.is(registryHost('quay.io'), 'quay.io');
  assert.is(registryHost('localhost:5000'), 'localhost:5000');
});

test('isInsecure: loopback and listed registries, Docker Hub never, --tls-verify decides when given', () => {
  const c = config({ insecureRegistries: ['myreg:5000', '10.0.0.0/8', 'fd00::/8'] });
  for (const host of ['localhost', 'localhost:5000', 'LOCALHOST:5000', '127.0.0.1', '127.0.0.1:5000', '127.8.9.10:443', '[::1]', '[::1]:5000',
    'myreg:5000', '10.1.2.3:5000', '10.0.0.1', '[fd00::1]:5000']) {
    assert.ok(isInsecure(host, c), host);
  }
  for (const host of ['docker.io', 'registry-1.docker.io', 'quay.io', 'myreg', 'myreg:5001', '128.0.0.1:5000', '11.0.0.1', '[::2]:5000',
    'localhost.example.com', '[fe80::1]']) {
    assert.not.ok(isInsecure(host, c), host);
  }
  assert.ok(isInsecure('quay.io', c, false), '--tls-verify=false');
  assert.ok(isInsecure('docker.io', c, false), '--tls-verify=false applies to Docker Hub too');
  assert.not.ok(isInsecure('localhost:5000', c, true), '--tls-verify=true overrides the loopback default');
  assert.not.ok(isInsecure('myreg:5000', c, true));
  assert.not.ok(isInsecure('docker.io', config({ insecureRegistries: ['docker.io'] })), 'Docker keeps Docker Hub secure');
});

test('schemes: HTTPS first, HTTP only as the insecure fallback', () => {
  const c = config({ insecureRegistries: ['myreg:5000'] });
  assert.equal(schemes('quay.io', c), ['https']);
  assert.equal(schemes('myreg:5000', c), ['https', 'http']);
  assert.equal(schemes('localhost:5000', c), ['https', 'http']);
  assert.equal(schemes('localhost:5000', c, true), ['https']);
  assert.equal(schemes('quay.io', c, false), ['https', 'http']);
  assert.ok(verifiesTls('quay.io', c));
  assert.not.ok(verifiesTls('myreg:5000', c));
});

test('endpoints: mirrors first for pulls only, then the registry by scheme', () => {
  const c = config({
    insecureRegistries: ['10.0.0.0/8'],
    mirrors: { 'docker.io': ['https://mirror.example', 'https://10.1.1.1:5000', 'http://10.2.2.2'] },
  });
  assert.equal(endpoints('docker.io', c, { purpose: 'pull' }), [
    { url: 'https://mirror.example', tlsVerify: true, mirror: true },
    { url: 'https://10.1.1.1:5000', tlsVerify: false, mirror: true },
    { url: 'http://10.2.2.2', tlsVerify: false, mirror: true },
    { url: 'https://registry-1.docker.io', tlsVerify: true, mirror: false },
  ]);
  assert.equal(endpoints('docker.io', c, { purpose: 'push' }), [{ url: 'https://registry-1.docker.io', tlsVerify: true, mirror: false }]);
  assert.equal(endpoints('localhost:5000', c, { purpose: 'pull' }), [
    { url: 'https://localhost:5000', tlsVerify: false, mirror: false },
    { url: 'http://localhost:5000', tlsVerify: false, mirror: false },
  ]);
  assert.equal(endpoints('quay.io', c, { purpose: 'pull', tlsVerify: false }), [
    { url: 'https://quay.io', tlsVerify: false, mirror: false },
    { url: 'http://quay.io', tlsVerify: false, mirror: false },
  ]);
});

test.run();
