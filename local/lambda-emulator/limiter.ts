/**
 * Runs at most `slots` tasks at a time; the rest wait in order. Used so concurrent publishes (one per region, each
 * holding a zip of up to 250 MB in memory) cannot add up without bound.
 */
export function createLimiter(slots: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
