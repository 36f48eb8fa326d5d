/**
 * The partitions' inserts, coalesced: what every partition has ready in the same turn of the event loop
 * goes to the store as one ordered `insertMany`. Each partition still stores its batches one after
 * another, in order; only the round trips are shared. With sixteen partitions at a thousand messages a
 * second, each partition's batch holds one or two messages, and sixteen small inserts at once cost the
 * store far more than one insert of the same messages (a transaction and a commit each).
 *
 * An ordered insert stops at its first unique-key conflict: the request holding it learns how many of
 * its messages got in (it then deals with the conflict, as alone), those before it are stored whole,
 * and those after it are inserted again without it. A failure that is not a conflict is told to each
 * request by inserting it alone, so one partition's bad message never fails another's.
 *
 * One insert carries at most `maxDocuments` (the most the store stops within at a conflict: a hundred
 * on FerretDB v1, mongo/dialect.ts), cut between requests, so each partition's batch stays one write;
 * the inserts of one turn go out together.
 */
import type { StoredMessage } from '@coffeechat/contracts';
import type { TraceContext } from '@coffeechat/telemetry';

/** `traces`: those of the requests whose messages these are (the store write continues them) */
export type Traces = readonly (TraceContext | undefined)[];

export type OrderedInsert = (messages: readonly StoredMessage[], traces: Traces) => Promise<{ stored: number }>;

interface Request {
  messages: readonly StoredMessage[];
  traces: Traces;
  resolve: (result: { stored: number }) => void;
  reject: (err: unknown) => void;
}

export class InsertCoalescer {
  private waiting: Request[] = [];
  private scheduled = false;

  /** `inserted(size)` is told the size of every insert sent to the store */
  constructor(
    private readonly insertOrdered: OrderedInsert,
    private readonly inserted: (size: number) => void = () => undefined,
    private readonly maxDocuments = Number.POSITIVE_INFINITY,
  ) {}

  private send(requests: readonly Request[]): Promise<{ stored: number }> {
    const messages = requests.length === 1 ? (requests[0] as Request).messages : requests.flatMap((r) => r.messages);
    this.inserted(messages.length);
    return this.insertOrdered(
      messages,
      requests.flatMap((r) => r.traces),
    );
  }

  insert(messages: readonly StoredMessage[], traces: Traces = []): Promise<{ stored: number }> {
    if (messages.length === 0) return Promise.resolve({ stored: 0 });
    return new Promise((resolve, reject) => {
      this.waiting.push({ messages, traces, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        const waiting = this.waiting;
        this.waiting = [];
        for (const group of this.groups(waiting)) void this.flush(group);
      });
    });
  }

  /** The requests in order, cut into groups of at most `maxDocuments` (a bigger request is a group of its own). */
  private groups(requests: readonly Request[]): Request[][] {
    const groups: Request[][] = [];
    let group: Request[] = [];
    let size = 0;
    for (const request of requests) {
      if (group.length > 0 && size + request.messages.length > this.maxDocuments) {
        groups.push(group);
        group = [];
        size = 0;
      }
      group.push(request);
      size += request.messages.length;
    }
    if (group.length > 0) groups.push(group);
    return groups;
  }

  private async flush(group: Request[]): Promise<void> {
    if (group.length === 1) {
      await this.alone(group[0] as Request);
      return;
    }
    let stored: number;
    try {
      ({ stored } = await this.send(group));
    } catch {
      await Promise.all(group.map((r) => this.alone(r)));
      return;
    }
    let start = 0;
    for (const [i, request] of group.entries()) {
      const end = start + request.messages.length;
      if (stored >= end) {
        request.resolve({ stored: request.messages.length });
      } else {
        // the conflict is in this request: it learns its part; the requests after it were not tried
        request.resolve({ stored: stored - start });
        const rest = group.slice(i + 1);
        if (rest.length > 0) await this.flush(rest);
        return;
      }
      start = end;
    }
  }

  private async alone(request: Request): Promise<void> {
    try {
      request.resolve(await this.send([request]));
    } catch (err) {
      request.reject(err);
    }
  }
}
