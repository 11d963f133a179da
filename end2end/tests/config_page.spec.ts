import { expect, test, type Page } from '@playwright/test';

import { fillValid, openPage } from './helpers';
import { adminToken, clearMessages, messages, peer } from './peers';

const API = '/api/send_test_email';
const APP = process.env.E2E_APP ?? '127.0.0.1:3100';

function countApiCalls(page: Page): { count: number } {
  const seen = { count: 0 };
  page.on('request', (request) => {
    if (request.url().includes(API)) seen.count += 1;
  });
  return seen;
}

// Every response the app sends in every test is kept and searched for the secrets: the
// stored secret is write-only, and nothing else may echo one either.
const responses: Promise<string>[] = [];
test.beforeEach(async ({ page }) => {
  await clearMessages();
  responses.length = 0;
  page.on('response', (response) => {
    if (!response.url().includes(APP)) return;
    // A redirect has no body; any other body that cannot be read fails the test rather
    // than passing the scan unread.
    const status = response.status();
    responses.push(status >= 300 && status < 400 ? Promise.resolve('') : response.text());
  });
});
test.afterEach(async () => {
  const bodies = await Promise.all(responses);
  for (const body of bodies) {
    expect(body.includes(peer.clientSecret), 'a response carried the client secret').toBe(false);
    expect(body.includes(peer.smtpPassword), 'a response carried the SMTP password').toBe(false);
  }
});

test('the page shows the form with the help article labels', async ({ page }) => {
  await openPage(page);
  await expect(page.getByRole('heading', { name: 'SMTP configuration' })).toBeVisible();
  await expect(page.getByLabel('Authentication type')).toHaveValue('microsoft_oauth2');
  for (const label of ['Email address', 'Name', 'TenantId', 'SMTP User', 'SMTP Password', 'Send test to']) {
    await expect(page.getByLabel(label, { exact: true })).toBeVisible();
  }
  await expect(page.getByLabel('SMTP Password', { exact: true })).toHaveAttribute('type', 'password');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByLabel('SMTP Password', { exact: true })).toHaveAttribute('type', 'text');
});

test('invalid values show messages as you type, send nothing, and clear when fixed', async ({ page }) => {
  await openPage(page);
  const calls = countApiCalls(page);

  const password = page.getByLabel('SMTP Password', { exact: true });
  await password.fill('8c5b1e3a-2f4d-4c6b-9a7e-1d2c3b4a5f60');
  await password.blur();
  const passwordError = page.locator('#smtp-password-error');
  await expect(passwordError).toContainText("looks like the secret's ID");
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(password).toHaveAttribute('aria-describedby', /smtp-password-error/);

  const name = page.getByLabel('Name', { exact: true });
  await name.fill('Sales');
  await name.blur();
  // Browsers strip CR/LF from an <input>'s value, but not the Unicode line separator,
  // which some mail software still treats as a line break.
  await name.fill('Sales\u2028Bcc: victim@example.com');
  await expect(page.locator('#display-name-error')).toContainText('line breaks');

  const tenant = page.getByLabel('TenantId', { exact: true });
  await tenant.fill('common');
  await tenant.blur();
  await expect(page.locator('#tenant-id-error')).toContainText('app-only');

  // Submitting the invalid form: every message shows, focus goes to the first invalid
  // field (Email address is empty), and no request reaches the server.
  await page.getByRole('button', { name: 'Send test email' }).click();
  await expect(page.locator('#email-address-error')).toContainText('Enter an email address');
  await expect(page.getByLabel('Email address', { exact: true })).toBeFocused();
  await expect(page.locator('#smtp-user-error')).toHaveText('Enter the Application (client) ID of the app registration.');

  // Fixing values clears their messages at once, keystroke by keystroke.
  await tenant.fill(peer.tenant);
  await expect(page.locator('#tenant-id-error')).toBeEmpty();
  await expect(tenant).toHaveAttribute('aria-invalid', 'false');
  await password.fill(peer.clientSecret);
  await expect(passwordError).toBeEmpty();
  await name.fill('Sales');
  await expect(page.locator('#display-name-error')).toBeEmpty();

  expect(calls.count).toBe(0);
  expect(await messages()).toHaveLength(0);
});

test('validation needs the WebAssembly bundle (control: no WASM, no messages)', async ({ page }) => {
  await page.route('**/*.wasm', (route) => route.abort());
  await page.goto(`/login?token=${adminToken}`);
  const tenant = page.getByLabel('TenantId', { exact: true });
  await tenant.fill('common');
  await tenant.blur();
  await expect(page.getByRole('button', { name: 'Send test email' })).toBeDisabled();
  await expect(page.locator('#tenant-id-error')).toBeEmpty();
});

test('the page still hydrates when a proxy serves the WASM with another content type', async ({ page }) => {
  // Streaming compilation refuses a WASM that is not application/wasm; the page's own
  // hydration script then hands the URL to wasm-bindgen, which compiles it from bytes.
  let served = 0;
  await page.route('**/*.wasm', async (route) => {
    const response = await route.fetch();
    served += 1;
    await route.fulfill({ status: 200, contentType: 'application/octet-stream', body: await response.body() });
  });
  await openPage(page);
  expect(served).toBeGreaterThanOrEqual(2);
  const tenant = page.getByLabel('TenantId', { exact: true });
  await tenant.fill('common');
  await tenant.blur();
  await expect(page.locator('#tenant-id-error')).not.toBeEmpty();
});

test('a valid configuration sends the test email and shows a toast', async ({ page }) => {
  await openPage(page);
  await fillValid(page);
  const calls = countApiCalls(page);
  await page.getByRole('button', { name: 'Send test email' }).click();

  const toast = page.getByRole('status');
  await expect(toast).toContainText('Test email sent to admin@contoso-test.com');
  expect(calls.count).toBe(1);

  const received = await messages();
  expect(received).toHaveLength(1);
  expect(received[0].authUser).toBe(peer.mailbox);
  expect(received[0].from).toEqual({ address: peer.mailbox, name: 'Contoso Notifications' });
  expect(received[0].to).toEqual(['admin@contoso-test.com']);
  expect(received[0].subject).toContain('smtp-setup test email');
  // After a success the checklist is there, closed, with every step passed.
  const report = page.locator('details.checklist');
  await expect(report).not.toHaveAttribute('open', '');
  await expect(report.locator('li[data-status="passed"]')).toHaveCount(9);
  // The transcript: the dialogue as it was, with the credentials redacted.
  const transcript = page.locator('details.transcript');
  await transcript.locator('summary').click();
  const lines = transcript.locator('#transcript-text');
  await expect(lines).toContainText('C: STARTTLS');
  await expect(lines).toContainText('* TLS handshake done: TLS 1.3');
  await expect(lines).toContainText('C: [redacted]');
  await expect(lines).toContainText('S: 235');
  await expect(lines).not.toContainText(peer.clientSecret);
  await expect(lines).not.toContainText('eyJ');

  await toast.getByRole('button', { name: 'Dismiss' }).click();
  await expect(toast).toBeEmpty();
});

test('the success toast leaves by itself', async ({ page }) => {
  await page.clock.install();
  await openPage(page);
  await fillValid(page);
  await page.getByRole('button', { name: 'Send test email' }).click();
  const toast = page.getByRole('status');
  await expect(toast).toContainText('Test email sent');
  // The page's clock, not the wall clock: just before its 6 s the toast is there, after
  // them it has gone by itself (nothing is clicked).
  await page.clock.runFor(5_500);
  await expect(toast).toContainText('Test email sent');
  await page.clock.runFor(1_000);
  await expect(toast).toBeEmpty();
});

test('while a test runs the button shows progress and cannot be pressed again', async ({ page }) => {
  await openPage(page);
  await fillValid(page);
  // Hold the request in the browser until the assertions are done: no timing involved.
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => { release = resolve; });
  await page.route(`**${API}`, async (route) => {
    await released;
    await route.continue();
  });
  const calls = countApiCalls(page);
  const button = page.locator('#send-test');
  await button.click();
  await expect(button).toBeDisabled();
  await expect(button).toHaveText('Sending test email…');
  await expect(button).toHaveAttribute('aria-busy', 'true');
  await button.click({ force: true });
  await page.locator('form.config').dispatchEvent('submit');
  release();
  await expect(page.getByRole('status')).toContainText('Test email sent');
  await expect(button).toHaveText('Send test email');
  expect(calls.count).toBe(1);
  expect(await messages()).toHaveLength(1);
});

test('an empty "Send test to" sends to the mailbox itself', async ({ page }) => {
  await openPage(page);
  await fillValid(page, { 'Send test to': '' });
  await expect(page.getByLabel('Send test to', { exact: true })).toHaveAttribute('placeholder', peer.mailbox);
  await page.getByRole('button', { name: 'Send test email' }).click();
  await expect(page.getByRole('status')).toContainText(`Test email sent to ${peer.mailbox}`);
  expect((await messages())[0].rcptTo).toEqual([peer.mailbox]);
});

test('a wrong secret shows a lasting panel with the step, the Entra error and the field', async ({ page }) => {
  await page.clock.install();
  await openPage(page);
  await fillValid(page, { 'SMTP Password': 'Wrong8Q~not-the-secret' });
  await page.getByRole('button', { name: 'Send test email' }).click();

  const panel = page.getByRole('alert').filter({ hasText: 'Test failed at' });
  await expect(panel).toContainText('Token request to Microsoft Entra ID');
  await expect(panel).toContainText('AADSTS7000215: Invalid client secret provided.');
  await expect(panel).toContainText('Trace ID');
  await expect(panel.getByRole('link', { name: 'SMTP Password' })).toHaveAttribute('href', '#smtp-password');
  await expect(page.locator('.field.at-fault #smtp-password')).toBeVisible();
  await expect(panel).not.toContainText('ServerFnError');
  // The checklist opens on failure: inputs passed, token request failed, the rest skipped.
  const report = page.locator('details.checklist');
  await expect(report).toHaveAttribute('open', '');
  await expect(report.locator('li[data-status="passed"]')).toHaveText([/Inputs parsed/]);
  await expect(report.locator('li[data-status="failed"]')).toContainText('Token request to Microsoft Entra ID');
  await expect(report.locator('li[data-status="skipped"]')).toHaveCount(7);
  expect(await messages()).toHaveLength(0);

  // Lasting: long after a toast would have gone, the panel is still there.
  await page.clock.runFor(60_000);
  await expect(panel).toContainText('AADSTS7000215');
  await panel.getByRole('button', { name: 'Dismiss' }).click();
  await expect(panel).toHaveCount(0);
});

test("the failure panel links to the error's entry in the catalogue", async ({ page }) => {
  await openPage(page);
  await fillValid(page, { 'SMTP Password': 'Wrong8Q~not-the-secret' });
  await page.getByRole('button', { name: 'Send test email' }).click();
  const panel = page.getByRole('alert').filter({ hasText: 'Test failed at' });
  await panel.getByRole('link', { name: 'This error in the error catalogue' }).click();
  await expect(page).toHaveURL(/\/errors#aadsts7000215$/);
  const entry = page.locator('article#aadsts7000215');
  await expect(entry.locator('h3')).toContainText('Entra ID refused the client secret.');
  await expect(entry).toContainText("Paste the secret's Value, not its Secret ID");
  await expect(entry).toBeInViewport();
});

test('a mailbox the app may not use fails at authentication with the SMTP reply', async ({ page }) => {
  await openPage(page);
  await fillValid(page, { 'Email address': 'someone-else@contoso-test.com' });
  await page.getByRole('button', { name: 'Send test email' }).click();
  const panel = page.getByRole('alert').filter({ hasText: 'Test failed at' });
  await expect(panel).toContainText('Authenticate (AUTH)');
  await expect(panel).toContainText('535 5.7.3 Authentication unsuccessful');
  await expect(panel).toContainText('Add-MailboxPermission');
});

test('the server refuses invalid input sent around the page, with the same messages', async ({ request }) => {
  await request.get(`/login?token=${adminToken}`);
  const response = await request.post(API, {
    data: {
      form: {
        email_address: peer.mailbox,
        name: 'Sales\r\nBcc: victim@example.com',
        tenant_id: peer.tenant,
        client_id: peer.clientId,
        client_secret: '8c5b1e3a-2f4d-4c6b-9a7e-1d2c3b4a5f60',
        send_test_to: '',
      },
    },
  });
  expect(response.ok()).toBeTruthy();
  const body = await response.json();
  // The refusals as values (the page words them in its language), the same as the
  // browser's own parse gives.
  const invalid = Object.fromEntries(body.report.outcome.Invalid);
  expect(invalid.Name).toEqual({ DisplayName: 'LineBreak' });
  expect(invalid.ClientSecret).toEqual({ ClientSecret: 'LooksLikeSecretId' });
  // The real secret with an invalid name: refused, and the answer never echoes it.
  const typed = await request.post(API, {
    data: {
      form: {
        email_address: peer.mailbox,
        name: 'Sales\r\nBcc: victim@example.com',
        tenant_id: peer.tenant,
        client_id: peer.clientId,
        client_secret: peer.clientSecret,
      },
    },
  });
  const refused = await typed.text();
  expect(refused).toContain('"Invalid"');
  expect(refused).not.toContain(peer.clientSecret);
  expect(await messages()).toHaveLength(0);
});

test('the setup guide fills its PowerShell in from the form, quoted, as you type', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await openPage(page);
  const objectId = '0F8FAD5B-D9CB-469F-A165-70867728950E';
  await fillValid(page, { 'Email address': "o'brien@contoso-test.com" });
  await page.getByLabel('ObjectId', { exact: true }).fill(objectId);
  await page.locator('#setup-guide summary').click();
  const script = page.locator('#guide-setup-script');
  await expect(script).toContainText(`Connect-ExchangeOnline -Organization '${peer.tenant}'`);
  await expect(script).toContainText(
    `New-ServicePrincipal -AppId '${peer.clientId}' -ObjectId '${objectId.toLowerCase()}'`);
  await expect(script).toContainText(
    `Add-MailboxPermission -Identity 'o''brien@contoso-test.com' -User '${objectId.toLowerCase()}' -AccessRights FullAccess`);
  await expect(page.locator('#guide-check-script')).toContainText('Get-TransportConfig');

  // An invalid value is never pasted into a command: it stays a placeholder.
  await page.getByLabel('ObjectId', { exact: true }).fill('not-a-guid');
  await expect(script).toContainText('-ObjectId <ObjectId>');

  // The cloud changes the connection with it.
  await page.getByLabel('Cloud').selectOption('us-gov-gcc-high');
  await expect(script).toContainText('-ExchangeEnvironmentName O365USGovGCCHigh');

  await page.getByRole('button', { name: 'Copy the setup commands' }).click();
  await expect(page.getByRole('button', { name: 'Copy the setup commands' })).toHaveText('Copied');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(await script.textContent());
});

test('"Username and password" shows its own fields and sends with AUTH PLAIN', async ({ page }) => {
  await openPage(page);
  await page.getByLabel('Authentication type').selectOption('password');
  await expect(page.getByLabel('TenantId', { exact: true })).toBeHidden();
  await expect(page.locator('#setup-guide')).toBeHidden();
  await page.getByLabel('Email address', { exact: true }).fill(peer.mailbox);
  await page.getByLabel('SMTP server', { exact: true }).fill('127.0.0.1');
  await expect(page.getByLabel('Port', { exact: true })).toHaveValue('587');
  await page.getByLabel('Port', { exact: true }).fill(process.env.E2E_SMTP_PORT ?? '3102');
  await page.getByLabel('Username', { exact: true }).fill(peer.smtpUsername);
  await page.getByLabel('Password', { exact: true }).fill('wrong-password');
  await page.getByRole('button', { name: 'Send test email' }).click();

  const panel = page.getByRole('alert').filter({ hasText: 'Test failed at' });
  await expect(panel).toContainText('535 5.7.8');
  await expect(page.locator('.field.at-fault #password')).toBeVisible();
  const report = page.locator('details.checklist');
  await expect(report).not.toContainText('Token request');

  await page.getByLabel('Password', { exact: true }).fill(peer.smtpPassword);
  await page.getByRole('button', { name: 'Send test email' }).click();
  await expect(page.getByRole('status')).toContainText(`Test email sent to ${peer.mailbox}`);
  const received = await messages();
  expect(received).toHaveLength(1);
  expect(received[0].authUser).toBe(peer.smtpUsername);
  await page.locator('details.transcript summary').click();
  await expect(page.locator('#transcript-text')).toContainText('C: AUTH PLAIN [redacted]');
  await expect(page.locator('#transcript-text')).not.toContainText(peer.smtpPassword);
});

test('without a session every page and server function is refused', async ({ page, request }) => {
  const response = await page.goto('/');
  expect(response?.status()).toBe(401);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  for (const endpoint of [API, '/api/save_configuration', '/api/test_history']) {
    const refused = await request.post(endpoint, { data: {} });
    expect(refused.status(), endpoint).toBe(401);
  }
  const wrong = await page.goto('/login?token=not-the-token');
  expect(wrong?.status()).toBe(401);
  expect(await messages()).toHaveLength(0);
});

test('cross-site calls are refused even with a session', async ({ request }) => {
  await request.get(`/login?token=${adminToken}`);
  const response = await request.post(API, {
    headers: { origin: 'https://attacker.example', 'sec-fetch-site': 'cross-site' },
    data: { form: { email_address: peer.mailbox } },
  });
  expect(response.status()).toBe(403);
  expect(await messages()).toHaveLength(0);
});

test('every response carries the security headers and the page runs under its CSP', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  await openPage(page);
  const response = await page.request.get('/');
  const csp = response.headers()['content-security-policy'];
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval' 'nonce-");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(response.headers()['x-content-type-options']).toBe('nosniff');
  expect(response.headers()['referrer-policy']).toBe('no-referrer');
  expect(errors.filter((e) => e.includes('Content Security Policy'))).toEqual([]);
});

test('save, reload: the values are back and the secret is shown only by its fingerprint', async ({ page }) => {
  await openPage(page);
  await fillValid(page);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Configuration saved');
  const secret = page.getByLabel('SMTP Password', { exact: true });
  await expect(secret).toHaveValue('');

  await page.reload();
  await expect(page.getByRole('button', { name: 'Send test email' })).toBeEnabled();
  await expect(page.getByLabel('Email address', { exact: true })).toHaveValue(peer.mailbox);
  await expect(page.getByLabel('SMTP User', { exact: true })).toHaveValue(peer.clientId);
  await expect(secret).toHaveValue('');
  await expect(page.locator('#smtp-password-stored')).toContainText(
    `${peer.clientSecret.slice(0, 3)}… (${peer.clientSecret.length} characters)`);
  expect(await page.content()).not.toContain(peer.clientSecret);

  // A test with the field left empty uses the stored secret, and lands in the history.
  await page.getByRole('button', { name: 'Send test email' }).click();
  await expect(page.getByRole('status')).toContainText('Test email sent to admin@contoso-test.com');
  expect(await messages()).toHaveLength(1);
  const firstRow = page.locator('#history-table tbody tr').first();
  await expect(firstRow).toContainText('admin@contoso-test.com');
  await expect(firstRow).toContainText('Sent');
  await page.reload();
  await expect(page.locator('#history-table tbody tr').first()).toContainText('Sent');
});

test('a save based on a stale version is refused, never a silent overwrite', async ({ browser }) => {
  // Two administrators' pages, both filled in full, so the test needs nothing saved
  // before it.
  const contexts = [await browser.newContext(), await browser.newContext()];
  const [first, second] = await Promise.all(contexts.map((c) => c.newPage()));
  await openPage(first);
  await openPage(second);
  await fillValid(first, { Name: 'Saved first' });
  await fillValid(second, { Name: 'Saved second, from a stale page' });
  await first.getByRole('button', { name: 'Save' }).click();
  await expect(first.getByRole('status')).toContainText('Configuration saved');

  await second.getByRole('button', { name: 'Save' }).click();
  const panel = second.getByRole('alert');
  await expect(panel).toContainText('Not saved: changed by someone else');
  await expect(panel).toContainText('Reload the page');

  await second.reload();
  await expect(second.getByLabel('Name', { exact: true })).toHaveValue('Saved first');
  await Promise.all(contexts.map((c) => c.close()));
});

test('a session that ended is told apart from a server that cannot be reached', async ({ page, context }) => {
  await openPage(page);
  await fillValid(page);
  await context.clearCookies();
  await page.getByRole('button', { name: 'Send test email' }).click();
  const panel = page.getByRole('alert');
  await expect(panel).toContainText('Your session has ended');
  await expect(panel).toContainText('Sign in again');
  await expect(panel).not.toContainText('could not reach');
  expect(await messages()).toHaveLength(0);
});

test('the mailbox check opens INBOX read-only and says how many messages it holds', async ({ page }) => {
  await openPage(page);
  await fillValid(page);
  await page.getByRole('button', { name: 'Test mailbox access' }).click();
  await expect(page.getByRole('status')).toContainText(
    `Mailbox access works: the INBOX of ${peer.mailbox} holds 3 messages`);
  const report = page.locator('details.checklist');
  await expect(report.locator('li[data-status="passed"]')).toHaveCount(9);
  await expect(report).toContainText('Open INBOX read-only (EXAMINE)');
  await page.locator('details.transcript summary').click();
  const lines = page.locator('#transcript-text');
  await expect(lines).toContainText('C: a2 AUTHENTICATE XOAUTH2 [redacted]');
  await expect(lines).toContainText('C: a3 EXAMINE INBOX');
  await expect(lines).not.toContainText('eyJ');
  await expect(page.locator('#history-table tbody tr').first()).toContainText('Mailbox access');
  await expect(page.locator('#history-table tbody tr').first()).toContainText('Mailbox opened');
  expect(await messages()).toHaveLength(0);
});

test('a mailbox the app may not read shows the server\'s words and the PowerShell to fix it', async ({ page }) => {
  await openPage(page);
  await fillValid(page, { 'Email address': 'someone-else@contoso-test.com' });
  await page.getByRole('button', { name: 'Test mailbox access' }).click();
  const panel = page.getByRole('alert').filter({ hasText: 'Test failed at' });
  await expect(panel).toContainText('Authenticate (AUTHENTICATE XOAUTH2)');
  await expect(panel).toContainText('NO [AUTHENTICATIONFAILED]');
  await expect(panel).toContainText("New-ServicePrincipal -AppId '");
  await expect(panel.getByRole('link', { name: 'ObjectId' })).toHaveAttribute('href', '#object-id');
});

test('the mailbox check is offered for Microsoft (OAuth2) only', async ({ page }) => {
  await openPage(page);
  await expect(page.getByRole('button', { name: 'Test mailbox access' })).toBeVisible();
  await page.getByLabel('Authentication type').selectOption('password');
  await expect(page.getByRole('button', { name: 'Test mailbox access' })).toBeHidden();
});

test('sign out ends the session', async ({ page }) => {
  await openPage(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Signed out' })).toBeVisible();
  const again = await page.goto('/');
  expect(again?.status()).toBe(401);
});
