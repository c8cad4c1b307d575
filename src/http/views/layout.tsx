import type { ComponentChildren } from 'preact';
import type { Actor } from '../../policies/actor.js';

export interface LayoutProps {
  title: string;
  actor: Actor | undefined;
  csrfToken: string;
  instanceName: string;
  children: ComponentChildren;
  /** Enhancement scripts under /assets/ besides app.js. */
  scripts?: readonly string[];
  /** Stylesheets under /assets/ besides app.css. */
  styles?: readonly string[];
  /** Atom feeds of the page, announced in the head so that feed readers find them. */
  feeds?: readonly { title: string; href: string }[];
}

export function Layout({ title, actor, csrfToken, children, scripts = [], styles = [], feeds = [] }: LayoutProps) {
  const user = actor?.kind === 'user' ? actor : undefined;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${title} · Embargo`}</title>
        <link rel="stylesheet" href="/assets/app.css" />
        {styles.map((file) => (
          <link key={file} rel="stylesheet" href={`/assets/${file}`} />
        ))}
        {feeds.map((feed) => (
          <link key={feed.href} rel="alternate" type="application/atom+xml" title={feed.title} href={feed.href} />
        ))}
        <script src="/assets/app.js" defer />
        {scripts.map((file) => (
          <script key={file} src={`/assets/${file}`} defer />
        ))}
      </head>
      <body>
        <header class="site">
          <a class="brand" href="/">
            Embargo
          </a>
          <nav>
            {user ? (
              <>
                <a href="/projects">Projects</a>
                {user.isInstanceAdmin ? <a href="/admin">Admin</a> : null}
                {user.distributorOf && user.distributorOf.size > 0 ? (
                  <a href="/distributor">Distributor portal</a>
                ) : null}
                <a href="/account/tokens">API tokens</a>
                <span class="who">{user.name}</span>
                <form method="post" action="/logout" class="inline">
                  <input type="hidden" name="_csrf" value={csrfToken} />
                  <button type="submit" class="link">
                    Sign out
                  </button>
                </form>
              </>
            ) : (
              <a href="/login">Team sign-in</a>
            )}
          </nav>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}

/** The hidden CSRF field every state-changing form carries. */
export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}
