/** The bootstrap's serial-console protocol: `win-k8s: <phase> <started|done|failed> <detail>`. */
export interface ConsoleLine {
  phase: string;
  state: string;
  detail: string;
}

const LINE = /win-k8s: (\S+) (started|done|failed|reboot|log)\b ?(.*)$/;

export function parseConsole(text: string): ConsoleLine[] {
  const out: ConsoleLine[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const m = LINE.exec(raw);
    if (m) out.push({ phase: m[1]!, state: m[2]!, detail: m[3]!.trim() });
  }
  return out;
}

/** The last bootstrap lines, for a node that failed or timed out. */
export function consoleTail(text: string, lines = 10): string {
  const ours = text.split(/\r?\n/).filter((l) => l.includes('win-k8s:'));
  return ours.slice(-lines).join('\n');
}
