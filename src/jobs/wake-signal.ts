/** Lets the workers sleep until there may be work: woken at once, or after the poll interval. No wake is lost. */
export class WakeSignal {
  private pending = false;
  private waiter?: () => void;

  wake(): void {
    this.pending = true;
    this.waiter?.();
  }

  /** Resolves on the next wake (at once if one came since the last wait) or after `ms`. */
  async wait(ms: number): Promise<void> {
    if (!this.pending) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        timer = setTimeout(resolve, ms);
      });
      clearTimeout(timer);
      this.waiter = undefined;
    }
    this.pending = false;
  }
}
