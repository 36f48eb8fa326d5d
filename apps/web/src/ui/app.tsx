import { useEffect, useMemo, useState } from 'preact/hooks';
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { ChatStore } from '../chat/chat-store.js';
import type { AppConfig } from '../config.js';
import { FeedApi } from '../posts/feed-api.js';
import { LikedPosts } from '../posts/liked-posts.js';
import { type Session, signOut } from '../session.js';
import { ConnectionBadge } from './connection-badge.js';
import { type AppServices, Services } from './context.js';
import { FeedPage } from './feed-page.js';
import { PopularPage } from './popular-page.js';
import { PostEditor } from './post-editor.js';
import { PostPage } from './post-page.js';
import { RoomPage } from './room-page.js';
import { RoomsPage } from './rooms-page.js';
import { SignIn } from './sign-in.js';

export function App(props: { config: AppConfig; session: Session | null; problem: string | null }) {
  const [session, setSession] = useState(props.session);
  if (!session) return <SignIn config={props.config} problem={props.problem} onSignedIn={setSession} />;
  return (
    <SignedIn
      key={session.userId}
      config={props.config}
      session={session}
      onSignOut={() => {
        signOut();
        setSession(null);
      }}
    />
  );
}

function SignedIn({ config, session, onSignOut }: { config: AppConfig; session: Session; onSignOut: () => void }) {
  const services = useMemo<AppServices>(
    () => ({
      config,
      session,
      chat: new ChatStore(config, session),
      feed: new FeedApi(config.feedUrl, session.token),
      liked: new LikedPosts(session.userId),
    }),
    [config, session],
  );
  useEffect(() => {
    services.chat.start();
    return () => services.chat.stop();
  }, [services]);
  return (
    <Services.Provider value={services}>
      <LocationProvider>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/">
            ☕ CoffeeChat
          </a>
          <Nav />
          <ConnectionBadge chat={services.chat} />
          <span class="me" data-user={session.userId}>
            {session.userId}
          </span>
          <button type="button" class="link" onClick={onSignOut}>
            Sign out
          </button>
        </header>
        <main id="main">
          <Router>
            <Route path="/" component={RoomsPage} />
            <Route path="/rooms/:roomId" component={RoomPage} />
            <Route path="/posts" component={FeedPage} />
            <Route path="/posts/popular" component={PopularPage} />
            <Route path="/posts/new" component={PostEditor} />
            <Route path="/posts/:postId/edit" component={PostEditor} />
            <Route path="/posts/:postId" component={PostPage} />
            <Route default component={NotFound} />
          </Router>
        </main>
      </LocationProvider>
    </Services.Provider>
  );
}

const NAV = [
  { href: '/', label: 'Chats', active: (p: string) => p === '/' || p.startsWith('/rooms/') },
  { href: '/posts', label: 'Feed', active: (p: string) => p === '/posts' },
  { href: '/posts/popular', label: 'Popular', active: (p: string) => p === '/posts/popular' },
  { href: '/posts/new', label: 'Write', active: (p: string) => p === '/posts/new' },
];

function Nav() {
  const { path } = useLocation();
  return (
    <nav aria-label="Main">
      {NAV.map((n) => (
        <a key={n.href} href={n.href} aria-current={n.active(path) ? 'page' : undefined}>
          {n.label}
        </a>
      ))}
    </nav>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <a href="/">Back to your chats</a>
    </section>
  );
}
