/** The bootstrap writes `win-k8s: <phase> <started|done|failed> <detail>` to the serial console. */

/** The last bootstrap lines, for a node that failed or timed out. */
export function consoleTail(text: string, lines = 10): string {
  const ours = text.split(/\r?\n/).filter((l) => l.includes('win-k8s:'));
  return ours.slice(-lines).join('\n');
}
