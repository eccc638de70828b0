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

/** Docker's CLI prints warnings as `WARNING: …` on stderr; the other levels get a short tag. */
const prefixes: Partial<Record<LogType, string>> = { warn: 'WARNING: ', error: 'Error: ', fatal: 'Error: ', debug: 'DEBU ', trace: 'TRAC ' };

export const log: ConsolaInstance = createConsola({
  level: LogLevels.info,
  reporters: [
    {
      log(entry) {
        const text = entry.args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
        process.stderr.write(`${prefixes[entry.type] ?? ''}${text}\n`);
      },
    },
  ],
});

export function setLogLevel(name: string): void {
  log.level = LogLevels[levels[name] ?? 'info'];
}
