import type { SucceededAttempt } from './complete-delivery.js';

/**
 * Collects what finishes in the same turn of the event loop and hands it to `flush` as one batch; while a flush is
 * running, the next batch gathers behind it. Each `add` resolves with whether its delivery was recorded (false: the
 * claim had been taken over), or rejects with the flush's error — the delivery is then retried after its lease.
 */
export class CompletionBatch {
  private pending: Array<{ item: SucceededAttempt; done: (recorded: boolean) => void; fail: (error: unknown) => void }> = [];
  private running: Promise<void> | null = null;
  private scheduled = false;

  constructor(private readonly flush: (items: SucceededAttempt[]) => Promise<Set<string>>) {}

  add(item: SucceededAttempt): Promise<boolean> {
    return new Promise((done, fail) => {
      this.pending.push({ item, done, fail });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.running = this.run().finally(() => {
        this.running = null;
        if (this.pending.length > 0) this.schedule();
      });
    });
  }

  private async run(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const recorded = await this.flush(batch.map((b) => b.item));
      for (const b of batch) b.done(recorded.has(b.item.deliveryId));
    } catch (error) {
      for (const b of batch) b.fail(error);
    }
  }
}
