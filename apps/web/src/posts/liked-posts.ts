/**
 * Which posts this user liked, remembered in the browser: the feed API counts likes but does not say
 * whether the caller is among them, and liking is idempotent, so a forgotten like costs nothing.
 */
export class LikedPosts {
  private readonly key: string;

  constructor(userId: string) {
    this.key = `coffeechat.liked.${userId}`;
  }

  has(postId: string): boolean {
    return this.all().includes(postId);
  }

  set(postId: string, liked: boolean): void {
    const rest = this.all().filter((id) => id !== postId);
    localStorage.setItem(this.key, JSON.stringify(liked ? [...rest, postId].slice(-500) : rest));
  }

  private all(): string[] {
    try {
      const value: unknown = JSON.parse(localStorage.getItem(this.key) ?? '[]');
      return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
    } catch {
      return [];
    }
  }
}
