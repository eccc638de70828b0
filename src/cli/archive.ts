// save, load and import: images to and from tar archives.
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { defineCommand, type CommandContext } from './command';
import { ExitCode, SkiffError } from '../errors';
import { resolvePaths } from '../paths';
import { progressRenderer } from './progress';
import { importImage, loadImages, saveImages } from '../image/archive';
import { parsePlatform } from '../image/registry';
import { openStores } from '../image/stores';

function open(ctx: CommandContext) {
  const paths = resolvePaths(ctx.globals);
  return { paths, stores: openStores(paths) };
}

/** Runs fn and prefixes a daemon-side failure as Docker's CLI prints it. */
async function asDaemon<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SkiffError) throw new SkiffError(err.message, err.exitCode === ExitCode.engine ? ExitCode.failure : err.exitCode, { cause: err });
    throw err;
  }
}

export const save = defineCommand({
  args: {
    output: { type: 'string', alias: 'o', description: 'Write to a file, instead of STDOUT' },
    format: { type: 'string', description: 'Archive format: docker-archive or oci-archive', default: 'docker-archive' },
  },
  minArgs: 1,
  async run(ctx) {
    const { paths, stores } = open(ctx);
    const format = String(ctx.flags.format);
    if (format !== 'docker-archive' && format !== 'oci-archive') throw new SkiffError(`unknown archive format "${format}": use docker-archive or oci-archive`, ExitCode.failure);
    const file = typeof ctx.flags.output === 'string' ? ctx.flags.output : undefined;
    if (!file && process.stdout.isTTY) throw new SkiffError('cowardly refusing to save to a terminal. Use the -o flag or redirect', ExitCode.failure);
    if (!file) {
      await asDaemon(() => saveImages({ paths, stores, names: ctx.args, format, output: process.stdout }));
      return;
    }
    // As Docker's CLI: write beside the target and rename, so a failed save leaves no file.
    const temp = `${file}.skiff-${process.pid}.tmp`;
    try {
      const out = createWriteStream(temp, { mode: 0o644 });
      await asDaemon(() => saveImages({ paths, stores, names: ctx.args, format, output: out }));
      await rename(temp, file);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  },
});

export const load = defineCommand({
  args: {
    input: { type: 'string', alias: 'i', description: 'Read from tar archive file, instead of STDIN' },
    quiet: { type: 'boolean', alias: 'q', description: 'Suppress the load output' },
    platform: { type: 'string', description: 'Load only the given platform of a multi-platform archive' },
  },
  maxArgs: 0,
  async run(ctx) {
    const { paths, stores } = open(ctx);
    const file = typeof ctx.flags.input === 'string' ? ctx.flags.input : undefined;
    if (!file && process.stdin.isTTY) throw new SkiffError('requested load from stdin, but stdin is empty', ExitCode.failure);
    const input = file ? createReadStream(file) : process.stdin;
    if (file) {
      await new Promise<void>((done, fail) => {
        input.once('open', () => done());
        input.once('error', (err: NodeJS.ErrnoException) => fail(new SkiffError(`open ${file}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`, ExitCode.failure)));
      });
    }
    const quiet = ctx.flags.quiet === true;
    const progress = progressRenderer(process.stdout, { quiet: quiet || !process.stdout.isTTY });
    const result = await asDaemon(() => loadImages({
      paths, stores, input, quiet, progress,
      platform: typeof ctx.flags.platform === 'string' ? parsePlatform(ctx.flags.platform, { exitCode: ExitCode.failure }) : undefined,
    }));
    progress.done();
    for (const line of result.lines) process.stdout.write(`${line}\n`);
  },
});

export const importCmd = defineCommand({
  args: {
    change: { type: 'string', alias: 'c', valueHint: 'list', description: 'Apply Dockerfile instruction to the created image' },
    message: { type: 'string', alias: 'm', description: 'Set commit message for imported image' },
    platform: { type: 'string', description: 'Set platform if server is multi-platform capable' },
  },
  minArgs: 1,
  maxArgs: 2,
  async run(ctx) {
    const { paths, stores } = open(ctx);
    const [sourceArg, reference] = ctx.args;
    let source: NodeJS.ReadableStream | string;
    if (sourceArg === '-') source = process.stdin;
    else if (/^https?:\/\//.test(sourceArg)) source = sourceArg;
    else {
      const stream = createReadStream(sourceArg);
      await new Promise<void>((done, fail) => {
        stream.once('open', () => done());
        stream.once('error', (err: NodeJS.ErrnoException) => fail(new SkiffError(`open ${sourceArg}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`, ExitCode.failure)));
      });
      source = stream;
    }
    const progress = progressRenderer(process.stdout);
    const result = await asDaemon(() => importImage({
      paths, stores, source: source as never, reference, changes: ctx.flags.change as string[],
      message: typeof ctx.flags.message === 'string' ? ctx.flags.message : undefined,
      platform: typeof ctx.flags.platform === 'string' ? parsePlatform(ctx.flags.platform, { exitCode: ExitCode.failure }) : undefined,
      progress,
    }));
    process.stdout.write(`${result.id}\n`);
  },
});
