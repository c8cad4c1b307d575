import type { ComponentChildren } from 'preact';
import type { Actor } from '../../policies/actor.js';

export interface LayoutProps {
  title: string;
  actor: Actor | undefined;
  csrfToken: string;
  instanceName: string;
  children: ComponentChildren;
}

export function Layout({ title, actor, csrfToken, children }: LayoutProps) {
  const user = actor?.kind === 'user' ? actor : undefined;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>{`${title} · Embargo`}</title>
        <link rel="stylesheet" href="/assets/app.css" />
        <script src="/assets/app.js" defer />
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
