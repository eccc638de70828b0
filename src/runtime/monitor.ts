// Starts a container under skiff-helper's monitor, and speaks the monitor's attach-socket protocol.
import type { Socket } from 'node:net';
import { closeSync, openSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ExitCode, SkiffError } from '../errors';
import type { Paths } from '../paths';
import { helperPath } from './helper';
import { runSyncInUserNamespace } from './userns';
import { containerDir, containerRunDir, logPath, type ContainerRecord } from './containers';

/** How to run skiff itself again (the monitor calls `skiff container cleanup ID` when a container ends). */
export function selfCommand(): string[] {
  const seaLike = !process.argv[1] || process.argv[1] === process.execPath || !/\.(c?js|mjs)$/.test(process.argv[1]);
  return seaLike ? [process.execPath] : [process.execPath, process.argv[1]];
}

export interface MonitorStart {
  pid: number;
  monitorPid: number;
}

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(text.trim());
  if (!m) throw new SkiffError(`invalid log-opt max-size "${text}": use a number with an optional k, m or g unit`);
  return Math.floor(Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[m[2].toLowerCase()]);
}

/** Starts the monitor, which creates the container and stays as its parent; resolves once the process exists. */
export async function startMonitor(paths: Paths, record: ContainerRecord, options: { attach: boolean }): Promise<MonitorStart> {
  const dir = containerDir(paths, record.id);
  const run = containerRunDir(paths, record.id);
  const log = record.hostConfig.LogConfig;
  const policy = record.hostConfig.RestartPolicy;
  const restart = policy.Name === 'on-failure' && policy.MaximumRetryCount > 0 ? `on-failure:${policy.MaximumRetryCount}` : policy.Name || 'no';
  const args = [helperPath(paths), 'monitor', '--bundle', join(dir, 'bundle'), '--state-dir', run, '--id', record.id,
    '--log-driver', log.Type === 'none' ? 'none' : 'json-file', '--log-path', logPath(paths, record.id), '--restart', restart];
  if (log.Config['max-size']) args.push('--log-max-size', String(parseSize(log.Config['max-size'])));
  if (log.Config['max-file']) args.push('--log-max-files', String(Number(log.Config['max-file']) || 1));
  const [exe, ...exeArgs] = selfCommand();
  args.push('--exit-command', exe);
  for (const a of [...exeArgs, '--root', paths.data, '--runroot', paths.runtime, 'container', 'cleanup', record.id]) args.push('--exit-arg', a);
  // Attached, the container waits for this process to connect; should it die first, the monitor
  // runs the container detached instead of holding it at the gate for ever.
  if (options.attach) args.push('--attach', '--gate-pid', String(process.pid));
  if (record.config.OpenStdin) args.push('--stdin');
  // The helper prints one line and exits once the container's process exists; the monitor it leaves
  // behind has its stdio on /dev/null, so the pipes end with the helper. (detached: its own session,
  // so that a ^C at the terminal in this millisecond does not reach it.)
  const child = await runSyncInUserNamespace(paths, args, { detached: true });
  if (child.error) throw new SkiffError(`container ${record.id.slice(0, 12)} could not be started: cannot run skiff-helper: ${child.error.message}`);
  const { stdout, stderr } = child;
  const line = stdout.split('\n')[0] ?? '';
  let result: { pid?: number; monitorPid?: number; error?: string; exitCode?: number };
  try {
    result = JSON.parse(line);
  } catch {
    throw new SkiffError(`container ${record.id.slice(0, 12)} could not be started: the monitor said ${JSON.stringify((stderr || line).trim().slice(0, 500))}`);
  }
  if (result.error || !result.pid) {
    throw new SkiffError(result.error ?? 'the monitor reported no process', result.exitCode ?? ExitCode.engine);
  }
  // Fault injection for the integration tests: die where a ^C or an OOM kill could strike, after
  // the start and before anything recorded it or attached.
  if (process.env.SKIFF_TEST_DIE_AFTER_MONITOR_START) process.kill(process.pid, 'SIGKILL');
  return { pid: result.pid, monitorPid: result.monitorPid ?? 0 };
}

// ---------------------------------------------------------------------------------------------
// Attach: 1 byte type + 4 bytes big-endian length + payload, both ways.

export const Frame = { stdin: 0, stdout: 1, stderr: 2, closeStdin: 'c'.charCodeAt(0), resize: 'r'.charCodeAt(0), exit: 'e'.charCodeAt(0) } as const;

export function encodeFrame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

export interface AttachHandlers {
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
  exit(code: number): void;
  /** The socket closed without an exit frame (the monitor died, or we detached). */
  closed(): void;
}

export interface Attachment {
  socket: Socket;
  sendStdin(data: Buffer): void;
  closeStdin(): void;
  resize(rows: number, cols: number): void;
  detach(): void;
}

export function attachSocketPath(paths: Paths, id: string): string {
  return join(containerRunDir(paths, id), 'attach.sock');
}

/**
 * A unix socket path must fit in 108 bytes; runtime dirs under long $XDG_RUNTIME_DIR paths do not.
 * Then connect through the directory's descriptor, as /proc/self/fd/N/attach.sock.
 */
function connectableSocketPath(path: string): { path: string; close(): void } {
  if (Buffer.byteLength(path) < 100) return { path, close: () => undefined };
  let fd: number | undefined = openSync(dirname(path), 'r');
  return {
    path: `/proc/self/fd/${fd}/${basename(path)}`,
    close: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

export async function attach(paths: Paths, id: string, handlers: AttachHandlers): Promise<Attachment> {
  // node:net is loaded here, not with the module: `run -d`, ps and the rest never attach.
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const target = connectableSocketPath(attachSocketPath(paths, id));
    const socket = connect(target.path);
    socket.once('connect', () => target.close());
    socket.once('error', () => target.close());
    let buffer: Buffer = Buffer.alloc(0);
    let exited = false;
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      while (buffer.length >= 5) {
        const length = buffer.readUInt32BE(1);
        if (buffer.length < 5 + length) break;
        const type = buffer[0];
        const payload = buffer.subarray(5, 5 + length);
        buffer = buffer.subarray(5 + length);
        if (type === Frame.stdout) handlers.stdout(payload);
        else if (type === Frame.stderr) handlers.stderr(payload);
        else if (type === Frame.exit) {
          // Nothing follows the exit frame: close at once, so the monitor (waiting for its clients
          // to close before it runs the exit command) is not kept.
          exited = true;
          socket.destroy();
          handlers.exit(payload.length >= 4 ? payload.readInt32BE(0) : 0);
          return;
        }
      }
    });
    socket.on('close', () => {
      if (!exited) handlers.closed();
    });
    socket.on('error', (err) => reject(new SkiffError(`cannot attach to container ${id.slice(0, 12)}: ${err.message}`)));
    socket.once('connect', () => {
      resolve({
        socket,
        sendStdin: (data) => socket.write(encodeFrame(Frame.stdin, data)),
        closeStdin: () => socket.write(encodeFrame(Frame.closeStdin)),
        resize: (rows, cols) => {
          const p = Buffer.alloc(4);
          p.writeUInt16BE(rows, 0);
          p.writeUInt16BE(cols, 2);
          socket.write(encodeFrame(Frame.resize, p));
        },
        detach: () => socket.destroy(),
      });
    });
  });
}
