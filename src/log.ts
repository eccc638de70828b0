// skiff's logger: consola writing to stderr, at the level --log-level/--debug chose.
import { createConsola, LogLevels, type ConsolaInstance, type LogType } from 'consola';

const levels: Record<string, LogType> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
  panic: 'fatal',
};

export const log: ConsolaInstance = createConsola({
  level: LogLevels.info,
  stdout: process.stderr,
  stderr: process.stderr,
  formatOptions: { date: false, colors: process.stderr.isTTY === true },
});

export function setLogLevel(name: string): void {
  log.level = LogLevels[levels[name] ?? 'info'];
}
