import { describe, expect, it } from 'vitest';
import { messageFrameJson } from './message-frame.js';

describe('messageFrameJson', () => {
  it('writes the frame’s fields in its order and nothing else, however the message was read', () => {
    const fromStore = { body: 'hi', ts: 5, clientMsgId: 'c1', senderId: 'ann', seq: 3, roomId: 'r1', _id: 'x' };
    expect(messageFrameJson(fromStore)).toBe(
      '{"type":"message","roomId":"r1","seq":3,"senderId":"ann","clientMsgId":"c1","body":"hi","ts":5}',
    );
  });
});
