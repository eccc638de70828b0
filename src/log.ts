// skiff's logger: consola writing to stderr, at the level --log-level/--debug chose.
// consola is created on first use: loading it costs ~13 ms, which most commands never need.
import type { ConsolaInstance, createConsola, LogLevels, LogObject, LogType } from 'consola';

interface ConsolaModule {
  createConsola: typeof createConsola;
  LogLevels: typeof LogLevels;
}

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

let level: LogType = 'info';
let instance: ConsolaInstance | undefined;

function consola(): ConsolaInstance {
  if (!instance) {
    const { createConsola, LogLevels } = require('consola') as ConsolaModule;
    instance = createConsola({
      level: LogLevels[level],
      reporters: [
        {
          log(entry: LogObject) {
            const text = entry.args.map((a: unknown) => (a instanceof Error ? a.message : String(a))).join(' ');
            process.stderr.write(`${prefixes[entry.type] ?? ''}${text}\n`);
          },
        },
      ],
    });
  }
  return instance;
}

export const log = {
  warn: (message: string): void => consola().warn(message),
  info: (message: string): void => consola().info(message),
  error: (message: string): void => consola().error(message),
  debug: (message: string): void => consola().debug(message),
};

export function setLogLevel(name: string): void {
  level = levels[name] ?? 'info';
  if (instance) instance.level = (require('consola') as ConsolaModule).LogLevels[level];
}
