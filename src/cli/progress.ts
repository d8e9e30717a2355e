/**
 * The live progress line of `ferry run --once` in a terminal: the pipeline, files done of the
 * files due, rows loaded, the rate, the time so far and the files being worked on, redrawn in
 * place; finished files are printed above it as they end. Nothing of it when output is piped.
 * File names are shown with their control characters escaped (terminalSafe): a name holding
 * `\r` or an ESC sequence must not move the cursor or clear the line this class draws.
 */
import { terminalSafe } from '../terminal-text.ts';

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
    if (this.timer === null) return;
    const seconds = (Date.now() - this.started) / 1000;
    const inHand = [...this.inFlight.values()].reduce((sum, rows) => sum + rows, 0);
    const rows = this.rows + inHand;
    const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
    const current = [...this.inFlight]
      .slice(0, 2)
      .map(([key, sofar]) => (sofar > 0 ? `${key} (${sofar.toLocaleString('en')} rows)` : key))
      .join(', ');
    const more = this.inFlight.size > 2 ? ` +${this.inFlight.size - 2}` : '';
    const text = terminalSafe(
      `[${this.pipeline}] ${this.done}/${this.total} files · ${rows.toLocaleString('en')} rows · ${rate.toLocaleString('en')} rows/s · ${seconds.toFixed(1)}s${current ? ` · ${current}${more}` : ''}`,
    );
    const width = this.out.columns ?? 120;
    this.clear();
    this.out.write(text.length > width - 1 ? `${text.slice(0, width - 2)}…` : text);
    this.drawn = true;
  }
}
