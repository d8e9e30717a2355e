/**
 * The live progress line of `ferry run --once` in a terminal: the pipeline, files done of the
 * files due, rows loaded, the rate, the time so far and the files being worked on, redrawn in
 * place; finished files are printed above it as they end. Nothing of it when output is piped.
 * File names are shown with their control characters escaped (terminalSafe): a name holding
 * `\r` or an ESC sequence must not move the cursor or clear the line this class draws.
 *
 * The progress line and other output never share a line: whatever else is written to the
 * terminal while it is shown (log lines, a signal's notice on stderr) goes through `writer()`,
 * which clears the line first and draws it again after a complete line.
 */
import { terminalSafe } from '../terminal-text.ts';
import { formatCount } from './output.ts';

const REDRAW_MS = 100;

export class ProgressLine {
  private readonly out: NodeJS.WriteStream;
  private timer: NodeJS.Timeout | null = null;
  private pipeline = '';
  private total = 0;
  private done = 0;
  private rows = 0;
  private started = Date.now();
  /** The files in hand, with their rows copied so far. */
  private readonly inFlight = new Map<string, number>();
  private drawn = false;
  /** A line written through `writer()` that has not ended yet: nothing is drawn until it has. */
  private partial = false;

  constructor(out: NodeJS.WriteStream = process.stdout) {
    this.out = out;
  }

  /** A run has listed its files: `total` are due now. */
  start(pipeline: string, total: number): void {
    this.pipeline = pipeline;
    this.total = total;
    this.done = 0;
    this.rows = 0;
    this.started = Date.now();
    this.inFlight.clear();
    this.timer ??= setInterval(() => this.draw(), REDRAW_MS);
    this.timer.unref();
    this.draw();
  }

  fileStarted(key: string): void {
    this.inFlight.set(key, 0);
  }

  fileRows(key: string, rows: number): void {
    if (this.inFlight.has(key)) this.inFlight.set(key, rows);
  }

  /** A file ended: its line is printed above the progress line. */
  fileEnded(key: string, line: string, rows: number): void {
    this.inFlight.delete(key);
    this.done++;
    this.rows += rows;
    this.clear();
    this.out.write(`${terminalSafe(line)}\n`);
    this.draw();
  }

  /** Prints a line above the progress line. */
  say(line: string): void {
    this.clear();
    this.out.write(`${terminalSafe(line)}\n`);
    this.draw();
  }

  /**
   * A writer to `stream` (stderr) that never shares a line with the progress line: it is
   * cleared before the text and drawn again once the text ends a line.
   */
  writer(stream: NodeJS.WritableStream): (text: string) => void {
    return (text) => {
      this.clear();
      stream.write(text);
      this.partial = !text.endsWith('\n');
      if (!this.partial) this.draw();
    };
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.clear();
  }

  private clear(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }

  private draw(): void {
    if (this.timer === null || this.partial) return;
    const seconds = (Date.now() - this.started) / 1000;
    const inHand = [...this.inFlight.values()].reduce((sum, rows) => sum + rows, 0);
    const rows = this.rows + inHand;
    const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
    const current = [...this.inFlight]
      .slice(0, 2)
      .map(([key, sofar]) => (sofar > 0 ? `${key} (${formatCount(sofar)} rows)` : key))
      .join(', ');
    const more = this.inFlight.size > 2 ? ` +${this.inFlight.size - 2}` : '';
    const text = terminalSafe(
      `[${this.pipeline}] ${this.done}/${this.total} files · ${formatCount(rows)} rows · ${formatCount(rate)} rows/s · ${seconds.toFixed(1)}s${current ? ` · ${current}${more}` : ''}`,
    );
    // Three columns are kept free: the terminal echoes a Ctrl-C as `^C` after the line, and a
    // line that wrapped could no longer be cleared by a carriage return.
    const room = (this.out.columns ?? 120) - 3;
    this.clear();
    this.out.write(text.length > room ? `${text.slice(0, room - 1)}…` : text);
    this.drawn = true;
  }
}
