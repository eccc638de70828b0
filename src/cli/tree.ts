// Docker's command tree, with skiff's implementations loaded only for the command that runs.
import type { CommandImpl, CommandNode } from './command';
import { compareCodePoints } from './format/values';

type Loader = () => Promise<CommandImpl | undefined>;
type Area = 'containers' | 'images' | 'networking' | 'volumes' | 'build' | 'compose' | 'resource limits' | 'events';

interface LeafSpec {
  usage: string;
  description: string;
  aliases?: string[];
  /** The top-level shortcut (docker ps for docker container ls). */
  shortcut?: string;
  area?: Area;
  load?: Loader;
  hidden?: boolean;
}

function leaf(name: string, spec: LeafSpec): CommandNode & { shortcut?: string } {
  return {
    name,
    usage: spec.usage,
    description: spec.description,
    aliases: spec.aliases,
    hidden: spec.hidden,
    load: spec.load,
    plannedFor: spec.area,
    shortcut: spec.shortcut,
  };
}

const system = (): Promise<typeof import('./system')> => import('./system');
const image = (): Promise<typeof import('./image')> => import('./image');
const container = (): Promise<typeof import('./container')> => import('./container');

const containerCommands = [
  leaf('attach', { usage: '[OPTIONS] CONTAINER', description: 'Attach local standard input, output, and error streams to a running container', shortcut: 'attach', load: () => container().then((m) => m.attachCmd) }),
  leaf('commit', { usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]', description: "Create a new image from a container's changes", shortcut: 'commit', area: 'volumes' }),
  leaf('cp', { usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-', description: 'Copy files/folders between a container and the local filesystem', shortcut: 'cp', area: 'volumes' }),
  leaf('create', { usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]', description: 'Create a new container', shortcut: 'create', load: () => container().then((m) => m.createCmd) }),
  leaf('diff', { usage: 'CONTAINER', description: "Inspect changes to files or directories on a container's filesystem", shortcut: 'diff', area: 'volumes' }),
  leaf('exec', { usage: '[OPTIONS] CONTAINER COMMAND [ARG...]', description: 'Execute a command in a running container', shortcut: 'exec', load: () => container().then((m) => m.exec) }),
  leaf('export', { usage: '[OPTIONS] CONTAINER', description: "Export a container's filesystem as a tar archive", shortcut: 'export', area: 'volumes' }),
  leaf('inspect', { usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Display detailed information on one or more containers', load: () => import('./inspect').then((m) => m.containerInspect) }),
  leaf('kill', { usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Kill one or more running containers', shortcut: 'kill', load: () => container().then((m) => m.kill) }),
  leaf('logs', { usage: '[OPTIONS] CONTAINER', description: 'Fetch the logs of a container', shortcut: 'logs', load: () => container().then((m) => m.logs) }),
  leaf('ls', { usage: '[OPTIONS]', description: 'List containers', aliases: ['list', 'ps'], shortcut: 'ps', load: () => container().then((m) => m.ps) }),
  leaf('pause', { usage: 'CONTAINER [CONTAINER...]', description: 'Pause all processes within one or more containers', shortcut: 'pause', area: 'resource limits' }),
  leaf('port', { usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]', description: 'List port mappings or a specific mapping for the container', shortcut: 'port', load: () => container().then((m) => m.port) }),
  leaf('prune', { usage: '[OPTIONS]', description: 'Remove all stopped containers', load: () => container().then((m) => m.prune) }),
  leaf('rename', { usage: 'CONTAINER NEW_NAME', description: 'Rename a container', shortcut: 'rename', load: () => container().then((m) => m.rename) }),
  leaf('restart', { usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Restart one or more containers', shortcut: 'restart', load: () => container().then((m) => m.restart) }),
  leaf('rm', { usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Remove one or more containers', aliases: ['remove'], shortcut: 'rm', load: () => container().then((m) => m.rm) }),
  leaf('run', { usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]', description: 'Create and run a new container from an image', shortcut: 'run', load: () => container().then((m) => m.run) }),
  leaf('start', { usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Start one or more stopped containers', shortcut: 'start', load: () => container().then((m) => m.startCmd) }),
  leaf('stats', { usage: '[OPTIONS] [CONTAINER...]', description: 'Display a live stream of container(s) resource usage statistics', shortcut: 'stats', area: 'resource limits' }),
  leaf('stop', { usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Stop one or more running containers', shortcut: 'stop', load: () => container().then((m) => m.stop) }),
  leaf('top', { usage: 'CONTAINER [ps OPTIONS]', description: 'Display the running processes of a container', shortcut: 'top', load: () => container().then((m) => m.top) }),
  leaf('unpause', { usage: 'CONTAINER [CONTAINER...]', description: 'Unpause all processes within one or more containers', shortcut: 'unpause', area: 'resource limits' }),
  leaf('update', { usage: '[OPTIONS] CONTAINER [CONTAINER...]', description: 'Update configuration of one or more containers', shortcut: 'update', area: 'resource limits' }),
  leaf('wait', { usage: 'CONTAINER [CONTAINER...]', description: 'Block until one or more containers stop, then print their exit codes', shortcut: 'wait', load: () => container().then((m) => m.wait) }),
  leaf('cleanup', { usage: 'CONTAINER', description: 'Record a container\'s exit and apply --rm (called by the monitor)', hidden: true, load: () => container().then((m) => m.cleanup) }),
];

const imageCommands = [
  leaf('build', { usage: '[OPTIONS] PATH | URL | -', description: 'Build an image from a Dockerfile', shortcut: 'build', area: 'build' }),
  leaf('history', { usage: '[OPTIONS] IMAGE', description: 'Show the history of an image', shortcut: 'history', load: () => image().then((m) => m.history) }),
  leaf('import', { usage: '[OPTIONS] file|URL|- [REPOSITORY[:TAG]]', description: 'Import the contents from a tarball to create a filesystem image', shortcut: 'import', load: () => import('./archive').then((m) => m.importCmd) }),
  leaf('inspect', { usage: '[OPTIONS] IMAGE [IMAGE...]', description: 'Display detailed information on one or more images', load: () => import('./inspect').then((m) => m.imageInspect) }),
  leaf('load', { usage: '[OPTIONS]', description: 'Load an image from a tar archive or STDIN', shortcut: 'load', load: () => import('./archive').then((m) => m.load) }),
  leaf('ls', { usage: '[OPTIONS] [REPOSITORY[:TAG]]', description: 'List images', aliases: ['list'], shortcut: 'images', load: () => image().then((m) => m.ls) }),
  leaf('prune', { usage: '[OPTIONS]', description: 'Remove unused images', load: () => image().then((m) => m.prune) }),
  leaf('pull', { usage: '[OPTIONS] NAME[:TAG|@DIGEST]', description: 'Download an image from a registry', shortcut: 'pull', load: () => image().then((m) => m.pull) }),
  leaf('push', { usage: '[OPTIONS] NAME[:TAG]', description: 'Upload an image to a registry', shortcut: 'push', load: () => import('./push').then((m) => m.push) }),
  leaf('rm', { usage: '[OPTIONS] IMAGE [IMAGE...]', description: 'Remove one or more images', aliases: ['remove'], shortcut: 'rmi', load: () => image().then((m) => m.rm) }),
  leaf('save', { usage: '[OPTIONS] IMAGE [IMAGE...]', description: 'Save one or more images to a tar archive (streamed to STDOUT by default)', shortcut: 'save', load: () => import('./archive').then((m) => m.save) }),
  leaf('tag', { usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]', description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', shortcut: 'tag', load: () => image().then((m) => m.tag) }),
];

const networkCommands = [
  leaf('connect', { usage: '[OPTIONS] NETWORK CONTAINER', description: 'Connect a container to a network', area: 'networking' }),
  leaf('create', { usage: '[OPTIONS] NETWORK', description: 'Create a network', area: 'networking' }),
  leaf('disconnect', { usage: '[OPTIONS] NETWORK CONTAINER', description: 'Disconnect a container from a network', area: 'networking' }),
  leaf('inspect', { usage: '[OPTIONS] NETWORK [NETWORK...]', description: 'Display detailed information on one or more networks', area: 'networking' }),
  leaf('ls', { usage: '[OPTIONS]', description: 'List networks', aliases: ['list'], area: 'networking' }),
  leaf('prune', { usage: '[OPTIONS]', description: 'Remove all unused networks', area: 'networking' }),
  leaf('rm', { usage: 'NETWORK [NETWORK...]', description: 'Remove one or more networks', aliases: ['remove'], area: 'networking' }),
];

const volumeCommands = [
  leaf('create', { usage: '[OPTIONS] [VOLUME]', description: 'Create a volume', area: 'volumes' }),
  leaf('inspect', { usage: '[OPTIONS] VOLUME [VOLUME...]', description: 'Display detailed information on one or more volumes', area: 'volumes' }),
  leaf('ls', { usage: '[OPTIONS]', description: 'List volumes', aliases: ['list'], area: 'volumes' }),
  leaf('prune', { usage: '[OPTIONS]', description: 'Remove unused local volumes', area: 'volumes' }),
  leaf('rm', { usage: '[OPTIONS] VOLUME [VOLUME...]', description: 'Remove one or more volumes. You cannot remove a volume that is in use by a container.', aliases: ['remove'], area: 'volumes' }),
];

const systemCommands = [
  leaf('df', { usage: '[OPTIONS]', description: 'Show skiff disk usage', area: 'volumes' }),
  leaf('doctor', { usage: '[OPTIONS]', description: 'Check that this host can run rootless containers, and say how to fix what is missing', shortcut: 'doctor', load: () => system().then((m) => m.doctor) }),
  leaf('events', { usage: '[OPTIONS]', description: 'Get real time events from the server', shortcut: 'events', area: 'events' }),
  leaf('info', { usage: '[OPTIONS]', description: 'Display system-wide information', shortcut: 'info', load: () => system().then((m) => m.info) }),
  leaf('prune', { usage: '[OPTIONS]', description: 'Remove unused data', area: 'volumes' }),
];

function group(name: string, description: string, children: Array<CommandNode & { shortcut?: string }>): CommandNode {
  for (const child of children) child.aliasPaths = [child.name, ...(child.aliases ?? [])].map((a) => `${name} ${a}`);
  return { name, usage: 'COMMAND', description, category: 'management', subCommands: children };
}

function buildTree(): CommandNode {
  const groups = [
    group('container', 'Manage containers', containerCommands),
    group('image', 'Manage images', imageCommands),
    group('network', 'Manage networks', networkCommands),
    group('system', 'Manage skiff', systemCommands),
    group('volume', 'Manage volumes', volumeCommands),
  ];
  const shortcuts: CommandNode[] = [];
  for (const g of groups) {
    for (const child of g.subCommands as Array<CommandNode & { shortcut?: string }>) {
      if (!child.shortcut) continue;
      child.aliasPaths = [...(child.aliasPaths ?? []), child.shortcut];
      shortcuts.push({ ...child, name: child.shortcut, aliases: undefined });
    }
  }
  const common = new Set(['run', 'exec', 'ps', 'build', 'pull', 'push', 'images', 'login', 'logout', 'search', 'version', 'info']);
  const top: CommandNode[] = [
    ...shortcuts,
    leaf('inspect', { usage: '[OPTIONS] NAME|ID [NAME|ID...]', description: 'Return low-level information on skiff objects', load: () => import('./inspect').then((m) => m.inspect) }),
    leaf('login', { usage: '[OPTIONS] [SERVER]', description: 'Authenticate to a registry', load: () => import('./auth').then((m) => m.login) }),
    leaf('logout', { usage: '[SERVER]', description: 'Log out from a registry', load: () => import('./auth').then((m) => m.logout) }),
    leaf('search', { usage: '[OPTIONS] TERM', description: 'Search a registry for images', area: 'images' }),
    leaf('version', { usage: '[OPTIONS]', description: 'Show the skiff version information', load: () => system().then((m) => m.version) }),
    { name: 'compose', usage: 'COMMAND', description: 'Define and run multi-container applications', category: 'management', plannedFor: 'compose' },
    ...groups,
  ];
  for (const node of top) {
    if (common.has(node.name)) node.category = 'common';
    else if (node.name === 'doctor') node.category = 'skiff';
  }
  // Plain code-point order: localeCompare would load ICU's collator (~8 ms) on every command.
  top.sort((a, b) => compareCodePoints(a.name, b.name));
  return { name: 'skiff', usage: '[OPTIONS] COMMAND', description: 'A rootless, daemonless container engine with a Docker-compatible command line', subCommands: top };
}

let tree: CommandNode | undefined;

export function commandTree(): CommandNode {
  tree ??= buildTree();
  return tree;
}
