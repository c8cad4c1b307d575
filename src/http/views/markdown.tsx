import MarkdownIt from 'markdown-it';

// Raw HTML is escaped, not passed through; markdown-it's link validation refuses javascript:,
// vbscript:, file: and data: URLs. Images are not rendered at all: a reporter's Markdown must not
// make the team's browsers fetch a remote "tracking pixel" (CSP img-src 'self' would block it too).
const md = new MarkdownIt({ html: false, linkify: true, breaks: false });
md.disable(['image']);

const defaultLinkOpen =
  md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx];
  if (token) {
    token.attrSet('rel', 'nofollow noopener noreferrer');
    token.attrSet('target', '_blank');
  }
  return defaultLinkOpen(tokens, idx, options, env, self);
};

/** Markdown rendered to HTML that is safe to place in a page. */
export function renderMarkdown(source: string): string {
  return md.render(source);
}

/** A block of user-written Markdown. */
export function Markdown({ source }: { source: string }) {
  // Safe: renderMarkdown escapes raw HTML and vets link URLs.
  return <div class="markdown" dangerouslySetInnerHTML={{ __html: renderMarkdown(source) }} />;
}
