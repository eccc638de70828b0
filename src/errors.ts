// The one error type users see: a message that names the object, the cause and the way
// out, and the exit code Docker's CLI would return for it.

/** Docker's exit codes for failures of the engine itself, not of the container. */
export const ExitCode = {
  /** The object is missing or the request is invalid (docker inspect/rm/stop of a missing object). */
  failure: 1,
  /** The engine could not do what was asked (run/create failures, bad flags). */
  engine: 125,
  /** The container command exists but cannot be invoked. */
  cannotInvoke: 126,
  /** The container command was not found. */
  notFound: 127,
} as const;

export class SkiffError extends Error {
  override readonly name = 'SkiffError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.engine,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A command line that does not parse: Docker prints usage hints and exits 125. */
export class UsageError extends SkiffError {
  constructor(message: string, readonly command?: string) {
    super(message, ExitCode.engine);
  }
}

/** Turns any thrown value into the message and exit code skiff reports. */
export function describeError(err: unknown): { message: string; exitCode: number } {
  if (err instanceof SkiffError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return { message: code && !err.message.includes(code) ? `${err.message} (${code})` : err.message, exitCode: ExitCode.engine };
  }
  return { message: String(err), exitCode: ExitCode.engine };
}
