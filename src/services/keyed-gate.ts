interface GateState {
  holders: number;
  exclusive: boolean;
  waiting: { exclusive: boolean; admit: () => void }[];
}

/**
 * Per key, any number of shared holders at once or one exclusive holder. Arrivals are admitted in order, so a
 * waiting exclusive holder is not starved by a stream of shared ones.
 */
export class KeyedGate {
  private readonly states = new Map<string, GateState>();

  shared<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.run(key, false, task);
  }

  exclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.run(key, true, task);
  }

  private async run<T>(key: string, exclusive: boolean, task: () => Promise<T>): Promise<T> {
    let state = this.states.get(key);
    if (!state) {
      state = { holders: 0, exclusive: false, waiting: [] };
      this.states.set(key, state);
    }
    if (state.waiting.length === 0 && admits(state, exclusive)) {
      state.holders++;
      state.exclusive = exclusive;
    } else {
      // Admitted (and counted as a holder) by the holder that leaves before it.
      const waitingState = state;
      await new Promise<void>((admit) => waitingState.waiting.push({ exclusive, admit }));
    }
    try {
      return await task();
    } finally {
      state.holders--;
      if (state.holders === 0) state.exclusive = false;
      while (state.waiting.length > 0 && admits(state, state.waiting[0]!.exclusive)) {
        const next = state.waiting.shift()!;
        state.holders++;
        state.exclusive = next.exclusive;
        next.admit();
      }
      if (state.holders === 0 && state.waiting.length === 0) this.states.delete(key);
    }
  }
}

function admits(state: GateState, exclusive: boolean): boolean {
  return state.holders === 0 || (!exclusive && !state.exclusive);
}
