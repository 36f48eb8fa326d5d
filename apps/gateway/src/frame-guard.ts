/**
 * What to do with a raw frame before it is parsed (SPEC §4 limits). uWS itself is told to accept
 * frames up to a larger bound, because at its own limit it drops the TCP connection without a close
 * frame; the 64 KiB rule is enforced here so the client gets a proper 1009 closing handshake.
 */
import { CloseCode, Limits } from '@coffeechat/contracts';

export type FrameVerdict = { kind: 'text' } | { kind: 'close'; code: number; reason: string };

export function judgeFrame(byteLength: number, isBinary: boolean): FrameVerdict {
  if (byteLength > Limits.maxFrameBytes) {
    return { kind: 'close', code: CloseCode.MESSAGE_TOO_BIG, reason: `frame over ${Limits.maxFrameBytes} bytes` };
  }
  if (isBinary) return { kind: 'close', code: CloseCode.POLICY_VIOLATION, reason: 'binary frames are not accepted' };
  return { kind: 'text' };
}

export const tooManyBadFrames = {
  kind: 'close',
  code: CloseCode.POLICY_VIOLATION,
  reason: `more than ${Limits.badFramesPerMinute} bad frames in a minute`,
} as const;
