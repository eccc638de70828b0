// Help layout and the command tree; expected text was printed by docker 28's CLI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ArgsDef } from 'citty';
import { renderFlags, checkArgCount, ArgCountError } from '../../../src/cli/command';
import { commandTree } from '../../../src/cli/tree';

const repo = resolve(__dirname, '..', '..', '..', '..');

test("option table matches docker ps --help's layout and wrapping", () => {
  const psArgs: ArgsDef = {
    all: { type: 'boolean', alias: 'a', description: 'Show all containers (default shows just running)' },
    filter: { type: 'string', alias: 'f', valueHint: 'filter', description: 'Filter output based on conditions provided' },
    format: { type: 'string', description: 'Format output using a custom template' },
    last: { type: 'string', alias: 'n', valueHint: 'int', default: '-1', description: 'Show n last created containers (includes all states)' },
    latest: { type: 'boolean', alias: 'l', description: 'Show the latest created container (includes all states)' },
    'no-trunc': { type: 'boolean', description: "Don't truncate output" },
    quiet: { type: 'boolean', alias: 'q', description: 'Only display container IDs' },
    size: { type: 'boolean', alias: 's', description: 'Display total file sizes' },
  };
  const expected = [
    '  -a, --all             Show all containers (default shows just running)',
    '  -f, --filter filter   Filter output based on conditions provided',
    '      --format string   Format output using a custom template',
    '  -n, --last int        Show n last created containers (includes all',
    '                        states) (default -1)',
    '  -l, --latest          Show the latest created container (includes all',
    '                        states)',
    "      --no-trunc        Don't truncate output",
    '  -q, --quiet           Only display container IDs',
    '  -s, --size            Display total file sizes',
  ].join('\n');
  assert.fixture(renderFlags(psArgs), expected);
});

test("argument count errors use docker's words and exit 1", () => {
  const impl = { minArgs: 1, run: async () => undefined };
  try {
    checkArgCount(['rm'], impl, 0);
    assert.unreachable();
  } catch (err) {
    assert.instance(err, ArgCountError);
    assert.is((err as ArgCountError).message, "'skiff rm' requires at least 1 argument");
    assert.is((err as ArgCountError).exitCode, 1);
  }
  assert.throws(() => checkArgCount(['rename'], { minArgs: 2, maxArgs: 2, run: impl.run }, 1), /requires exactly 2 arguments/);
  assert.throws(() => checkArgCount(['version'], { maxArgs: 0, run: impl.run }, 1), /accepts no arguments/);
});

test("the tree has Docker's groups, shortcuts and aliases", () => {
  const root = commandTree();
  const names = root.subCommands!.map((c) => c.name);
  for (const n of ['container', 'image', 'network', 'volume', 'system', 'run', 'ps', 'images', 'rmi', 'pull', 'push', 'exec', 'version', 'info', 'doctor', 'compose', 'inspect', 'login', 'logout']) {
    assert.ok(names.includes(n), `missing top-level command ${n}`);
  }
  const container = root.subCommands!.find((c) => c.name === 'container')!;
  const ls = container.subCommands!.find((c) => c.name === 'ls')!;
  assert.equal(ls.aliases, ['list', 'ps']);
  assert.equal(ls.aliasPaths, ['container ls', 'container list', 'container ps', 'ps']);
});

test('every leaf is implemented or says where it will come from', () => {
  const walk = (node: ReturnType<typeof commandTree>, path: string): void => {
    if (node.subCommands) for (const c of node.subCommands) walk(c, `${path} ${c.name}`);
    else assert.ok(node.load || node.plannedFor, `${path} has neither an implementation nor a plan`);
  };
  walk(commandTree(), 'skiff');
});

test('the man page names every top-level command', () => {
  const page = readFileSync(resolve(repo, 'man', 'skiff.1'), 'utf8');
  for (const c of commandTree().subCommands!) assert.ok(page.includes(`.BR ${c.name}`), `man/skiff.1 does not mention ${c.name}`);
});

test.run();
