/** What became of one inbound message, on the dispatcher's `outcomes$`. */
export interface DispatchOutcome {
  readonly messageId: string;
  readonly command?: string;
  readonly user?: string;
  /**
   * `limited`: not taken (too long, too many queued, over the sender's rate, or over a command's
   * cooldown or rate). `handled`: a middleware consumed it (did not call `next()`). `confirm`: the
   * command waits for its caller's `yes <code>`. `cancelled`: a confirmation was refused or expired.
   */
  readonly result: 'ok' | 'handled' | 'ignored' | 'unknown' | 'refused' | 'usage' | 'error' | 'timeout' | 'limited' | 'confirm' | 'cancelled';
  readonly ms: number;
  /** Why, when the result needs it (an error's message, the reason an argument was refused). */
  readonly detail?: string;
}

/** Ends one dispatch: its result, and the command and user it concerned when known. */
export type Done = (result: DispatchOutcome['result'], command?: string, user?: string, detail?: string) => DispatchOutcome;
