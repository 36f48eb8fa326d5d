/** The `userIds` query parameter of `GET /presence`: a comma list of 1–100 user ids. */
import { Limits, UserId, validator } from '@coffeechat/contracts';

const checkUserId = validator(UserId);

export type ParsedUserIds = { ok: true; userIds: string[] } | { ok: false; message: string };

/** Splits and checks the list; duplicates are answered once. */
export function parseUserIds(text: string): ParsedUserIds {
  const parts = text.split(',');
  if (parts.some((p) => p === '')) return { ok: false, message: 'userIds: empty id in the list' };
  if (parts.length > Limits.presenceQueryMax) {
    return { ok: false, message: `userIds: at most ${Limits.presenceQueryMax} ids` };
  }
  const userIds = [...new Set(parts)];
  const bad = userIds.find((id): boolean => !checkUserId.check(id));
  if (bad !== undefined) return { ok: false, message: `userIds: invalid id ${JSON.stringify(bad.slice(0, 40))}` };
  return { ok: true, userIds };
}
