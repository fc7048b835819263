// The page's entry point: a hash router between the fleet overview (#/) and one target
// (#/targets/{namespace}/{name}), plus the token prompt when the dashboard is protected.
import { ApiError, forgetToken, saveToken } from './api-client.ts';
import { el, replaceChildren } from './dom.ts';
import { showOverview, type View } from './overview.ts';
import { showTarget } from './target-page.ts';

const root = document.getElementById('app')!;
let current: View | undefined;

function showTokenForm(message: string): void {
  current?.dispose();
  current = undefined;
  const input = el('input', { type: 'password', name: 'token', id: 'token-input', autocomplete: 'current-password', required: '' });
  const form = el(
    'form',
    { class: 'card token-form', id: 'token-form' },
    el('h1', null, 'Token needed'),
    el('p', null, message),
    el('label', { class: 'field' }, el('span', null, 'Bearer token'), input),
    el('div', { class: 'form-actions' }, el('button', { type: 'submit' }, 'Open dashboard')),
    el('p', { class: 'muted' }, 'Kept in this browser tab only (sessionStorage).'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    saveToken(input.value);
    route();
  });
  replaceChildren(root, form);
  input.focus();
}

function showError(error: unknown): void {
  if (error instanceof ApiError && error.status === 401) {
    forgetToken();
    showTokenForm('This dashboard is protected by a bearer token (http.bearerTokenFile in the server config).');
    return;
  }
  const message = error instanceof ApiError ? `${error.code}: ${error.message}` : `Cannot reach the scaler: ${String(error)}`;
  const banner = root.querySelector('#error-banner') ?? el('p', { id: 'error-banner', class: 'error-text', role: 'alert' });
  banner.textContent = message;
  if (!banner.isConnected) root.prepend(banner);
}

function route(): void {
  current?.dispose();
  const match = /^#\/targets\/([^/]+)\/([^/]+)$/.exec(location.hash);
  if (match) {
    try {
      current = showTarget(root, decodeURIComponent(match[1]!), decodeURIComponent(match[2]!), showError);
      return;
    } catch {
      // A malformed hash falls through to the overview.
    }
  }
  current = showOverview(root, showError);
  window.scrollTo(0, 0);
}

window.addEventListener('hashchange', route);
route();
