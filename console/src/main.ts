import './style.css';
import { adoptTokenFromUrl, hasToken, setToken } from './api.js';
import { el, errorBox } from './dom.js';
import { experimentsPage } from './pages/experiments.js';
import { ngPage } from './pages/ng.js';
import { overviewPage } from './pages/overview.js';
import { qualityPage } from './pages/quality.js';
import { shopperPage } from './pages/shopper.js';

const PAGES = new Map<string, { title: string; render: (main: HTMLElement) => Promise<void> }>([
  ['overview', { title: 'Overview', render: overviewPage }],
  ['experiments', { title: 'Experiments', render: experimentsPage }],
  ['quality', { title: 'Offline quality', render: qualityPage }],
  ['shopper', { title: 'Try a shopper', render: shopperPage }],
  ['ng', { title: 'NG items', render: ngPage }],
]);

const main = document.getElementById('main')!;

function tokenForm(): HTMLElement {
  const input = el('input', { id: 'admin-token', type: 'password', autocomplete: 'off', required: true });
  return el(
    'form',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        setToken(input.value.trim());
        void route();
      },
    },
    el('label', { for: 'admin-token' }, 'Admin token (printed by npm start)', input),
    el('button', { type: 'submit' }, 'Use token'),
  );
}

let rendering = 0;
async function route(): Promise<void> {
  const name = /^#\/([a-z]+)/.exec(location.hash)?.[1] ?? 'overview';
  const page = PAGES.get(name) ?? PAGES.get('overview')!;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === `#/${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${page.title} · osusume console`;
  const mine = ++rendering;
  // a page still loading when the next one is chosen draws into its own, detached, section
  const section = el('section', { 'aria-labelledby': 'page-title' });
  main.replaceChildren(el('h1', { id: 'page-title' }, page.title), section);
  main.setAttribute('aria-busy', 'true');
  main.dataset.page = name;
  try {
    await page.render(section);
  } catch (err) {
    section.append(errorBox(err));
    if (!hasToken()) section.append(tokenForm());
  } finally {
    if (mine === rendering) main.setAttribute('aria-busy', 'false');
  }
}

adoptTokenFromUrl();
window.addEventListener('hashchange', () => {
  void route().then(() => main.focus());
});
void route();
