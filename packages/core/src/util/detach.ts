/**
 * Let a promise run on without awaiting it, on purpose. Its failure goes to `onError` instead of becoming an
 * unhandled rejection (which would end the process), and a throwing `onError` is swallowed too.
 *
 * This is the one way fire-and-forget is written in Switchboard; the lint forbids a bare `void promise`.
 *
 * @example detach(this.runLane(lane), (error) => this.logger.error({ err: error }, 'lane failed'))
 */
export function detach(work: PromiseLike<unknown>, onError: (error: unknown) => void): void {
  Promise.resolve(work).then(undefined, (error: unknown) => {
    try {
      onError(error);
    } catch {
      // The error handler failed as well; there is nobody left to tell.
    }
  });
}
