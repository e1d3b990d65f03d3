import { makeStyle, type Style } from './style.js';

/** `short` is diagnose's one line per category (as `linkerd check -o short`); elsewhere it reads as human. */
export type OutputFormat = 'human' | 'json' | 'short';
export type LogLevel = 'debug' | 'info' | 'success' | 'warn' | 'error';

export interface OutputOptions {
  format: OutputFormat;
  color: boolean;
  verbose: boolean;
  /** stderr is a person's terminal (no CI): no timestamps, progress may redraw. */
  live: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  now?: () => Date;
}

/** An event from the engine (cluster, cloud, orchestration); the output layer decides how it looks. */
export interface OutputEvent {
  level: LogLevel;
  message: string;
  /** The node or resource the event is about, printed as a prefix. */
  subject?: string;
}

export interface ResultOptions {
  /**
   * The result is itself the secret-bearing artefact the user asked for (render's script, which
   * must carry the join token to work). Only stdout skips redaction; stderr never does.
   */
  carriesSecrets?: boolean;
}

export type EventSink = (event: OutputEvent) => void;

/** How the human rendering of a result is asked for: -o short, -v. */
export interface View {
  short: boolean;
  verbose: boolean;
}

/**
 * Lines redrawn in place under the log on a terminal (a spinner, per-node progress). Output
 * erases them before writing anything to stderr and draws them again after.
 */
export interface Overlay {
  erase(): string;
  draw(): string;
}

/** Something in progress, shown as a spinner on a terminal and as a line every few seconds off one. */
export interface Activity {
  update(text: string): void;
  stop(): void;
}

const MARKS: Record<LogLevel, string> = { debug: '[▸]', info: '[ℹ]', success: '[✔]', warn: '[!]', error: '[✖]' };

/**
 * The one place that writes to the terminal. Results go to stdout (exactly one JSON document
 * with -o json); logs and progress go to stderr. Every write passes through the redactor so a
 * registered secret cannot leak, whatever code path produced the text.
 */
export class Output {
  readonly format: OutputFormat;
  readonly style: Style;
  readonly verbose: boolean;
  private readonly options: OutputOptions;
  private readonly secrets = new Set<string>();
  private resultWritten = false;
  private overlay: Overlay | undefined;
  private board: { event(event: OutputEvent): void; stop(): void } | undefined;

  constructor(options: OutputOptions) {
    this.options = options;
    this.format = options.format;
    this.verbose = options.verbose;
    this.style = makeStyle(options.color);
  }

  /** Registers a value that must never appear in any output. */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 4) this.secrets.add(value);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('<redacted>');
    return out;
  }

  debug(message: string, subject?: string): void {
    if (this.verbose) this.log({ level: 'debug', message, ...(subject ? { subject } : {}) });
  }
  info(message: string, subject?: string): void {
    this.log({ level: 'info', message, ...(subject ? { subject } : {}) });
  }
  success(message: string, subject?: string): void {
    this.log({ level: 'success', message, ...(subject ? { subject } : {}) });
  }
  warn(message: string, subject?: string): void {
    this.log({ level: 'warn', message, ...(subject ? { subject } : {}) });
  }
  error(message: string, subject?: string): void {
    this.log({ level: 'error', message, ...(subject ? { subject } : {}) });
  }

  /** An EventSink bound to this output, for code that must not know about terminals. */
  readonly sink: EventSink = (event) => this.log(event);

  log(event: OutputEvent): void {
    if (event.level === 'debug' && !this.verbose) return;
    const s = this.style;
    const colorMark: Record<LogLevel, (x: string) => string> = {
      debug: s.dim,
      info: s.cyan,
      success: s.green,
      warn: s.yellow,
      error: s.red,
    };
    const mark = colorMark[event.level](MARKS[event.level]);
    const prefix = this.options.live ? '' : `${formatTimestamp((this.options.now ?? (() => new Date()))())} `;
    const subject = event.subject ? `${s.bold(event.subject)}: ` : '';
    this.board?.event(event);
    const lines = event.message.split('\n');
    const text = lines.map((line, i) => (i === 0 ? `${prefix}${mark}  ${subject}${line}` : `${' '.repeat(prefix.length + 5)}${line}`)).join('\n');
    this.writeErr(`${text}\n`);
  }

  /**
   * Writes the command's result: JSON (one document) or the human rendering. May be called
   * once per command, so that stdout stays a single parseable document.
   */
  result<T>(data: T, human: (data: T, style: Style, view: View) => string, options: ResultOptions = {}): void {
    if (this.resultWritten) throw new Error('Output.result called twice');
    this.resultWritten = true;
    // Whatever was redrawing in place is done: the result is written below the log.
    this.endProgress();
    let text: string;
    if (this.format === 'json') {
      text = `${JSON.stringify(data, null, 2)}\n`;
    } else {
      const rendered = human(data, this.style, { short: this.format === 'short', verbose: this.verbose });
      text = rendered.endsWith('\n') || rendered === '' ? rendered : `${rendered}\n`;
    }
    this.options.stdout.write(options.carriesSecrets ? text : this.redact(text));
  }

  /**
   * With -o json, a failed command still prints exactly one document on stdout, so a pipeline
   * reading it always gets JSON. Does nothing if the result was already written.
   */
  errorDocument(error: { message: string; problems: readonly string[]; exitCode: number; hint?: string }): void {
    if (this.resultWritten || this.format !== 'json') return;
    this.resultWritten = true;
    this.options.stdout.write(this.redact(`${JSON.stringify({ error }, null, 2)}\n`));
  }

  /** Writes to stderr as-is (already formatted blocks such as plan tables). */
  writeErr(text: string): void {
    const overlay = this.overlay;
    this.options.stderr.write(overlay ? `${overlay.erase()}${this.redact(text)}${this.redact(overlay.draw())}` : this.redact(text));
  }

  /** True when stderr is a person's terminal: progress may redraw in place. */
  get live(): boolean {
    return this.options.live;
  }

  /**
   * Puts lines under the log that redraw in place (live terminals only; see `live`), or takes
   * them away (undefined), erasing what was drawn.
   */
  setOverlay(overlay: Overlay | undefined): void {
    if (!this.options.live) return;
    const before = this.overlay;
    this.overlay = overlay;
    this.options.stderr.write(`${before ? before.erase() : ''}${overlay ? this.redact(overlay.draw()) : ''}`);
  }

  /** Redraws the overlay (a spinner's next frame). */
  redraw(): void {
    const overlay = this.overlay;
    if (overlay) this.options.stderr.write(`${overlay.erase()}${this.redact(overlay.draw())}`);
  }

  /**
   * On a terminal, one line per node under the log, redrawn in place from the events that
   * name a node (status, what it is doing, for how long); off one, nothing changes. Loaded on
   * first use. Ends with the returned stop() or when the result is written.
   */
  async nodeProgress(): Promise<{ stop(): void }> {
    if (!this.options.live || this.format === 'json' || this.board) return { stop: () => this.endProgress() };
    const { startNodeBoard } = await import('./node-board.js');
    const stream = this.options.stderr as { columns?: number };
    // A pseudo-terminal without a size reports 0 columns.
    this.board = startNodeBoard(this, () => stream.columns || 80);
    return { stop: () => this.endProgress() };
  }

  private endProgress(): void {
    this.board?.stop();
    this.board = undefined;
    if (this.overlay) this.setOverlay(undefined);
  }

  /**
   * Starts showing an activity: a spinner with the text and the time so far on a terminal; off
   * one the text as an info line, repeated every few seconds while it lasts. Loaded on first
   * use, so commands that never wait (and --help) do not pay for it.
   */
  async activity(text: string): Promise<Activity> {
    const { startActivity } = await import('./activity.js');
    return startActivity(this, text);
  }

}

function formatTimestamp(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
