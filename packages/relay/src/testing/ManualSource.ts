import { BaseSource, type SourceState } from '../sources/FeedSource.js';
import type { Update } from '../Update.js';

/**
 * A feed driven by hand, for tests: give it to a `Relay` through `createSource`, then say when it
 * drops and comes back (`go`) and what it reports (`push`). It is connected once started.
 */
export class ManualSource extends BaseSource {
  readonly kind = 'manual';

  async start(): Promise<void> {
    this.setStatus('connected');
  }

  go(state: SourceState, detail?: string): void {
    this.setStatus(state, detail);
  }

  push(update: Update): void {
    this.emit(update);
  }
}
