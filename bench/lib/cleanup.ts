/**
 * Cleanups that must run even when a benchmark throws or the runner is interrupted: each module
 * registers what it started (processes, temp dirs) and removes it in `finally`; the runner calls
 * `cleanupAll()` at the end and on SIGINT/SIGTERM for anything left behind.
 */
const pending = new Set<() => Promise<void>>();

/** Registers `fn`; the returned function runs it once (later calls and cleanupAll skip it). */
export function registerCleanup(fn: () => Promise<void> | void): () => Promise<void> {
  let ran: Promise<void> | null = null;
  const once = () => {
    pending.delete(once);
    ran ??= (async () => {
      try {
        await fn();
      } catch (err) {
        console.error(`cleanup failed: ${(err as Error).message}`);
      }
    })();
    return ran;
  };
  pending.add(once);
  return once;
}

export async function cleanupAll(): Promise<void> {
  await Promise.all([...pending].map((fn) => fn()));
}
