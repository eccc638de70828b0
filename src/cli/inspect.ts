// `inspect`: containers and images by name or id, as Docker's generic inspect, and the
// `container inspect` / `image inspect` forms that look for one kind only.
import type { ArgsDef } from 'citty';
import { defineCommand, type CommandImpl } from './command';
import { ExitCode, SkiffError } from '../errors';
import { resolvePaths } from '../paths';
import { formatInspect } from './format';
import { openStores } from '../image/stores';
import { containerStore, refresh } from '../runtime/containers';
import { inspectContainer } from './container';
import { inspectModel } from './image';

type Kind = 'container' | 'image';

const formatArg: ArgsDef = {
  format: { type: 'string', alias: 'f', description: "Format output using a custom template: 'json': Print in JSON format 'TEMPLATE': Print output using the given Go template." },
};

/** Inspects each name as `kind`, or (without one) as a container first, then an image. */
function inspectCommand(fixed: Kind | undefined, args: ArgsDef): CommandImpl {
  return defineCommand({
    args,
    minArgs: 1,
    async run(ctx) {
      const paths = resolvePaths(ctx.globals);
      const stores = openStores(paths);
      const containers = containerStore(paths);
      const kind = fixed ?? (ctx.flags.type as Kind | undefined);
      if (kind && !['container', 'image'].includes(kind)) throw new SkiffError(`"${kind}" is not a valid value for --type`, ExitCode.failure);
      const items: unknown[] = [];
      const errors: string[] = [];
      for (const name of ctx.args) {
        const record = kind === 'image' ? undefined : await containers.find(name);
        if (record) {
          items.push(inspectContainer(paths, await refresh(paths, containers, record)));
          continue;
        }
        const image = kind === 'container' ? undefined : await stores.images.find(name);
        if (image) items.push(await inspectModel(paths, stores, image));
        else errors.push(`Error: No such ${kind ?? 'object'}: ${name}`);
      }
      // As Docker: partial output for the names found; "[]" when none was and no template was given.
      if (items.length > 0 || !ctx.flags.format) process.stdout.write(formatInspect(items, ctx.flags.format as string | undefined));
      for (const e of errors) process.stderr.write(`${e}\n`);
      return errors.length ? ExitCode.failure : 0;
    },
  });
}

export const inspect = inspectCommand(undefined, {
  ...formatArg,
  size: { type: 'boolean', alias: 's', description: 'Display total file sizes if the type is container' },
  type: { type: 'string', description: 'Return JSON for specified type' },
});

export const containerInspect = inspectCommand('container', {
  ...formatArg,
  size: { type: 'boolean', alias: 's', description: 'Display total file sizes' },
});

export const imageInspect = inspectCommand('image', formatArg);
