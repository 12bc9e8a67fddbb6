import type { Priority } from '../domain/messages.js';
import type { Journal } from '../store/Store.js';

/** One copy of a page in the outbox: its message id and the platform it went to. */
export interface PageCopy {
  readonly id: string;
  readonly platform: string;
}

/** A critical page watched for its fallback to the person's next platform. */
export interface Page {
  /** The outbox id of its first copy: the page's name in the journal. */
  readonly key?: string;
  readonly user: string;
  readonly text: string;
  readonly priority: Priority;
  /** Epoch ms when it goes to the next platform unless a copy was delivered by then. */
  due: number;
  /** Platforms it was sent on, in order; it never goes to one of them again. */
  tried: readonly string[];
  /** Copies still pending in the outbox. */
  copies: readonly PageCopy[];
}

type PageRecord = { readonly t: 'w'; readonly page: Page & { readonly key: string } } | { readonly t: 'x'; readonly key: string };

/** Records written since the last rewrite, beyond which the journal is compacted. */
const CompactAfter = 256;

/**
 * The pages being watched, kept in a journal: each change appends the page's new state, an end
 * appends its key, and a load (or enough records) rewrites the journal to what is still open.
 */
export class PageBook {
  private readonly open = new Map<string, Page & { key: string }>();
  private written = 0;

  constructor(private readonly journal: Journal) {}

  get size(): number {
    return this.open.size;
  }

  pages(): IterableIterator<Page> {
    return this.open.values();
  }

  async load(): Promise<Page[]> {
    for (const record of (await this.journal.readAll()) as PageRecord[]) {
      if (record?.t === 'w' && typeof record.page?.key === 'string') this.open.set(record.page.key, { ...record.page });
      else if (record?.t === 'x') this.open.delete(record.key);
    }
    await this.compact();
    return [...this.open.values()];
  }

  /** Record a page's current state (its key is given on the first write). */
  async write(page: Page): Promise<void> {
    const key = page.key ?? page.copies[0]?.id;
    if (key === undefined) return;
    const kept = page as Page & { key: string };
    if (page.key === undefined) (kept as { key: string }).key = key;
    this.open.set(key, kept);
    await this.append({ t: 'w', page: { ...kept, key } });
  }

  /** The page is finished: delivered somewhere, or with nowhere left to go. */
  async end(page: Page): Promise<void> {
    const key = page.key;
    if (key === undefined || !this.open.delete(key)) return;
    await this.append({ t: 'x', key });
  }

  private async append(record: PageRecord): Promise<void> {
    await this.journal.append([record]);
    if (++this.written > CompactAfter && this.written > 4 * this.open.size) await this.compact();
  }

  private async compact(): Promise<void> {
    this.written = 0;
    await this.journal.compact(() => [...this.open.values()].map((page) => ({ t: 'w', page })));
  }
}
