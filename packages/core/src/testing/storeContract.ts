import { deepStrictEqual, ok, rejects, strictEqual } from 'node:assert/strict';
import type { Store } from '../store/Store.js';

/** One case of the {@link storeContract}: a name and a check that throws (node:assert) when the store breaks the port. */
export interface StoreContractCase {
  readonly name: string;
  run(): Promise<void>;
}

/**
 * What every `Store` must do, as cases any test runner can run (`for (const c of storeContract(make)) it(c.name, c.run)`).
 * `make` gives a fresh, empty, unopened store each time, and `reopen` (optional) a second store on the same data,
 * for the cases about what survives a close.
 */
export function storeContract(make: () => Promise<Store>, reopen?: (closed: Store) => Promise<Store>): StoreContractCase[] {
  const opened = async (): Promise<Store> => {
    const store = await make();
    await store.open();
    return store;
  };
  const cases: StoreContractCase[] = [
    {
      name: 'a document reads back as written, and undefined when never written',
      async run() {
        const store = await opened();
        strictEqual(await store.get('never'), undefined);
        const value = { version: 1, users: [{ name: 'ann', tier: 'root' }], text: '中文 ✓ "quoted"\n' };
        await store.put('directory', value);
        deepStrictEqual(await store.get('directory'), value);
        await store.put('directory', { version: 2 });
        deepStrictEqual(await store.get('directory'), { version: 2 });
        await store.close();
      },
    },
    {
      name: 'what a caller changes after put or get does not change what is stored',
      async run() {
        const store = await opened();
        const value = { list: [1, 2] };
        await store.put('doc', value);
        value.list.push(3);
        const read = await store.get<{ list: number[] }>('doc');
        deepStrictEqual(read, { list: [1, 2] });
        read!.list.push(9);
        deepStrictEqual(await store.get('doc'), { list: [1, 2] });
        await store.close();
      },
    },
    {
      name: 'a journal keeps records in append order, across concurrent appends, durable or not',
      async run() {
        const store = await opened();
        const journal = store.journal('outbox');
        deepStrictEqual(await journal.readAll(), []);
        await Promise.all([
          journal.append([{ n: 1 }, { n: 2 }]),
          journal.append([{ n: 3 }], { durable: false }),
          journal.append([]),
          journal.append([{ n: 4 }, { n: 5 }, { n: 6 }]),
        ]);
        deepStrictEqual(await journal.readAll(), [1, 2, 3, 4, 5, 6].map((n) => ({ n })));
        strictEqual(store.journal('outbox'), journal, 'the same journal for the same name');
        deepStrictEqual(await store.journal('other').readAll(), [], 'journals are apart');
        await store.close();
      },
    },
    {
      name: 'compaction replaces the journal with the snapshot taken after earlier appends, and later appends follow it',
      async run() {
        const store = await opened();
        const journal = store.journal('outbox');
        await journal.append([{ n: 1 }, { n: 2 }]);
        const appended = journal.append([{ n: 3 }]);
        let seen: unknown[] = [];
        const compacted = journal.compact(() => {
          seen = [{ kept: 3 }];
          return seen;
        });
        const after = journal.append([{ n: 4 }]);
        await Promise.all([appended, compacted, after]);
        deepStrictEqual(seen, [{ kept: 3 }]);
        deepStrictEqual(await journal.readAll(), [{ kept: 3 }, { n: 4 }]);
        await journal.compact(() => []);
        deepStrictEqual(await journal.readAll(), []);
        await store.close();
      },
    },
    {
      name: 'a large journal (20,000 records) reads back whole and in order',
      async run() {
        const store = await opened();
        const journal = store.journal('big');
        for (let batch = 0; batch < 20; batch++) await journal.append(Array.from({ length: 1000 }, (_, i) => ({ i: batch * 1000 + i, pad: 'x'.repeat(20) })));
        const all = (await journal.readAll()) as { i: number }[];
        strictEqual(all.length, 20_000);
        ok(all.every((r, i) => r.i === i), 'in order');
        await store.close();
      },
    },
    {
      name: 'refuses a malformed document key or journal name, naming it',
      async run() {
        const store = await opened();
        await rejects(store.put('../escape', 1), /escape/);
        await rejects(store.get('a b'), /a b/);
        let threw: unknown;
        try {
          store.journal('no/slash');
        } catch (error) {
          threw = error;
        }
        ok(threw instanceof Error && /no\/slash/.test(threw.message), 'journal("no/slash") throws naming it');
        await store.close();
      },
    },
  ];
  if (reopen) {
    cases.push({
      name: 'documents and journals survive a close and a reopen',
      async run() {
        const first = await opened();
        await first.put('directory', { users: ['ann'] });
        await first.journal('outbox').append([{ n: 1 }, { n: 2 }]);
        await first.journal('outbox').append([{ n: 3 }], { durable: false });
        await first.close();
        const second = await reopen(first);
        await second.open();
        deepStrictEqual(await second.get('directory'), { users: ['ann'] });
        deepStrictEqual(await second.journal('outbox').readAll(), [{ n: 1 }, { n: 2 }, { n: 3 }]);
        await second.close();
      },
    });
  }
  return cases;
}
