/**
 * The browser app in a real Chromium against the real services (separate processes): what people
 * see. Two users chat both ways, see each other typing and going offline, unread counts move live,
 * a reload and a dropped network lose and double nothing, and the posts pages work end to end.
 * Saves screenshots of the room and the feed to .test-results/screenshots/, or, with
 * `UPDATE_SCREENSHOTS=1`, over the README's in docs/screenshots/ (so a plain test run leaves the
 * committed ones alone).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoffeeChatClient } from '@coffeechat/client';
import type { Post, Room } from '@coffeechat/contracts';
import { eventually, tokenFor } from '@coffeechat/testkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { launchChromium } from './chromium.js';
import { WebStack } from './web-stack.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../../..');
const SCREENSHOTS = path.join(
  ROOT,
  process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : '.test-results/screenshots',
);
const DESKTOP = { width: 1024, height: 720 };
const PHONE = { width: 390, height: 760 };

let stack: WebStack;
let browser: Browser;
const contexts: BrowserContext[] = [];
const clients: CoffeeChatClient[] = [];
/** what Chromium reported as blocked by the server's Content-Security-Policy */
let cspViolations: string[] = [];

beforeAll(async () => {
  stack = await WebStack.start('web');
  browser = await launchChromium();
});

afterEach(() => {
  const seen = cspViolations;
  cspViolations = [];
  expect(seen, 'the pages broke their Content-Security-Policy').toEqual([]);
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

async function newPage(viewport = DESKTOP): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (msg) => {
    if (msg.type() === 'error' && msg.text().includes('Content Security Policy')) cspViolations.push(msg.text());
  });
  return { context, page };
}

/** Development sign-in through the form, as a person does it. */
async function signIn(page: Page, userId: string): Promise<void> {
  await page.goto(stack.webUrl);
  await page.getByLabel('User name').fill(userId);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator(`.me[data-user="${userId}"]`).waitFor();
}

const createRoom = (memberIds: string[], title?: string) =>
  stack.json<Room>('message-router', 'ops', 'POST', '/rooms', { memberIds, ...(title ? { title } : {}) });

/** A Node SDK client for the other side of a conversation. */
async function sdkUser(userId: string, roomId: string): Promise<CoffeeChatClient> {
  const client = new CoffeeChatClient({ url: stack.wsUrl, token: () => tokenFor(userId), WebSocket });
  clients.push(client);
  await client.connect();
  await client.join(roomId);
  return client;
}

interface Shown {
  seq: number;
  body: string;
}

const shownMessages = (page: Page): Promise<Shown[]> =>
  page.$$eval('.messages li.message[data-seq]', (items) =>
    items.map((li) => ({
      seq: Number((li as HTMLElement).dataset.seq),
      body: li.querySelector('.body')?.textContent ?? '',
    })),
  );

/** Each seq once, consecutive, ascending. */
function expectContiguous(shown: Shown[], first: number, last: number): void {
  expect(shown.map((m) => m.seq)).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
}

const message = (page: Page, body: string) => page.locator('.messages li.message .body', { hasText: body });

describe('chat in the browser', () => {
  it('two people chat both ways, see typing, unread counts, read markers and the other leave', async () => {
    const room = await createRoom(['ann', 'ben'], 'Rust ownership, over coffee');
    const { page: ann } = await newPage();
    const { context: benContext, page: ben } = await newPage(PHONE);

    // ann signs in with the form and opens the room from her list; ben comes through a link with a token.
    await signIn(ann, 'ann');
    await ann.locator(`li[data-room-id="${room.roomId}"] a`).click();
    await ann.getByRole('heading', { name: 'Rust ownership, over coffee' }).waitFor();
    const benToken = await tokenFor('ben');
    await ben.goto(`${stack.webUrl}/?token=${benToken}&room=${room.roomId}`);
    await ben.getByRole('heading', { name: 'Rust ownership, over coffee' }).waitFor();
    expect(ben.url()).not.toContain('token='); // the token leaves the address bar
    await ann.locator('.connection[data-state="open"]').waitFor();
    await ann.locator('.members li[data-user="ben"][data-presence="online"]').waitFor();

    // ann → ben, with the sending state settling to sent
    await ann.getByLabel('Message', { exact: true }).fill('Hi Ben! Borrow checker questions?');
    await ann.getByLabel('Message', { exact: true }).press('Enter');
    await message(ben, 'Borrow checker questions?').waitFor();
    await ann.locator('.messages li.message.mine .status[data-status="sent"]').first().waitFor();
    expect(await ann.locator('.outgoing').count()).toBe(0);

    // ben types: ann sees it; ben answers: ann sees the answer and the typing line clears
    await ben.getByLabel('Message', { exact: true }).pressSequentially('Yes, lifet', { delay: 30 });
    await ann.getByText('ben is typing…').waitFor();
    await ben.getByLabel('Message', { exact: true }).pressSequentially('imes mostly', { delay: 10 });
    await ben.getByRole('button', { name: 'Send' }).click();
    await message(ann, 'Yes, lifetimes mostly').waitFor();
    await eventually(async () => expect(await ann.locator('.typing').textContent()).toBe(''), 6000);

    // ben read ann's message: ann sees where ben is
    await ann.locator('.seen-by', { hasText: 'Seen by ben' }).waitFor();

    // unread counts move live on ann's room list
    await ann.getByRole('link', { name: 'Chats' }).click();
    await ben.getByLabel('Message', { exact: true }).fill('One more thing');
    await ben.getByLabel('Message', { exact: true }).press('Enter');
    await ben.getByLabel('Message', { exact: true }).fill('and another');
    await ben.getByLabel('Message', { exact: true }).press('Enter');
    await ann.locator(`li[data-room-id="${room.roomId}"] .unread[data-unread="2"]`).waitFor();
    await ann.locator(`li[data-room-id="${room.roomId}"] a`).click();
    await message(ann, 'and another').waitFor();
    await ann.getByRole('link', { name: 'Chats' }).click();
    await ann.locator(`li[data-room-id="${room.roomId}"]`).waitFor();
    expect(await ann.locator(`li[data-room-id="${room.roomId}"] .unread`).count()).toBe(0);
    await ann.locator(`li[data-room-id="${room.roomId}"] a`).click();

    // the screenshots: ann's room with ben typing, and ben's on a phone
    await ben.getByLabel('Message', { exact: true }).pressSequentially('Also', { delay: 30 });
    await ann.getByText('ben is typing…').waitFor();
    await ann.screenshot({ path: path.join(SCREENSHOTS, 'room.png') });
    await ben.screenshot({ path: path.join(SCREENSHOTS, 'room-phone.png') });
    const seqs = (await shownMessages(ann)).map((m) => m.seq);
    expect(seqs).toEqual([1, 2, 3, 4]);
    expect((await shownMessages(ben)).map((m) => m.seq)).toEqual(seqs);

    // ben closes the tab: ann sees his dot go offline
    const closedAt = Date.now();
    await benContext.close();
    await ann.locator('.members li[data-user="ben"][data-presence="offline"]').waitFor({ timeout: 10_000 });
    expect(Date.now() - closedAt).toBeLessThan(8000);
  });

  it('a reload resumes with nothing missed and nothing doubled, history paging back to the first message', async () => {
    const room = await createRoom(['cat', 'dov']);
    const dov = await sdkUser('dov', room.roomId);
    for (let i = 1; i <= 60; i++) await dov.send(room.roomId, `before ${i}`);
    const { page } = await newPage();
    await signIn(page, 'cat');
    await page.goto(`${stack.webUrl}/rooms/${room.roomId}`);
    await message(page, 'before 60').waitFor();

    // dov keeps talking while cat reloads
    const during = (async () => {
      for (let i = 1; i <= 20; i++) {
        await dov.send(room.roomId, `during ${i}`);
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    await page.reload();
    await during;
    await message(page, 'during 20').waitFor();

    // scroll up until the first message: every seq exactly once
    const timeline = page.locator('.timeline');
    await eventually(
      async () => {
        await timeline.evaluate((el) => {
          el.scrollTop = 0;
          el.dispatchEvent(new Event('scroll'));
        });
        await page.getByText('This is the start of the conversation.').waitFor({ timeout: 1000 });
      },
      20_000,
      200,
    );
    const shown = await shownMessages(page);
    expectContiguous(shown, 1, 80);
    expect(new Set(shown.map((m) => m.body)).size).toBe(80);
  });

  it('a dropped network loses nothing: messages sent meanwhile arrive, the one written offline goes out once', async () => {
    const room = await createRoom(['eli', 'fay']);
    const fay = await sdkUser('fay', room.roomId);
    const fayGot: string[] = [];
    fay.on('message', (m) => fayGot.push(m.body));
    await fay.send(room.roomId, 'are you there?');
    const { context, page } = await newPage();
    await signIn(page, 'eli');
    await page.goto(`${stack.webUrl}/rooms/${room.roomId}`);
    await message(page, 'are you there?').waitFor();

    await context.setOffline(true);
    await page.locator('.connection[data-state="offline"]').waitFor();
    await page.getByLabel('Message', { exact: true }).fill('written on the train');
    await page.getByLabel('Message', { exact: true }).press('Enter');
    await page.locator('.outgoing[data-status="pending"]', { hasText: 'written on the train' }).waitFor();
    for (let i = 1; i <= 3; i++) await fay.send(room.roomId, `while you were away ${i}`);
    // really cut off: nothing arrives and the message stays unsent (the client keeps retrying)
    await new Promise((r) => setTimeout(r, 2500));
    expect(await message(page, 'while you were away').count()).toBe(0);
    expect(await page.locator('.outgoing[data-status="pending"]').count()).toBe(1);
    expect(fayGot).not.toContain('written on the train');
    await context.setOffline(false);

    await page.locator('.connection[data-state="open"]').waitFor({ timeout: 20_000 });
    await message(page, 'while you were away 3').waitFor();
    await page.locator('.messages li.message.mine[data-seq]', { hasText: 'written on the train' }).waitFor();
    await page.locator('.outgoing').waitFor({ state: 'detached' });
    await eventually(() => expect(fayGot.filter((b) => b === 'written on the train')).toHaveLength(1), 10_000);
    const shown = await shownMessages(page);
    expectContiguous(shown, 1, 5);
    expect(shown.filter((m) => m.body === 'written on the train')).toHaveLength(1);
  });
});

describe('posts in the browser', () => {
  it('the feed scrolls through every post, a post can be written and edited, popular ranks and a like moves a post', async () => {
    const make = (author: string, title: string, tags: string[]) =>
      stack.json<Post>('feed', author, 'POST', '/posts', { title, body: `${title}: let us talk.`, tags });
    for (let i = 1; i <= 22; i++) await make(`author${i % 4}`, `Coffee topic ${i}`, ['misc']);
    const viewed = await make('gus', 'Kafka or RabbitMQ for chat?', ['messaging', 'backend']);
    const liked = await make('hal', 'Pairing on a Preact app', ['frontend']);
    // two readers make the first post popular
    for (const reader of ['ivy', 'jon']) await stack.json('feed', reader, 'GET', `/posts/${viewed.postId}`);

    const { page } = await newPage();
    await signIn(page, 'kim');

    // the feed: newest first, the next page loads on scrolling to the end
    await page.getByRole('link', { name: 'Feed' }).click();
    await page.locator(`article[data-post-id="${liked.postId}"]`).waitFor();
    await eventually(
      async () => {
        await page.mouse.wheel(0, 4000);
        await page.getByText('You have seen every post.').waitFor({ timeout: 500 });
      },
      15_000,
      100,
    );
    const feedIds = await page.$$eval('.feed article[data-post-id]', (els) =>
      els.map((e) => (e as HTMLElement).dataset.postId),
    );
    expect(feedIds).toHaveLength(24);
    expect(new Set(feedIds).size).toBe(24);
    expect(feedIds[0]).toBe(liked.postId);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'feed.png') });

    // write a post, then edit it
    await page.getByRole('link', { name: 'Write', exact: true }).click();
    await page.getByLabel('Title').fill('Looking for a TypeScript coffee chat');
    await page.getByLabel('What would you like to chat about?').fill('Monorepos, turbo and pnpm.');
    await page.getByLabel('Tags (up to 5, comma-separated)').fill('typescript, tooling');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByRole('heading', { name: 'Looking for a TypeScript coffee chat' }).waitFor();
    await page.getByRole('link', { name: 'Edit' }).click();
    await eventually(async () =>
      expect(await page.getByLabel('Title').inputValue()).toBe('Looking for a TypeScript coffee chat'),
    );
    await page.getByLabel('Title').fill('Looking for a TypeScript coffee chat (edited)');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Looking for a TypeScript coffee chat (edited)' }).waitFor();

    // popular: the viewed post leads; kim opens and likes the other one, which moves above it
    await page.goto(`${stack.webUrl}/posts/popular?window=24h`);
    const ranked = () =>
      page.$$eval('.popular article[data-post-id]', (els) => els.map((e) => (e as HTMLElement).dataset.postId));
    await page.locator(`.popular article[data-post-id="${viewed.postId}"]`).waitFor();
    expect((await ranked())[0]).toBe(viewed.postId);
    await page.goto(`${stack.webUrl}/posts/${liked.postId}`);
    await page.getByRole('button', { name: 'Like' }).click();
    await page.locator('[data-counter="likes"]', { hasText: '1 like' }).waitFor();
    expect(await page.getByRole('button', { name: 'Unlike' }).getAttribute('aria-pressed')).toBe('true');
    await eventually(
      async () => {
        await page.goto(`${stack.webUrl}/posts/popular?window=24h`);
        await page.locator('.popular article[data-post-id]').first().waitFor();
        expect((await ranked())[0]).toBe(liked.postId);
      },
      10_000,
      300,
    );
    expect(await ranked()).toContain(viewed.postId);

    // the window buttons and the tag filter
    await page.getByRole('button', { name: '7d' }).click();
    await page.locator('.segmented button[aria-pressed="true"]', { hasText: '7d' }).waitFor();
    await page.getByLabel('Tag', { exact: true }).fill('#Messaging');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('heading', { name: 'Popular in #messaging' }).waitFor();
    await eventually(async () => expect(await ranked()).toEqual([viewed.postId]));
    await page.screenshot({ path: path.join(SCREENSHOTS, 'popular.png') });
  });
});
