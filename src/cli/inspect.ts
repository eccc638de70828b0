// `skiff inspect`: containers and images by name or id, as Docker's generic inspect.
import { defineCommand } from './command';
import { ExitCode, SkiffError } from '../errors';
import { resolvePaths } from '../paths';
import { formatInspect } from './format';
import { openStores } from '../image/stores';
import { containerStore, refresh } from '../runtime/containers';
import { inspectContainer } from './container';
import { inspectModel } from './image';

export const inspect = defineCommand({
  args: {
    format: { type: 'string', alias: 'f', description: "Format output using a custom template: 'json', 'TEMPLATE'" },
    size: { type: 'boolean', alias: 's', description: 'Display total file sizes if the type is container' },
    type: { type: 'string', description: 'Return JSON for specified type' },
  },
  minArgs: 1,
  async run(ctx) {
    const paths = resolvePaths(ctx.globals);
    const stores = openStores(paths);
    const containers = containerStore(paths);
    const type = ctx.flags.type as string | undefined;
    if (type && !['container', 'image'].includes(type)) throw new SkiffError(`"${type}" is not a valid value for --type`, ExitCode.failure);
    const items: unknown[] = [];
    const errors: string[] = [];
    for (const name of ctx.args) {
      const record = type === 'image' ? undefined : await containers.find(name);
      if (record) {
        items.push(inspectContainer(paths, await refresh(paths, containers, record)));
        continue;
      }
      const image = type === 'container' ? undefined : await stores.images.find(name);
      if (image) items.push(await inspectModel(paths, stores, image));
      else errors.push(`Error: No such ${type ?? 'object'}: ${name}`);
    }
    if (items.length > 0 || !ctx.flags.format) process.stdout.write(formatInspect(items, ctx.flags.format as string | undefined));
    for (const e of errors) process.stderr.write(`${e}\n`);
    return errors.length ? ExitCode.failure : 0;
  },
});
