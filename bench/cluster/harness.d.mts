// Types of harness.mjs for the TypeScript tests that use it.
import type { ChildProcess } from 'node:child_process';
import type { FakeGateway, FakeQqHttp } from '@switchboard/adapter-qq/testing';

export interface ClusterInstance {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<NodeJS.Signals | number | null>;
  output(): string;
  role(): 'active' | 'standby' | 'starting';
  alive(): boolean;
  shards(): number[];
}

export interface Tally {
  readonly sent: number;
  readonly answered: number;
  readonly unanswered: number;
  readonly interrupted: number;
  readonly doubledReplies: number;
  readonly rerun: number;
  readonly alarms: number;
  readonly unpaged: number;
  readonly pagedTwice: number;
}

export interface Cluster {
  readonly http: FakeQqHttp;
  readonly gateway: FakeGateway;
  readonly config: string;
  readonly instances: ClusterInstance[];
  instance(): ClusterInstance;
  send(): number;
  alarm(): number;
  tally(): Tally;
  shardHolders(): (ReturnType<FakeGateway['holderOf']>)[];
  kill(victim: ClusterInstance): Promise<() => boolean>;
  stop(): Promise<void>;
}

export function startCluster(options: {
  redisUrl: string;
  dir: string;
  prefix: string;
  shards?: number;
  chats?: number;
  lockTtl?: number;
  maxConcurrency?: number;
  /** `file`: one bridge on the file store in the temp directory (no Redis), for comparison. */
  store?: 'redis' | 'file';
}): Promise<Cluster>;

export function until(predicate: () => boolean, what: string, ms?: number): Promise<number>;
