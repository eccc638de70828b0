// Docker-style (pflag) flag parsing; expected errors were checked against docker 28's CLI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ArgsDef } from 'citty';
import { parseArgv } from '../../../src/cli/argv';
import { UsageError } from '../../../src/errors';

const runArgs: ArgsDef = {
  detach: { type: 'boolean', alias: 'd' },
  interactive: { type: 'boolean', alias: 'i' },
  tty: { type: 'boolean', alias: 't' },
  env: { type: 'string', alias: 'e', valueHint: 'list' },
  publish: { type: 'string', alias: 'p', valueHint: 'list' },
  name: { type: 'string' },
  rm: { type: 'boolean' },
  time: { type: 'string', alias: 'n', valueHint: 'int', default: '10' },
};

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.instance(err, UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a usage error');
}

test('combined short booleans and glued values', () => {
  const r = parseArgv(['-it', '-p80:80', '-p=81:81', '-e', 'A=1', '--env=B=2', '--name', 'web', 'busybox'], runArgs);
  assert.equal(r.flags.interactive, true);
  assert.equal(r.flags.tty, true);
  assert.equal(r.flags.publish, ['80:80', '81:81']);
  assert.equal(r.flags.env, ['A=1', 'B=2']);
  assert.equal(r.flags.name, 'web');
  assert.equal(r.positionals, ['busybox']);
});

test('a value-taking short flag at the end of a cluster takes the next word', () => {
  const r = parseArgv(['-de', 'X=1', 'img'], runArgs);
  assert.equal(r.flags.detach, true);
  assert.equal(r.flags.env, ['X=1']);
  assert.equal(r.positionals, ['img']);
});

test('non-interspersed commands stop at the first positional', () => {
  const r = parseArgv(['--rm', 'busybox', 'ls', '-l', '--name', 'x'], runArgs, { interspersed: false });
  assert.equal(r.flags.rm, true);
  assert.equal(r.flags.name, undefined);
  assert.equal(r.positionals, ['busybox', 'ls', '-l', '--name', 'x']);
});

test('interspersed commands read flags after positionals; -- ends flags', () => {
  const r = parseArgv(['a', '--rm', 'b', '--', '--name', 'c'], runArgs);
  assert.equal(r.flags.rm, true);
  assert.equal(r.positionals, ['a', 'b', '--name', 'c']);
});

test('defaults, ints and booleans with values', () => {
  assert.equal(parseArgv([], runArgs).flags.time, 10);
  assert.equal(parseArgv(['-n', '-1'], runArgs).flags.time, -1);
  assert.equal(parseArgv(['--time=3'], runArgs).flags.time, 3);
  assert.equal(parseArgv(['--rm=false'], runArgs).flags.rm, false);
  assert.equal(parseArgv([], runArgs).flags.env, []);
});

test('help flags', () => {
  assert.ok(parseArgv(['--help'], runArgs).help);
  assert.ok(parseArgv(['-h'], runArgs).help);
});

test("errors read as docker's", () => {
  assert.is(errorOf(() => parseArgv(['--foo'], runArgs)), 'unknown flag: --foo');
  assert.is(errorOf(() => parseArgv(['-x'], runArgs)), "unknown shorthand flag: 'x' in -x");
  assert.is(errorOf(() => parseArgv(['-n'], runArgs)), "flag needs an argument: 'n' in -n");
  assert.is(errorOf(() => parseArgv(['--name'], runArgs)), 'flag needs an argument: --name');
  assert.is(
    errorOf(() => parseArgv(['-n', 'x'], runArgs)),
    'invalid argument "x" for "-n, --time" flag: strconv.ParseInt: parsing "x": invalid syntax',
  );
  assert.is(
    errorOf(() => parseArgv(['--rm=maybe'], runArgs)),
    'invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
  );
});

test.run();
