import { expect, test, type Browser, type Page } from '@playwright/test';

import { fillValidById, openPage } from './helpers';
import { clearMessages, peer } from './peers';

test.beforeEach(async () => {
  await clearMessages();
});

// A page in a browser that prefers `locale`, signed in.
async function pageIn(browser: Browser, locale: string): Promise<Page> {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  await openPage(page);
  return page;
}

// The page in the state the comparison reads: a failed test (panel, checklist, field at
// fault, recent tests), an invalid field's message, the setup guide open.
async function failedTest(page: Page) {
  await fillValidById(page, { 'SMTP Password': 'Wrong8Q~not-the-secret' });
  await page.locator('#send-test').click();
  await expect(page.locator('section.failure')).toBeVisible();
  await page.locator('#object-id').fill('not-a-guid');
  await page.locator('#object-id').blur();
  await expect(page.locator('#object-id-error')).not.toBeEmpty();
  await page.locator('#setup-guide summary').click();
}

// Every piece of text a reader sees, one per text node, without what is data rather
// than words: scripts, the PowerShell and transcripts (<pre>), codes (<code>), and what
// the administrator typed or the servers said.
async function visibleTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const skip = 'script, style, pre, code, [hidden], #outbox-table td, #credentials-table td, #webhooks-table td, #webhook-log td';
    const pageLang = document.documentElement.lang;
    const texts: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      const text = node.textContent?.trim() ?? '';
      if (!parent || !text || parent.closest(skip)) continue;
      // Marked as another language (a server's words, quoted): not ours to translate.
      if (parent.closest('[lang]')?.getAttribute('lang') !== pageLang) continue;
      texts.push(text);
    }
    for (const element of document.querySelectorAll('[aria-label], [title], [placeholder]')) {
      for (const name of ['aria-label', 'title']) {
        const value = element.getAttribute(name)?.trim();
        if (value) texts.push(value);
      }
    }
    return texts;
  });
}

// The same in both languages on purpose: the help article's names, product and
// language names, protocol terms.
const sameInBoth = new Set([
  'TenantId', 'ObjectId', 'Microsoft (OAuth2)', 'MAIL FROM / RCPT TO', 'English',
  'Português (Brasil)', 'smtp-setup', 'SMTP', 'STARTTLS', 'OAuth2', 'Webhooks',
]);

test('a browser that prefers Portuguese gets the page in Brazilian Portuguese', async ({ browser }) => {
  const page = await pageIn(browser, 'pt-BR');
  await expect(page.locator('html')).toHaveAttribute('lang', 'pt-BR');
  await expect(page).toHaveTitle('Configuração SMTP · smtp-setup');
  await expect(page.getByRole('heading', { name: 'Configuração SMTP' })).toBeVisible();
  for (const label of ['Endereço de e-mail', 'Nome', 'TenantId', 'Usuário SMTP', 'Senha SMTP']) {
    await expect(page.getByLabel(label, { exact: true })).toBeVisible();
  }
  // The domain's parse speaks Portuguese in the browser too.
  const mailbox = page.getByLabel('Endereço de e-mail', { exact: true });
  await mailbox.fill('Sales<sales@contoso.com>');
  await mailbox.blur();
  await expect(page.locator('#email-address-error')).toHaveText(
    'Informe só o endereço, como nome@contoso.com, sem nome de exibição nem <…>.');

  // A failed test: our explanation in Portuguese, Microsoft's own words verbatim.
  await mailbox.fill(peer.mailbox);
  await fillValidById(page, { 'SMTP Password': 'Wrong8Q~not-the-secret' });
  await page.getByRole('button', { name: 'Enviar email de teste' }).click();
  const panel = page.getByRole('alert').filter({ hasText: 'O teste falhou em' });
  await expect(panel).toContainText('Pedido de token ao Microsoft Entra ID');
  await expect(panel).toContainText('O Entra ID recusou o segredo do cliente.');
  await expect(panel).toContainText('AADSTS7000215: Invalid client secret provided.');
  // Microsoft's words are marked as English for screen readers.
  await expect(panel.locator('[lang="en"]', { hasText: 'AADSTS7000215' }).first()).toBeVisible();
  await expect(panel.getByRole('link', { name: 'Senha SMTP' })).toHaveAttribute('href', '#smtp-password');
  await expect(page.locator('#history-table tbody tr').first()).toContainText('Falhou em Pedido de token');

  // Microsoft Learn in the reader's language.
  await page.locator('#setup-guide summary').click();
  const learn = page.locator('#setup-guide a.learn');
  await expect(learn).toHaveCount(5);
  for (const link of await learn.all()) {
    await expect(link).toHaveAttribute('href', /^https:\/\/learn\.microsoft\.com\/pt-br\//);
  }
  await page.context().close();
});

test('the language can be switched on the page, and the choice is kept', async ({ browser }) => {
  const page = await pageIn(browser, 'pt-BR');
  await page.getByRole('navigation', { name: 'Idioma' }).getByRole('link', { name: 'English' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { name: 'SMTP configuration' })).toBeVisible();
  await expect(page.locator('#send-test')).toBeEnabled();
  await expect(page.getByRole('link', { name: 'English' })).toHaveAttribute('aria-current', 'true');
  // Kept in a cookie: a new visit stays English though the browser prefers Portuguese.
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.locator('#setup-guide summary').click();
  await expect(page.locator('#setup-guide a.learn').first())
    .toHaveAttribute('href', /^https:\/\/learn\.microsoft\.com\/en-us\//);
  // And back.
  await page.getByRole('link', { name: 'Português (Brasil)' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'pt-BR');
  await page.context().close();
});

test('the sign-in pages speak the browser\'s language too', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'pt-BR' });
  const page = await context.newPage();
  await page.goto('/login');
  await expect(page.locator('html')).toHaveAttribute('lang', 'pt-BR');
  await expect(page.getByRole('heading', { name: 'Entrar' })).toBeVisible();
  await page.getByRole('link', { name: 'English' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await context.close();
});

test('no English words are left on the Portuguese page', async ({ browser }) => {
  test.setTimeout(120_000);
  const english = await pageIn(browser, 'en-US');
  const portuguese = await pageIn(browser, 'pt-BR');
  await failedTest(english);
  await failedTest(portuguese);
  const englishTexts = new Set(await visibleTexts(english));
  // Control: the English page does show the words the comparison looks for.
  expect(englishTexts.has('Token request to Microsoft Entra ID')).toBe(true);
  expect(englishTexts.has('Send test email')).toBe(true);
  const left = (await visibleTexts(portuguese)).filter(
    (text) => englishTexts.has(text) && !sameInBoth.has(text) && /[A-Za-z]{2,}/.test(text)
      && !/^[\w.+-]+@[\w.-]+$/.test(text) && !/^https?:\/\//.test(text) && !/^\d+ ms$/.test(text),
  );
  expect(left, 'English text on the Portuguese page').toEqual([]);
  // The README's two screenshots (end2end/screenshots/), made afresh with each run's
  // other output: the form, the failure panel and the guide.
  const shot = { type: 'jpeg', quality: 70, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 2150 } } as const;
  await english.screenshot({ ...shot, path: '../target/e2e/screenshots/page-en.jpg' });
  await portuguese.screenshot({ ...shot, path: '../target/e2e/screenshots/page-pt-BR.jpg' });
  await english.context().close();
  await portuguese.context().close();
});

test('dates are shown in the browser\'s language and time zone', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'pt-BR', timezoneId: 'America/Sao_Paulo' });
  const page = await context.newPage();
  await openPage(page);
  await fillValidById(page, { 'SMTP Password': 'Wrong8Q~not-the-secret' });
  await page.locator('#send-test').click();
  const when = page.locator('#history-table tbody tr').first().locator('td').first();
  // `27 de nov. de 2026, 19:00`: pt-BR's medium date, no "UTC" once the page runs.
  await expect(when).toHaveText(/^\d{1,2} de \S+ de \d{4}/);
  await expect(when).not.toContainText('UTC');
  const inSaoPaulo = (await when.textContent()) ?? '';
  // The server's HTML, which cannot know the time zone, says UTC.
  const html = await (await page.request.get('/')).text();
  expect(html).toContain('UTC');
  // The same row in Tokyo, twelve hours ahead: another time.
  const tokyo = await browser.newContext({ locale: 'pt-BR', timezoneId: 'Asia/Tokyo' });
  const there = await tokyo.newPage();
  await openPage(there);
  const thereWhen = there.locator('#history-table tbody tr').first().locator('td').first();
  await expect(thereWhen).toHaveText(/^\d{1,2} de \S+ de \d{4}/);
  expect(await thereWhen.textContent()).not.toBe(inSaoPaulo);
  await tokyo.close();
  await context.close();
});
