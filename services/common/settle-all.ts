/**
 * Waits for every promise to settle, then throws the first rejection: nothing is still in flight when the caller
 * retries or gives up (Promise.all rejects at the first failure and leaves the rest running).
 */
export async function settleAll(promises: ReadonlyArray<Promise<unknown>>): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failed) throw failed.reason;
}
