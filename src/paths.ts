// Where skiff keeps its data, runtime state and configuration, as the architecture fixes it.
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface Paths {
  /** Images, layers, containers, volumes: $XDG_DATA_HOME/skiff, or /var/lib/skiff as root. */
  data: string;
  /** Pause pid, sockets, per-container pids: $XDG_RUNTIME_DIR/skiff, or /run/skiff as root. */
  runtime: string;
  /** registries.json, defaults: $XDG_CONFIG_HOME/skiff, or /etc/skiff as root. */
  config: string;
  rootless: boolean;
}

export interface PathOverrides {
  root?: string;
  runroot?: string;
}

export function resolvePaths(overrides: PathOverrides = {}, env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? 0): Paths {
  const rootless = uid !== 0;
  const home = env.HOME || safeHomedir();
  const data = overrides.root
    ?? (rootless ? join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'skiff') : '/var/lib/skiff');
  const runtime = overrides.runroot
    ?? (rootless ? (env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'skiff') : `/tmp/skiff-${uid}`) : '/run/skiff');
  const config = rootless ? join(env.XDG_CONFIG_HOME || join(home, '.config'), 'skiff') : '/etc/skiff';
  return { data, runtime, config, rootless };
}

function safeHomedir(): string {
  try {
    return homedir() || userInfo().homedir;
  } catch {
    return '/';
  }
}
