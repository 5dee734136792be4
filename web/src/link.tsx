// An in-app link: a real <a href> (so it opens in a new tab, is copied and
// read out like one), navigated in place on a plain click.

import { navigate } from './store';

export function Link({ href, children, ...rest }: { href: string; children: preact.ComponentChildren; class?: string; 'aria-current'?: 'page' }) {
  return (
    <a
      href={href}
      {...rest}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}
