/**
 * One request's deadline: it ends when `timeoutMs` pass or the client
 * disconnects, whichever comes first. Its AbortSignal is made on first use:
 * Node builds an AbortSignal as an EventTarget with a prototype swap, which
 * cost 2% of a search request's CPU, and an in-process search has no use for
 * one (see SearchBackend.honoursAbort).
 */
export class RequestDeadline {
  #controller: AbortController | null = null;
  #reason: Error | null = null;

  /** Why the request ended early, or null while it runs. */
  get reason(): Error | null {
    return this.#reason;
  }

  /** Aborted when the deadline passes or the client goes away. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Throws the reason once the request has ended (no work should start for it). */
  throwIfEnded(): void {
    if (this.#reason) throw this.#reason;
  }

  /** Ends the request; true the first time. */
  end(reason: Error): boolean {
    if (this.#reason) return false;
    this.#reason = reason;
    this.#controller?.abort(reason);
    return true;
  }
}
