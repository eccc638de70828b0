// Image reference parsing and formatting, checked against what Docker 28.2.2's CLI printed for the same input.
//
// Valid forms: `docker pull REF` got past the CLI's parse (it printed `Using default tag: latest`
// or reached the registry), and the familiar names are what `docker images` listed after
// `docker tag base:1 REF` on a scratch daemon. Invalid forms: the CLI's message, quoted by each row.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SkiffError } from '../../../src/errors';
import {
  familiarName,
  familiarString,
  fullName,
  isShortName,
  isValidDomain,
  isValidTag,
  parseDigest,
  parseReference,
  ReferenceMessage,
  tagNameOnly,
  toString,
  type Reference,
} from '../../../src/image/reference';

const hex = '0123456789abcdef'.repeat(4);
const sha256 = `sha256:${hex}`;

// [typed, full reference, familiar reference (as `docker images` shows the repository, plus suffix)]
const valid: [string, string, string][] = [
  ['alpine', 'docker.io/library/alpine', 'alpine'], // docker images: alpine latest
  ['alpine:3.19', 'docker.io/library/alpine:3.19', 'alpine:3.19'], // docker images: alpine 3.19
  ['library/alpine', 'docker.io/library/alpine', 'alpine'],
  ['docker.io/alpine', 'docker.io/library/alpine', 'alpine'],
  ['docker.io/library/alpine', 'docker.io/library/alpine', 'alpine'],
  ['index.docker.io/alpine', 'docker.io/library/alpine', 'alpine'],
  ['index.docker.io/library/alpine', 'docker.io/library/alpine', 'alpine'],
  ['user/app', 'docker.io/user/app', 'user/app'], // docker images: user/app
  ['docker.io/user/app', 'docker.io/user/app', 'user/app'],
  ['library/a/b', 'docker.io/library/a/b', 'library/a/b'], // docker images: library/a/b (keeps library/)
  ['a/b/c/d', 'docker.io/a/b/c/d', 'a/b/c/d'],
  ['myreg:5000/x/y', 'myreg:5000/x/y', 'myreg:5000/x/y'], // docker images: myreg:5000/x/y
  ['myreg:5000/x/y:1.0', 'myreg:5000/x/y:1.0', 'myreg:5000/x/y:1.0'],
  ['localhost/foo', 'localhost/foo', 'localhost/foo'], // docker images: localhost/foo
  ['localhost:5000/foo', 'localhost:5000/foo', 'localhost:5000/foo'],
  ['localhost', 'docker.io/library/localhost', 'localhost'], // docker images: localhost latest
  ['localhost:5000', 'docker.io/library/localhost:5000', 'localhost:5000'], // docker images: localhost 5000 (a tag)
  ['127.0.0.1:5000/x', '127.0.0.1:5000/x', '127.0.0.1:5000/x'], // docker images: 127.0.0.1:5000/x
  ['example.com/foo:v1.2', 'example.com/foo:v1.2', 'example.com/foo:v1.2'],
  ['a.b', 'docker.io/library/a.b', 'a.b'], // pull: Using default tag: latest
  ['a__b', 'docker.io/library/a__b', 'a__b'], // docker images: a__b
  ['a--b', 'docker.io/library/a--b', 'a--b'], // docker images: a--b
  ['a_b.c-d', 'docker.io/library/a_b.c-d', 'a_b.c-d'],
  ['a:TAG', 'docker.io/library/a:TAG', 'a:TAG'], // docker images: a TAG (tags may be uppercase)
  ['a/b:TAG', 'docker.io/a/b:TAG', 'a/b:TAG'],
  ['a:_x.y-Z', 'docker.io/library/a:_x.y-Z', 'a:_x.y-Z'],
  [`a:${'t'.repeat(128)}`, `docker.io/library/a:${'t'.repeat(128)}`, `a:${'t'.repeat(128)}`], // pull: reached the registry
  ['Docker.io/a', 'Docker.io/a', 'Docker.io/a'], // docker images: Docker.io/a (not Docker Hub: case matters)
  ['EXAMPLE.com/a', 'EXAMPLE.com/a', 'EXAMPLE.com/a'], // pull: Get "https://EXAMPLE.com/v2/"
  ['Foo:5000/bar', 'Foo:5000/bar', 'Foo:5000/bar'], // pull: Get "https://Foo:5000/v2/"
  ['A/b', 'A/b', 'A/b'], // CLI 28 takes an uppercase first component for a host (the 20.10 daemon refuses it)
  ['[::1]:5000/a', '[::1]:5000/a', '[::1]:5000/a'], // CLI 28 accepts; the 20.10 daemon predates IPv6 hosts
  ['[::1]/a', '[::1]/a', '[::1]/a'],
  [`${hex}/a`, `docker.io/${hex}/a`, `${hex}/a`], // pull: Using default tag: latest
  [`a/${hex}`, `docker.io/a/${hex}`, `a/${hex}`],
  [`docker.io/${hex}`, `docker.io/library/${hex}`, hex],
  [`sha256:${hex}`, `docker.io/library/sha256:${hex}`, `sha256:${hex}`], // a repository "sha256" with a tag
  [`a@${sha256}`, `docker.io/library/a@${sha256}`, `a@${sha256}`],
  [`a:tag@${sha256}`, `docker.io/library/a:tag@${sha256}`, `a:tag@${sha256}`], // pull: reached the registry
  [`myreg:5000/x@${sha256}`, `myreg:5000/x@${sha256}`, `myreg:5000/x@${sha256}`],
  [`a@sha384:${hex}${hex.slice(0, 32)}`, `docker.io/library/a@sha384:${hex}${hex.slice(0, 32)}`, `a@sha384:${hex}${hex.slice(0, 32)}`],
  [`a@sha512:${hex}${hex}`, `docker.io/library/a@sha512:${hex}${hex}`, `a@sha512:${hex}${hex}`], // pull: reached the registry
  [`example.com/${'a'.repeat(250)}`, `example.com/${'a'.repeat(250)}`, `example.com/${'a'.repeat(250)}`], // CLI 28 limits the path only
  [`${'a'.repeat(247)}`, `docker.io/library/${'a'.repeat(247)}`, 'a'.repeat(247)], // library/ + 247 = 255
];

for (const [typed, full, familiar] of valid) {
  test(`parses ${typed.slice(0, 60)}`, () => {
    const reference = parseReference(typed);
    assert.is(toString(reference), full);
    assert.is(familiarString(reference), familiar);
    // Both forms parse back to the same reference.
    assert.equal(parseReference(full), reference);
    // Except for docker.io/<64 hex>: its familiar form is the bare hex, which Docker refuses as a name too.
    if (familiar !== hex) assert.equal(parseReference(familiar), reference);
  });
}

// [typed, Docker's message]
const invalid: [string, string][] = [
  ['Foo', 'invalid reference format: repository name (library/Foo) must be lowercase'], // docker pull Foo
  ['library/Alpine', 'invalid reference format: repository name (library/Alpine) must be lowercase'],
  ['a/B', 'invalid reference format: repository name (a/B) must be lowercase'],
  ['localhost/Foo', 'invalid reference format: repository name (Foo) must be lowercase'],
  ['localhost:5000/Foo', 'invalid reference format: repository name (Foo) must be lowercase'],
  ['a:b/C', 'invalid reference format: repository name (C) must be lowercase'],
  [`a@SHA256:${hex}`, 'invalid reference format: repository name (library/a@SHA256) must be lowercase'], // only the text before the first ":" counts
  ['A_b/c', 'repository name must be lowercase'], // "A_b" is taken for a host, which the grammar then rejects
  [hex, `invalid repository name (${hex}), cannot specify 64-byte hexadecimal strings`],
  ['', 'invalid reference format'],
  ['alpine:', 'invalid reference format'],
  [':tag', 'invalid reference format'],
  ['a//b', 'invalid reference format'],
  ['a/', 'invalid reference format'],
  ['/a', 'invalid reference format'],
  ['a-', 'invalid reference format'],
  ['a___b', 'invalid reference format'],
  ['a..b', 'invalid reference format'],
  ['a.-b', 'invalid reference format'],
  ['alpine:-x', 'invalid reference format'],
  ['alpine:.x', 'invalid reference format'],
  [`a:${'t'.repeat(129)}`, 'invalid reference format'],
  ['a:b:c', 'invalid reference format'],
  ['a:tag:tag2', 'invalid reference format'],
  ['a b', 'invalid reference format'],
  ['::1/a', 'invalid reference format'],
  ['ex.com:/a', 'invalid reference format'],
  ['ex.com:abc/a', 'invalid reference format'],
  ['ex.com/a:tag/B', 'invalid reference format'],
  ['a@sha256:abc', 'invalid reference format'], // hex shorter than 32
  ['a@sha256:', 'invalid reference format'],
  [`a@:${hex}`, 'invalid reference format'],
  ['a@sha256', 'invalid reference format'],
  [`a@${sha256}:tag`, 'invalid reference format'],
  [`a@${sha256}xx`, 'invalid reference format'],
  ['a\n', 'invalid reference format'],
  // Docker accepts this as a domain-less path and fails later with `Get "https:/v2/"`; skiff refuses it at once.
  ['ex_ample.com/a', 'invalid reference format'],
  [`a@sha256:${hex.toUpperCase()}`, 'invalid checksum digest format'],
  [`a:tag@SHA256:${hex}`, 'invalid checksum digest format'],
  [`a@sha256:${hex}0`, 'invalid checksum digest length'],
  [`a@sha512:${hex}`, 'invalid checksum digest length'],
  [`a@sha384:${hex}`, 'invalid checksum digest length'],
  ['a@md5:0123456789abcdef0123456789abcdef', 'unsupported digest algorithm'],
  [`a@foo+bar:${hex}`, 'unsupported digest algorithm'],
  ['a'.repeat(255), 'repository name must not be more than 255 characters'], // library/ makes it 263
  ['a'.repeat(256), 'repository name must not be more than 255 characters'],
  [`example.com/${'a'.repeat(256)}`, 'repository name must not be more than 255 characters'],
];

for (const [typed, message] of invalid) {
  test(`refuses ${JSON.stringify(typed.slice(0, 60))}`, () => {
    try {
      parseReference(typed);
    } catch (err) {
      assert.instance(err, SkiffError);
      assert.is((err as SkiffError).message, message);
      assert.is((err as SkiffError).exitCode, 125);
      return;
    }
    assert.unreachable(`parsed ${typed}`);
  });
}

test('the caller chooses the exit code: docker pull/create/tag exit 1, run exits 125', () => {
  try {
    parseReference('Foo', { exitCode: 1 });
    assert.unreachable();
  } catch (err) {
    assert.is((err as SkiffError).exitCode, 1);
  }
});

test('parsed fields', () => {
  assert.equal(parseReference('alpine'), { domain: 'docker.io', path: 'library/alpine' });
  assert.equal(parseReference(`localhost:5000/ns/name:tag@${sha256}`), { domain: 'localhost:5000', path: 'ns/name', tag: 'tag', digest: sha256 });
  assert.equal(parseReference(`a@${sha256}`), { domain: 'docker.io', path: 'library/a', digest: sha256 });
});

test('tagNameOnly adds latest only when there is neither tag nor digest', () => {
  assert.is(toString(tagNameOnly(parseReference('alpine'))), 'docker.io/library/alpine:latest');
  assert.is(familiarString(tagNameOnly(parseReference('alpine'))), 'alpine:latest');
  assert.is(toString(tagNameOnly(parseReference('alpine:3'))), 'docker.io/library/alpine:3');
  assert.is(toString(tagNameOnly(parseReference(`alpine@${sha256}`))), `docker.io/library/alpine@${sha256}`);
  const reference = parseReference('alpine');
  tagNameOnly(reference);
  assert.is(reference.tag, undefined, 'does not change its argument');
});

test('names', () => {
  const hub: Reference = { domain: 'docker.io', path: 'library/alpine', tag: '3' };
  assert.is(fullName(hub), 'docker.io/library/alpine');
  assert.is(familiarName(hub), 'alpine');
  assert.is(familiarName({ domain: 'docker.io', path: 'user/app' }), 'user/app');
  assert.is(familiarName({ domain: 'myreg:5000', path: 'library/x' }), 'myreg:5000/library/x');
  assert.is(familiarName({ domain: 'docker.io', path: 'library/a/b' }), 'library/a/b');
});

test('isShortName follows Docker\'s domain detection', () => {
  for (const name of ['alpine', 'alpine:3', 'user/app', 'library/alpine', 'localhost', 'localhost:5000', `a@${sha256}`]) {
    assert.ok(isShortName(name), name);
  }
  for (const name of ['docker.io/alpine', 'index.docker.io/alpine', 'localhost/x', 'myreg:5000/x', 'example.com/x', 'A/b', '[::1]:5000/a']) {
    assert.not.ok(isShortName(name), name);
  }
});

test('parseDigest', () => {
  assert.is(parseDigest(sha256), sha256);
  assert.throws(() => parseDigest(hex), (err: Error) => err.message === ReferenceMessage.digestFormat);
  assert.throws(() => parseDigest('sha256:abc'), (err: Error) => err.message === ReferenceMessage.digestFormat);
  assert.throws(() => parseDigest(`sha256:${hex}0`), (err: Error) => err.message === ReferenceMessage.digestLength);
  assert.throws(() => parseDigest(`md5:${hex}`), (err: Error) => err.message === ReferenceMessage.digestUnsupported);
});

test('isValidTag and isValidDomain', () => {
  assert.ok(isValidTag('latest'));
  assert.ok(isValidTag('_'));
  assert.not.ok(isValidTag('-x'));
  assert.not.ok(isValidTag('t'.repeat(129)));
  assert.ok(isValidDomain('docker.io'));
  assert.ok(isValidDomain('myreg:5000'));
  assert.ok(isValidDomain('[::1]:5000'));
  assert.not.ok(isValidDomain('https://myreg'));
  assert.not.ok(isValidDomain('myreg/x'));
  assert.not.ok(isValidDomain('-myreg'));
});

test.run();
