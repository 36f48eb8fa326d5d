/**
 * An exchange as every service must declare it: its name and its type. The topologies
 * (`topology`, `presenceTopology`, `feedTopology`) name each exchange once with its type, so no
 * service repeats a type (a redeclaration with another type closes the channel). All are durable.
 */
export type ExchangeType = 'direct' | 'topic' | 'fanout';

export interface Exchange {
  name: string;
  type: ExchangeType;
}

export const exchange = (name: string, type: ExchangeType): Exchange => ({ name, type });
