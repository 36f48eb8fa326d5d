/**
 * Redis key names of presence. Every key starts with `{<namespace>}:presence:`: the namespace keeps
 * stacks and test runs apart, and the braces are a Cluster hash tag, so the scripts' multi-key steps
 * (a user's keys together with the shared sorted sets) stay in one slot.
 */
export interface PresenceKeys {
  prefix: string;
  gateways: string;
  grace: string;
  online: string;
  outbox: string;
  /** the shared structures in the order the scripts take them as KEYS */
  shared: [string, string, string, string];
}

export function presenceKeys(namespace: string): PresenceKeys {
  const prefix = `{${namespace}}:presence:`;
  const gateways = `${prefix}gateways`;
  const grace = `${prefix}grace`;
  const online = `${prefix}online`;
  const outbox = `${prefix}outbox`;
  return { prefix, gateways, grace, online, outbox, shared: [gateways, grace, online, outbox] };
}
