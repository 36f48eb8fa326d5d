/** Milliseconds since the Unix epoch; injected so that ranking and caching decisions are testable. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
