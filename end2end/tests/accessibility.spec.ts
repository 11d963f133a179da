import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';

import { fillValidById, openPage, rememberRelayPassword, validValues } from './helpers';
import { clearMessages, peer } from './peers';

test.beforeEach(async () => {
  await clearMessages();
});

// WCAG 2.2 A and AA, as axe-core knows them.
async function expectNoViolations(page: Page, state: string) {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  const found = results.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
  }));
  expect(found, `axe violations: ${state}`).toEqual([]);
  // Control: axe did look at the page.
  expect(results.passes.length, `axe checked nothing: ${state}`).toBeGreaterThan(10);
}

for (const [locale, scheme] of [['en-US', 'light'], ['pt-BR', 'light'], ['pt-BR', 'dark'], ['en-US', 'dark']] as const) {
  test(`every state of the page passes axe (${locale}, ${scheme})`, async ({ browser }) => {
    const context = await browser.newContext({ locale, colorScheme: scheme, reducedMotion: 'reduce' });
    const page = await context.newPage();
    await openPage(page);
    await expectNoViolations(page, 'loaded');

    // Invalid fields.
    await page.locator('#email-address').fill('not an address');
    await page.locator('#tenant-id').fill('common');
    await page.locator('#tenant-id').blur();
    await expect(page.locator('#email-address')).toHaveAttribute('aria-invalid', 'true');
    await expectNoViolations(page, 'invalid fields');

    // Success: the toast.
    await fillValidById(page);
    await page.locator('#send-test').click();
    await expect(page.locator('.toast')).toBeVisible();
    await expectNoViolations(page, 'success toast');

    // Failure: the panel, the report, the field at fault.
    await fillValidById(page, { 'SMTP Password': 'Wrong8Q~not-the-secret' });
    await page.locator('#send-test').click();
    await expect(page.locator('section.failure')).toBeVisible();
    await expectNoViolations(page, 'failure panel');

    // The error catalogue the panel links to, in the same language.
    const href = await page.locator('section.failure p.catalogue a').getAttribute('href');
    expect(href).toBe('/errors#aadsts7000215');
    const catalogue = await context.newPage();
    await catalogue.goto(href ?? '');
    await expect(catalogue.locator('html')).toHaveAttribute('lang', locale === 'pt-BR' ? 'pt-BR' : 'en');
    await expectNoViolations(catalogue, 'error catalogue');
    await catalogue.close();

    // The setup guide and the transcript open.
    await page.locator('#setup-guide summary').click();
    await expectNoViolations(page, 'guide open');

    // The outbox with a message in it, and a new credential's password on screen.
    await fillValidById(page);
    await page.locator('#save').click();
    await expect(page.locator('.toast')).toBeVisible();
    const name = `a11y-${locale}-${scheme}`.toLowerCase();
    await page.locator('#credential-name').fill(name);
    await page.locator('.add-credential button[type="submit"]').click();
    const shown = page.locator('#new-credential-password');
    await expect(shown).toHaveText(/^[A-Za-z0-9_-]{32}$/);
    const password = (await shown.textContent()) ?? '';
    rememberRelayPassword(password);
    try {
      const answer = await page.request.post('/api/v1/messages', {
        headers: { Authorization: `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}` },
        data: { to: ['customer@fabrikam-test.com'], subject: `a11y ${name}`, text: 'Hello.' },
      });
      expect(answer.status()).toBe(202);
      await page.locator('.relay > button').click();
      await expect(page.locator('#outbox-table')).toContainText(`a11y ${name}`);
      await expectNoViolations(page, 'outbox');
      // A credential's limits, open.
      await page.locator('#credentials-table tr', { hasText: name }).locator('button').first().click();
      await expect(page.locator('form.credential-limits')).toBeVisible();
      await expectNoViolations(page, 'credential limits');
    } finally {
      // Whatever happened above, the credential does not outlive this test.
      // Its last button removes it.
      await page.locator('#credentials-table tr', { hasText: name }).locator('button').last().click();
      await expect(page.locator('#credentials-table tr', { hasText: name })).toHaveCount(0);
      await context.close();
    }
  });
}

test('the dark scheme really changes the page, and nothing on it is animated', async ({ browser }) => {
  const colours: Record<string, string> = {};
  for (const scheme of ['light', 'dark'] as const) {
    const context = await browser.newContext({ colorScheme: scheme });
    const page = await context.newPage();
    await openPage(page);
    colours[scheme] = await page.evaluate(() => [document.documentElement, document.body, document.querySelector('main')]
      .map((el) => el && `${getComputedStyle(el).backgroundColor} ${getComputedStyle(el).color}`).join(' / '));
    // No transition or animation anywhere (prefers-reduced-motion has nothing to stop).
    const moving = await page.evaluate(() => [...document.querySelectorAll('*')]
      .filter((el) => {
        const style = getComputedStyle(el);
        return style.animationName !== 'none' || style.transitionDuration.split(',').some((d) => parseFloat(d) > 0);
      })
      .map((el) => el.tagName));
    expect(moving, scheme).toEqual([]);
    await context.close();
  }
  expect(colours.dark).not.toBe(colours.light);
});

// Moves focus with the Tab key alone until `selector` has it.
async function tabTo(page: Page, selector: string, most = 80) {
  for (let i = 0; i < most; i += 1) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

test('the whole flow works with the keyboard alone', async ({ browser }) => {
  const context = await browser.newContext({ locale: 'pt-BR' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = await context.newPage();
  await openPage(page);
  // No mouse from here on: every move is a key.
  await page.locator('body').focus();
  const values = validValues({ 'SMTP Password': 'Wrong8Q~not-the-secret' });
  const ids: Record<string, string> = {
    '#email-address': values['Email address'],
    '#display-name': values.Name,
    '#tenant-id': values.TenantId,
    '#smtp-user': values['SMTP User'],
    '#smtp-password': values['SMTP Password'],
    '#send-test-to': values['Send test to'],
  };
  for (const [id, value] of Object.entries(ids)) {
    await tabTo(page, id);
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type(value);
  }
  // Focus is visible where it lands.
  await tabTo(page, '#send-test');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
  expect(outline).not.toBe('none');
  await page.keyboard.press('Enter');

  // The panel is announced (an alert) and the field at fault told to assistive technology.
  const panel = page.getByRole('alert').filter({ hasText: 'O teste falhou em' });
  await expect(panel).toContainText('O Entra ID recusou o segredo do cliente.');
  const secret = page.locator('#smtp-password');
  await expect(secret).toHaveAttribute('aria-invalid', 'true');
  await expect(secret).toHaveAttribute('aria-describedby', /smtp-password-fault/);
  await expect(page.locator('#smtp-password-fault')).toContainText('abaixo do formulário');

  // From the panel, the link to the field at fault.
  await tabTo(page, 'section.failure a[href="#smtp-password"]');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#smtp-password$/);

  // Open the setup guide and copy a command, still by keyboard.
  await tabTo(page, '#setup-guide summary');
  await page.keyboard.press('Enter');
  await expect(page.locator('#setup-guide')).toHaveAttribute('open', '');
  await tabTo(page, '#setup-guide li:nth-child(4) button.copy');
  await page.keyboard.press('Enter');
  await expect(page.locator('#setup-guide li:nth-child(4) button.copy')).toHaveText('Copiado');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toContain(`New-ServicePrincipal -AppId '${peer.clientId}'`);

  // A new value clears the mark: the fault was that value's.
  await tabTo(page, '#smtp-password');
  await page.keyboard.type('x');
  await expect(secret).toHaveAttribute('aria-invalid', 'false');
  await context.close();
});

test('toast and panel are live regions that do not take the focus', async ({ page }) => {
  await openPage(page);
  await expect(page.locator('.toast-region')).toHaveAttribute('role', 'status');
  await expect(page.locator('.toast-region')).toHaveAttribute('aria-live', 'polite');
  await fillValidById(page);
  await page.locator('#send-test').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('.toast')).toBeVisible();
  // The toast is read out from its region; the focus stays where the administrator was.
  expect(await page.evaluate(() => document.activeElement?.closest('.toast-region'))).toBeNull();
  await fillValidById(page, { 'SMTP Password': 'Wrong8Q~not-the-secret' });
  await page.locator('#send-test').focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('alert')).toBeVisible();
  expect(await page.evaluate(() => document.activeElement?.closest('section.failure'))).toBeNull();
});

for (const locale of ['en-US', 'pt-BR']) {
  test(`at 320 px wide nothing scrolls sideways (${locale})`, async ({ browser }) => {
    const context = await browser.newContext({ locale, viewport: { width: 320, height: 640 } });
    const page = await context.newPage();
    await openPage(page);
    await fillValidById(page, { 'SMTP Password': 'Wrong8Q~not-the-secret' });
    await page.locator('#send-test').click();
    await expect(page.locator('section.failure')).toBeVisible();
    await page.locator('#setup-guide summary').click();
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    // Control: the page is as narrow as asked.
    expect(widths.client).toBeLessThanOrEqual(320);
    // Every table sits in a region of its own that scrolls sideways when it must.
    const tables = await page.evaluate(() => [...document.querySelectorAll('table')].map((table) => {
      const region = table.parentElement;
      return {
        id: table.id,
        overflow: region ? getComputedStyle(region).overflowX : '',
        width: region ? region.getBoundingClientRect().width : Infinity,
      };
    }));
    expect(tables.length).toBeGreaterThan(0);
    for (const table of tables) {
      expect(table.overflow, table.id).toBe('auto');
      expect(table.width, table.id).toBeLessThanOrEqual(320);
    }
    await context.close();
  });
}

test('focus is visible on every control the Tab key reaches', async ({ page }) => {
  await openPage(page);
  await page.locator('body').focus();
  const seen = new Set<string>();
  for (let i = 0; i < 40; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      return {
        what: `${el.tagName}#${el.id}`,
        outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
      };
    });
    if (!focused) continue;
    seen.add(focused.what);
    expect(focused.outline, `no visible focus on ${focused.what}`).toBe(true);
  }
  // Control: the walk went through many controls.
  expect(seen.size).toBeGreaterThan(10);
});
