// Runs one skiff command line: global flags, the command tree walk, errors and exit codes.
import type { ArgsDef } from 'citty';
import { describeError, ExitCode, SkiffError, UsageError } from '../errors';
import { setLogLevel } from '../log';
import { parseArgv } from './argv';
import { ArgCountError, checkArgCount, findChild, renderHelp, resolveImpl, usageErrorText, type CommandNode, type GlobalOptions } from './command';
import { pendingOutput, watchStdio } from './stdio';
import { commandTree } from './tree';

declare const SKIFF_VERSION: string;
declare const SKIFF_COMMIT: string;

export const globalArgs: ArgsDef = {
  config: { type: 'string', description: 'Location of client config files (default "~/.docker")' },
  debug: { type: 'boolean', alias: 'D', description: 'Enable debug mode' },
  'log-level': { type: 'string', alias: 'l', description: 'Set the logging level ("debug", "info", "warn", "error", "fatal")', default: 'info' },
  root: { type: 'string', description: 'Storage root directory (default "$XDG_DATA_HOME/skiff", "/var/lib/skiff" as root)' },
  runroot: { type: 'string', description: 'Runtime state directory (default "$XDG_RUNTIME_DIR/skiff", "/run/skiff" as root)' },
  'storage-opt': { type: 'string', valueHint: 'list', description: 'Storage option, as Podman\'s: overlay.mount_program=PATH mounts new containers\' root with that FUSE program (fuse-overlayfs)' },
  version: { type: 'boolean', alias: 'v', description: 'Print version information and quit' },
};

const logLevels = ['debug', 'info', 'warn', 'error', 'fatal', 'trace', 'panic'];

export async function main(argv: string[]): Promise<void> {
  watchStdio();
  const code = await run(argv);
  process.exitCode = code;
  // Node's teardown once the event loop is empty (freeing the environment and the heap) takes several
  // milliseconds that no one waits for; with nothing left to write, exit now, as Docker's CLI does.
  if (!pendingOutput()) process.exit(code);
}

async function run(argv: string[]): Promise<number> {
  const root = commandTree();
  let path: string[] = [];
  let node: CommandNode = root;
  let debug = argv.includes('--debug') || argv.includes('-D');
  try {
    const top = parseArgv(argv, globalArgs, { interspersed: false });
    if (top.flags.version) {
      process.stdout.write(`skiff version ${SKIFF_VERSION}, build ${SKIFF_COMMIT}\n`);
      return 0;
    }
    const logLevel = String(top.flags['log-level']);
    if (!logLevels.includes(logLevel)) {
      process.stderr.write(`Unable to parse logging level: ${logLevel}\n`);
      return ExitCode.failure;
    }
    debug = Boolean(top.flags.debug);
    setLogLevel(debug ? 'debug' : logLevel);
    const globals: GlobalOptions = {
      debug,
      logLevel,
      root: top.flags.root as string | undefined,
      runroot: top.flags.runroot as string | undefined,
    };
    if (top.flags.config) process.env.DOCKER_CONFIG = String(top.flags.config);
    // Checked before any command runs (a bad option must not cost a pull first), loaded only when given.
    const storageOpts = top.flags['storage-opt'] as string[] | undefined;
    if (storageOpts?.length) globals.storage = (await import('../runtime/storage-opts')).parseStorageOpts(storageOpts);

    let rest = top.positionals;
    if (top.help || rest.length === 0) {
      process.stdout.write(renderHelp([], root, undefined, globalArgs));
      return 0;
    }
    // Walk down through command groups: container, container ls, ...
    while (node.subCommands && !node.load && rest.length > 0 && !rest[0].startsWith('-')) {
      const child = findChild(node, rest[0]);
      if (!child) {
        const typed = ['skiff', ...path, rest[0]].join(' ');
        process.stderr.write(`skiff: unknown command: ${typed}\n\n${path.length ? `Usage:  skiff ${path.join(' ')} COMMAND\n\n` : ''}Run 'skiff ${[...path, '--help'].join(' ')}' for more information\n`);
        return ExitCode.failure;
      }
      path = [...path, rest[0]];
      node = child;
      rest = rest.slice(1);
    }
    if (node.subCommands && !node.load) {
      // A group named alone, or followed by flags: Docker prints the group's help.
      if (rest.length > 0 && rest[0] !== '--help' && rest[0] !== '-h') throw new UsageError(`unknown flag: ${rest[0]}`);
      process.stdout.write(renderHelp(path, node, undefined));
      return 0;
    }
    const impl = await resolveImpl(node);
    if (!impl) {
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(renderHelp(path, node, undefined));
        return 0;
      }
      throw new SkiffError(
        `"skiff ${path.join(' ')}" is not implemented yet in skiff ${SKIFF_VERSION}` +
          `${node.plannedFor ? `; it arrives with skiff's ${node.plannedFor} support` : ''}. Run 'skiff --help' to see what works now.`,
        ExitCode.engine,
      );
    }
    const parsed = parseArgv(rest, impl.args ?? {}, { interspersed: impl.interspersed });
    if (parsed.help) {
      process.stdout.write(renderHelp(path, node, impl));
      return 0;
    }
    checkArgCount(path, impl, parsed.positionals.length);
    const code = await impl.run({ args: parsed.positionals, flags: parsed.flags, globals, path });
    return code ?? 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof ArgCountError) {
      process.stderr.write(usageErrorText(err, path, node));
      return err.exitCode;
    }
    const { message, exitCode } = describeError(err);
    process.stderr.write(`Error: ${message}\n`);
    if (debug && err instanceof Error && !(err instanceof SkiffError)) process.stderr.write(`${err.stack}\n`);
    return exitCode;
  }
}
