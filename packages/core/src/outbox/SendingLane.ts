import type { SendResult } from '../domain/messages.js';
import { Lane } from '../util/Lanes.js';
import type { PacedLane } from './ChatPace.js';
import type { Pending } from './Pending.js';

/**
 * A lane with the callbacks that continue it after a send, made once per lane rather than a
 * closure pair per message (the head being sent is the lane's first item throughout).
 */
export class SendingLane extends Lane<Pending> implements PacedLane {
  /** The last enqueueMany batch that took this lane: a chat named twice in one batch is found by it. */
  mark = 0;
  paceLog: Float64Array | undefined = undefined;
  paceNext = 0;
  onResult!: (result: SendResult) => void;
  onError!: (error: unknown) => void;
}
