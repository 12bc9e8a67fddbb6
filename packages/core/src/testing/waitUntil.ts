/**
 * Poll until `predicate` holds; rejects naming `what` after `ms`. For tests of asynchronous
 * behaviour (deliveries, reconnects) where there is no event to await.
 */
export async function waitUntil(predicate: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
