import { OperationError } from '../../errors.js';
import { isNotFound } from './errors.js';
import type { GceContext, Scope } from './operations.js';

/**
 * What consoleOutput keeps of a console: twice the API's 1 MB buffer, so one full buffer read
 * after a gap still comes with what was read before it. The join needs only the newest lines.
 */
const CONSOLE_KEEP_CHARS = 2 * 1024 * 1024;

/** The serial port reader: it remembers, per instance, where to read from next. */
export class SerialConsole {
  /** Per instance: the serial port position to read from next, and the text read so far. */
  private readonly serial = new Map<string, { next: number; text: string }>();

  /**
   * Serial port 1 of an instance, all of it read so far (at most CONSOLE_KEEP_CHARS, the newest).
   *
   * Without `start` the API answers with its whole buffer, up to 1 MB, on every poll of every
   * booting VM. Each call here asks from the `next` of the previous one, so only new bytes travel.
   * When more than the 1 MB buffer was written between two reads, the API moves `start` up to the
   * oldest byte it still holds: the gap is named in the text instead of silently joined over.
   */
  async output(ctx: GceContext, s: Scope, instanceId: string): Promise<string> {
    const key = `${s.project}/${s.zone}/${instanceId}`;
    const read = async (from: number) => {
      const [out] = await ctx.call('compute.instances.getSerialPortOutput', (c) => c.instances.getSerialPortOutput({ project: s.project, zone: s.zone, instance: instanceId, port: 1, start: from }));
      const contents = out.contents ?? '';
      const start = out.start == null ? from : Number(out.start);
      return { contents, start, next: out.next == null ? start + Buffer.byteLength(contents) : Number(out.next) };
    };
    try {
      let seen = this.serial.get(key) ?? { next: 0, text: '' };
      let out = await read(seen.next);
      if (out.next < seen.next) {
        // The port counts from 0 again: an instance of that name was deleted and created anew.
        seen = { next: 0, text: '' };
        out = await read(0);
      }
      let text = seen.text;
      if (out.start > seen.next) text += `\n(${out.start - seen.next} bytes of console output were discarded by Compute Engine before they were read)\n`;
      text += out.contents;
      if (text.length > CONSOLE_KEEP_CHARS) text = text.slice(text.length - CONSOLE_KEEP_CHARS);
      this.serial.set(key, { next: out.next, text });
      return text;
    } catch (err) {
      if (isNotFound(err)) throw new OperationError(`instance ${instanceId} does not exist in ${s.project}/${s.zone}`, { cause: err, hint: '`win-k8s list` shows the instances of the cluster' });
      throw err;
    }
  }

  /** Drops what was read of these instances: their names may come back as new instances. */
  forget(s: Scope, names: string[]): void {
    for (const n of names) this.serial.delete(`${s.project}/${s.zone}/${n}`);
  }
}
