/**
 * Reads the server's frames as they arrive on the wire and reports the measured ones (message,
 * ack, error) to the generator. Shared by the drivers so that duplicates and reordering are
 * counted where they happen, before any client-side filtering could hide them.
 */
import type { ConnectionEvents } from '../driver.js';

export interface WireFrame {
  type?: string;
  id?: string;
  roomId?: string;
  clientMsgId?: string;
  seq?: number;
  code?: string;
  message?: string;
  heartbeatSec?: number;
}

/** Parses one text frame; undefined (and a NOT_JSON error) when it is not JSON. */
export function parseFrame(data: Buffer | string, events: ConnectionEvents): WireFrame | undefined {
  try {
    return JSON.parse(typeof data === 'string' ? data : data.toString()) as WireFrame;
  } catch {
    events.onError('NOT_JSON', undefined, undefined);
    return undefined;
  }
}

/** Reports message, ack and error frames; returns false for the others (hello, joined, presence, …). */
export function report(frame: WireFrame, events: ConnectionEvents): boolean {
  switch (frame.type) {
    case 'message':
      events.onMessage(frame.roomId ?? '', frame.clientMsgId ?? '', frame.seq);
      return true;
    case 'ack':
      events.onAck(frame.roomId ?? '', frame.clientMsgId ?? '');
      return true;
    case 'error':
      events.onError(frame.code ?? 'UNKNOWN', frame.roomId, frame.clientMsgId);
      return true;
    default:
      return false;
  }
}
