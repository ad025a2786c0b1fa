/** Auto-pagination over the API's `nextPageToken` pages. */

/** One page as the iterator sees it. */
export interface PageOf<T> {
  items: T[];
  nextPageToken?: string;
}

/** Lazily fetches pages while being iterated with `for await`; `collect()` gathers everything. */
export class Paginated<T> implements AsyncIterable<T> {
  constructor(private readonly fetchPage: (pageToken: string | undefined) => Promise<PageOf<T>>) {}

  /** Yields every item of every page, fetching the next page only when the current one is used up. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let token: string | undefined;
    do {
      const page = await this.fetchPage(token);
      yield* page.items;
      token = page.nextPageToken;
    } while (token);
  }

  /** Fetches all pages and returns every item in order. */
  async collect(): Promise<T[]> {
    const all: T[] = [];
    for await (const item of this) all.push(item);
    return all;
  }
}
