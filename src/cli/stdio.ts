// Standard output without paying for process.stdout when a command prints one line.
//
// Node creates process.stdout and process.stderr on first use: a stream over a pipe handle, ~0.5 ms
// each. `run -d` prints one line, and the exit path asked both streams whether output was still
// queued, creating them just to hear "no". The getters are wrapped once to note which streams exist;
// writeStdout writes straight to fd 1 while process.stdout does not exist (so nothing can be queued
// ahead of it), and pendingOutput() only asks the streams that were created.
import { writeSync } from 'node:fs';

const created = { stdout: false, stderr: false };
let watching = false;

/** Starts noting which of process.stdout/stderr get created. Call before anything writes. */
export function watchStdio(): void {
  if (watching) return;
  watching = true;
  for (const name of ['stdout', 'stderr'] as const) {
    const d = Object.getOwnPropertyDescriptor(process, name);
    const get = d?.get;
    if (!d || !get || !d.configurable) {
      created[name] = true; // cannot tell: assume it exists
      continue;
    }
    Object.defineProperty(process, name, {
      configurable: true,
      enumerable: d.enumerable,
      get() {
        created[name] = true;
        return get.call(process);
      },
    });
  }
}

/** True while process.stdout or process.stderr still holds output not handed to the kernel. */
export function pendingOutput(): boolean {
  if (!watching) return process.stdout.writableLength > 0 || process.stderr.writableLength > 0;
  return (created.stdout && process.stdout.writableLength > 0) || (created.stderr && process.stderr.writableLength > 0);
}

/** Writes text to standard output: directly while process.stdout does not exist, else through it. */
export function writeStdout(text: string): void {
  if (!watching || created.stdout) {
    process.stdout.write(text);
    return;
  }
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch {
    // A full non-blocking pipe (EAGAIN) or a closed one: the stream queues, or reports as it always has.
    process.stdout.write(bytes.subarray(done));
  }
}
