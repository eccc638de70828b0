// Docker's pull/push progress: a line per layer, redrawn in place on a terminal, plain lines otherwise.
import type { PullProgress } from '../image/pull';
import { humanSize } from './format/units';

export interface ProgressRenderer extends PullProgress {
  /** Stops redrawing; the next output starts on a fresh line. */
  done(): void;
}

/** Statuses worth a line when output is not a terminal (Docker prints no byte counts there). */
const milestones = new Set(['Pulling fs layer', 'Waiting', 'Verifying Checksum', 'Download complete', 'Pull complete', 'Already exists',
  'Preparing', 'Pushed', 'Layer already exists']);
const isMilestone = (status: string): boolean => milestones.has(status) || status.startsWith('Mounted from ');

function bar(current: number, total: number): string {
  const width = 50;
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const arrow = filled < width ? '>' : '';
  return `[${'='.repeat(filled)}${arrow}${' '.repeat(width - filled - arrow.length)}]`;
}

export function progressRenderer(stream: NodeJS.WriteStream, options: { quiet?: boolean } = {}): ProgressRenderer {
  if (options.quiet) return { line: () => undefined, layer: () => undefined, done: () => undefined };
  const tty = stream.isTTY === true;
  const order: string[] = [];
  const lastStatus = new Map<string, string>();
  const text = new Map<string, string>();
  let active = true;

  const redraw = (id: string): void => {
    const up = order.length - order.indexOf(id);
    stream.write(`\x1b[${up}A\r\x1b[2K${text.get(id)}\x1b[${up}B\r`);
  };

  return {
    line(line) {
      stream.write(`${line}\n`);
    },
    layer(id, status, current, total) {
      if (!active) return;
      const line = current !== undefined && total ? `${id}: ${status} ${bar(current, total)}  ${humanSize(current)}/${humanSize(total)}` : `${id}: ${status}`;
      if (!tty) {
        if (isMilestone(status) && lastStatus.get(id) !== status) stream.write(`${line}\n`);
        lastStatus.set(id, status);
        return;
      }
      text.set(id, line);
      if (!order.includes(id)) {
        order.push(id);
        stream.write(`${line}\n`);
      } else {
        redraw(id);
      }
    },
    done() {
      active = false;
    },
  };
}
