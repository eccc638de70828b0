// The push command (image push): upload a local image to a registry, with Docker's output and Podman's --digestfile.
import { ExitCode, SkiffError } from '../errors';
import { pushImage } from '../image/push';
import { parseReference } from '../image/reference';
import { loadRegistriesConfig } from '../image/registries';
import { openStores } from '../image/stores';
import { resolvePaths } from '../paths';
import { defineCommand } from './command';
import { progressRenderer, type ProgressRenderer } from './progress';

/**
 * Docker's push lines. Each block (the repository line, then one per tag with -a) gets its own layer
 * lines, so a layer shown for one tag is shown again for the next. Without a terminal Docker prints
 * each outcome once, names the repository a layer was mounted from, and prints no byte counts.
 */
function pushRenderer(quiet: boolean): ProgressRenderer {
  if (quiet) return progressRenderer(process.stdout, { quiet });
  let layers = progressRenderer(process.stdout);
  return {
    line(text) {
      layers.done();
      process.stdout.write(`${text}\n`);
      layers = progressRenderer(process.stdout);
    },
    layer(id, status, current, total) {
      layers.layer(id, status, current, total);
    },
    done() {
      layers.done();
    },
  };
}

export const push = defineCommand({
  args: {
    'all-tags': { type: 'boolean', alias: 'a', description: 'Push all tags of an image to the repository' },
    'disable-content-trust': { type: 'boolean', description: 'Skip image signing', default: true },
    digestfile: { type: 'string', valueHint: 'file', description: 'Write the digest of the pushed image to the specified file' },
    quiet: { type: 'boolean', alias: 'q', description: 'Suppress verbose output' },
    'tls-verify': { type: 'boolean', description: 'Require HTTPS and verify certificates (default true, except for localhost and insecure registries)' },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const paths = resolvePaths(ctx.globals);
    const stores = openStores(paths);
    const config = await loadRegistriesConfig(paths.config);
    const quiet = ctx.flags.quiet === true;
    const allTags = ctx.flags['all-tags'] === true;
    const tlsVerify = typeof ctx.flags['tls-verify'] === 'boolean' ? ctx.flags['tls-verify'] : undefined;
    const digestFile = typeof ctx.flags.digestfile === 'string' && ctx.flags.digestfile !== '' ? ctx.flags.digestfile : undefined;
    const name = ctx.args[0]!;
    const reference = parseReference(name, { exitCode: ExitCode.failure });
    if (allTags && (reference.tag !== undefined || reference.digest !== undefined)) throw new SkiffError("tag can't be used with --all-tags/-a", ExitCode.failure);
    if (!allTags && reference.tag === undefined && reference.digest === undefined && !quiet) process.stdout.write('Using default tag: latest\n');

    const progress = pushRenderer(quiet);
    try {
      const result = await pushImage({ paths, stores, config, name, allTags, tlsVerify, progress, digestFile });
      // As Docker's -q: the name pushed, in full, with the tag it defaulted to.
      if (quiet) process.stdout.write(`${result.reference.domain}/${result.reference.path}${allTags ? '' : `:${reference.tag ?? 'latest'}`}\n`);
    } finally {
      progress.done();
    }
  },
});
