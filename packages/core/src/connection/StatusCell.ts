import { BehaviorSubject, type Observable } from 'rxjs';

/** The common shape of a connection's status: a state, an optional detail, and when it changed. */
export interface StatusLike {
  readonly state: string;
  readonly detail?: string;
  readonly at: number;
}

/**
 * A connection's current status and its changes (a feed's, a shard's, an adapter's): the fields
 * that name it are fixed, `state` and `detail` change. Setting what it already holds emits nothing;
 * after {@link close}, setting does nothing.
 */
export class StatusCell<S extends StatusLike> {
  private readonly subject: BehaviorSubject<S>;
  // A completed BehaviorSubject still takes a new value (it only stops emitting), and its `closed` stays false.
  private done = false;
  /** The current status first, then every change. */
  readonly changes$: Observable<S>;

  constructor(
    private readonly fixed: Omit<S, keyof StatusLike>,
    initial: S['state'],
  ) {
    this.subject = new BehaviorSubject<S>(this.make(initial, undefined));
    this.changes$ = this.subject.asObservable();
  }

  get value(): S {
    return this.subject.getValue();
  }

  get state(): S['state'] {
    return this.subject.getValue().state;
  }

  get closed(): boolean {
    return this.done;
  }

  set(state: S['state'], detail?: string): void {
    if (this.done) return;
    const now = this.subject.getValue();
    if (now.state === state && now.detail === detail) return;
    this.subject.next(this.make(state, detail));
  }

  /** No more changes: subscribers complete. */
  close(): void {
    this.done = true;
    this.subject.complete();
  }

  private make(state: S['state'], detail: string | undefined): S {
    return { ...this.fixed, state, at: Date.now(), ...(detail !== undefined ? { detail } : {}) } as S;
  }
}
