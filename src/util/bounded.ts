/**
 * Runs fn over items with at most `limit` calls in flight, in order of start; fn must handle
 * its own failures (one rejection rejects the whole run while the others go on).
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index]!, index);
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
}

/** forEachBounded that keeps each call's result, in the order of the items. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  await forEachBounded(items, limit, async (item, i) => {
    out[i] = await fn(item);
  });
  return out;
}
