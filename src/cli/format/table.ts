// Docker's table writer: Go's text/tabwriter as the docker CLI sets it up (min width 10, padding 3, spaces).

export interface TabWriterOptions {
  /** The narrowest a column may be, padding included. */
  minWidth: number;
  /** Added to the widest cell of a column. */
  padding: number;
  padChar: string;
}

/** docker/cli formatter: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0). */
export const dockerTable: TabWriterOptions = { minWidth: 10, padding: 3, padChar: ' ' };

interface Cell {
  text: string;
  width: number;
}

/**
 * Aligns tab-separated text as tabwriter does. A cell is text ended by a tab; the text after a line's
 * last tab is no cell and is never padded. A column is as wide as its widest cell in a block of
 * consecutive lines that all have that column, so a line with fewer tabs starts new blocks.
 */
export function tabwrite(text: string, options: TabWriterOptions = dockerTable): string {
  const lines: Cell[][] = text.split(/\n|\f/).map((line) => line.split(/\t|\v/).map((cell) => ({ text: cell, width: displayWidth(cell) })));
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const line = lines[i];
      line.forEach((cell, j) => {
        out.push(cell.text);
        if (j < widths.length) out.push(options.padChar.repeat(Math.max(0, widths[j] - cell.width)));
      });
      // The last line holds what followed the final newline: it has no newline of its own.
      if (i + 1 < lines.length) out.push('\n');
    }
  };

  const format = (from: number, to: number) => {
    const column = widths.length;
    let line0 = from;
    for (let i = from; i < to; i++) {
      if (column >= lines[i].length - 1) continue;
      // This line starts a block of lines that all have a cell in this column.
      writeLines(line0, i);
      line0 = i;
      let width = options.minWidth;
      for (; i < to && column < lines[i].length - 1; i++) width = Math.max(width, lines[i][column].width + options.padding);
      widths.push(width);
      format(line0, i);
      widths.pop();
      line0 = i;
    }
    writeLines(line0, to);
  };

  format(0, lines.length);
  return out.join('');
}

/**
 * How many terminal columns text takes, as go-runewidth (which Docker's tabwriter uses) counts:
 * per grapheme cluster, the width of its first visible code point; East Asian wide characters and
 * emoji take 2, controls and combining marks 0.
 */
export function displayWidth(text: string): number {
  if (/^[\x20-\x7e]*$/.test(text)) return text.length;
  let width = 0;
  for (const { segment } of graphemes().segment(text)) {
    for (const ch of segment) {
      const w = runeWidth(ch.codePointAt(0)!);
      if (w > 0) {
        width += w;
        break;
      }
    }
  }
  return width;
}

let segmenter: Intl.Segmenter | undefined;
const graphemes = () => (segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' }));

/** East Asian Wide and Fullwidth ranges outside the emoji, which \p{Emoji_Presentation} covers. */
const wideRanges: Array<[number, number]> = [
  [0x1100, 0x115f], [0x2329, 0x232a], [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff],
  [0xa000, 0xa4cf], [0xa960, 0xa97f], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f],
  [0xff00, 0xff60], [0xffe0, 0xffe6], [0x16fe0, 0x16fe4], [0x17000, 0x18cff], [0x1b000, 0x1b2ff],
  [0x1f200, 0x1f2ff], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];

function runeWidth(code: number): number {
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0xad) return 0;
  if (code < 0x300) return 1;
  if (
    code === 0x070f || (code >= 0x180b && code <= 0x180e) || (code >= 0x200b && code <= 0x200f) ||
    (code >= 0x2028 && code <= 0x202e) || (code >= 0x206a && code <= 0x206f) || code === 0xfeff ||
    (code >= 0xfff9 && code <= 0xfffb) || (code >= 0xe0000 && code <= 0xe007f)
  ) {
    return 0;
  }
  const ch = String.fromCodePoint(code);
  if (/\p{Mn}|\p{Me}/u.test(ch)) return 0;
  // Regional indicators (flag halves) are emoji but not East Asian wide: go-runewidth counts them 1.
  if (code >= 0x1f1e6 && code <= 0x1f1ff) return 1;
  if (wideRanges.some(([lo, hi]) => code >= lo && code <= hi) || /\p{Emoji_Presentation}/u.test(ch)) return 2;
  return 1;
}
