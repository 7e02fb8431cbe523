import { capturing, say } from './output.ts';

/**
 * A status line that updates in place ("sent 12/20 · accepted 12 · recorded 9") on a terminal.
 * Elsewhere (a pipe, a log file, captured output) it prints a line at most every
 * `quietIntervalMs`, and always the last state, so a log shows progress without a flood.
 */
export class LiveLine {
  private readonly live = process.stdout.isTTY === true && !capturing() && !process.env.NO_COLOR;
  private lastPrinted = 0;
  private lastText = '';
  /** Off a terminal: the last text printed. */
  private printedText = '';

  constructor(private readonly quietIntervalMs = 1_000) {}

  update(text: string): void {
    if (text === this.lastText) return;
    this.lastText = text;
    if (this.live) {
      process.stdout.write(`\r\x1b[2K  ${text}`);
      return;
    }
    const now = Date.now();
    if (now - this.lastPrinted >= this.quietIntervalMs) {
      this.lastPrinted = now;
      this.printedText = text;
      say(`  ${text}`);
    }
  }

  /** Ends the line with its final text (once: not again if that very text was the last printed). */
  done(text: string): void {
    if (this.live) process.stdout.write(`\r\x1b[2K  ${text}\n`);
    else if (text !== this.printedText) say(`  ${text}`);
    this.lastText = text;
    this.printedText = text;
  }
}
