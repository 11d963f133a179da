import { execFileSync } from 'node:child_process';

import { expect, test } from '@playwright/test';

import { rememberRelayPassword } from './helpers';
import { adminToken, messages, peer } from './peers';

test('a relay credential made on the page sends through the relay, and the Outbox shows it', async ({ page, request }) => {
  await page.goto(`/login?token=${adminToken}`);
  await expect(page.getByRole('button', { name: 'Send test email' })).toBeEnabled();
  for (const [label, value] of Object.entries({
    'Email address': peer.mailbox,
    Name: 'Contoso Notifications',
    TenantId: peer.tenant,
    'SMTP User': peer.clientId,
    'SMTP Password': peer.clientSecret,
  })) {
    await page.getByLabel(label, { exact: true }).fill(value);
  }
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Configuration saved');

  // Also allowed senders: checked while typing by the same parse as the server's.
  const senders = page.getByLabel(/Addresses the app may also send as/);
  await senders.fill('billing@contoso-test.com\nSales <sales@contoso-test.com>');
  await expect(page.locator('.allowed-senders .field-error')).toContainText('Sales <sales@contoso-test.com>');
  await senders.fill('billing@contoso-test.com\nsales@contoso-test.com');
  await expect(page.locator('.allowed-senders .field-error')).toBeEmpty();
  await page.getByRole('button', { name: 'Update allowed senders' }).click();
  await expect(page.locator('.allowed-senders')).toContainText('Saved.');
  await expect(page.locator('.relay > p.hint').first()).toContainText('or one of the also allowed senders');

  // The password is shown once, with an example that uses it.
  await page.getByLabel('New credential name').fill('erp-e2e');
  await page.getByRole('button', { name: 'Add credential' }).click();
  const shown = page.locator('#new-credential-password');
  await expect(shown).toHaveText(/^[A-Za-z0-9_-]{32}$/);
  const password = (await shown.textContent()) ?? '';
  rememberRelayPassword(password);
  await expect(page.locator('#relay-example')).toContainText(`--auth-user erp-e2e --auth-password '${password}'`);
  await expect(page.locator('#credentials-table')).toContainText('erp-e2e');
  // Both ready-to-copy commands, run as they are shown (swaks over STARTTLS, curl over
  // the HTTP API): each message reaches the peer.
  const example = (await page.locator('#relay-example').textContent()) ?? '';
  const commands = example.split('\n').filter((line) => /^(swaks|curl) /.test(line));
  expect(commands.map((line) => line.split(' ')[0])).toEqual(['swaks', 'curl']);
  const toYou = async () => (await messages()).filter((m) => m.rcptTo.includes('you@example.com')).length;
  const before = await toYou();
  for (const command of commands) {
    // Its output (swaks prints the AUTH exchange) is not kept anywhere.
    execFileSync('bash', ['-c', command], { stdio: 'ignore', timeout: 30_000 });
  }
  await expect.poll(toYou, { timeout: 20_000 }).toBe(before + 2);
  // Never again: a reload lists the name only.
  await page.reload();
  await expect(page.getByRole('button', { name: 'Send test email' })).toBeEnabled();
  expect(await page.content()).not.toContain(password);

  // Its limits, checked while typing by the server's parse, then saved and shown.
  await page.getByRole('button', { name: 'Limits erp-e2e' }).click();
  const limits = page.locator('form.credential-limits');
  await limits.getByLabel('Messages an hour (empty: no quota)').fill('0');
  await expect(limits.locator('.field-error')).toContainText('"0" is not a number of messages from 1 to 1000000.');
  await limits.getByLabel('Messages an hour (empty: no quota)').fill('50');
  await limits.getByLabel(/Senders it may use/).fill(peer.mailbox);
  await expect(limits.locator('.field-error')).toBeEmpty();
  await limits.getByRole('button', { name: 'Save limits' }).click();
  await expect(limits).toHaveCount(0);
  await expect(page.locator('#credentials-table tr', { hasText: 'erp-e2e' })).toContainText(
    `only as ${peer.mailbox}; from any address; 50 messages an hour`,
  );

  // An application sends with it over the HTTP API.
  const basic = `Basic ${Buffer.from(`erp-e2e:${password}`).toString('base64')}`;
  const subject = `Relayed from the browser test ${Date.now()}`;
  const answer = await request.post('/api/v1/messages', {
    headers: { Authorization: basic },
    data: { to: ['customer@fabrikam-test.com'], subject, text: 'Hello through the relay.' },
  });
  expect(answer.status()).toBe(202);

  // The Outbox shows it sent (Refresh asks the server again).
  const row = page.locator('#outbox-table tbody tr', { hasText: subject });
  await expect(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(row).toContainText('Sent', { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(row).toContainText('customer@fabrikam-test.com');
  expect((await messages()).some((m) => m.subject === subject)).toBe(true);

  // A whole message whose subject is Portuguese in encoded words, its recipients in a
  // group with a quoted name: the Outbox shows the subject and the address as read.
  const stamp = Date.now();
  const whole = await request.post('/api/v1/messages', {
    headers: { Authorization: basic, 'Content-Type': 'message/rfc822' },
    data:
      `From: "Contoso, Faturamento" <${peer.mailbox}>\r\n` +
      'To: Equipe: "Silva, José" <jose@fabrikam-test.com>;\r\n' +
      `Subject: =?UTF-8?Q?Relat=C3=B3rio_mensal?= ${stamp}\r\n\r\nOlá.\r\n`,
  });
  expect(whole.status()).toBe(202);
  const portuguese = page.locator('#outbox-table tbody tr', { hasText: `Relatório mensal ${stamp}` });
  await expect(async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(portuguese).toContainText('Sent', { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(portuguese).toContainText('jose@fabrikam-test.com');

  // Removed, it no longer signs in.
  await page.locator('#credentials-table tr', { hasText: 'erp-e2e' }).getByRole('button', { name: 'Remove' }).click();
  await expect(page.locator('#credentials-table tr', { hasText: 'erp-e2e' })).toHaveCount(0);
  const refused = await request.post('/api/v1/messages', {
    headers: { Authorization: basic },
    data: { to: ['customer@fabrikam-test.com'], subject, text: 'again' },
  });
  expect(refused.status()).toBe(401);

  // A webhook endpoint: checked while typing by the server's parse, its signing secret
  // shown once, a test event tried (nothing listens there) and the attempt logged.
  const hook = 'https://127.0.0.1:9/hooks';
  const hookUrl = page.getByLabel('Endpoint address (https://…)');
  await hookUrl.fill('http://127.0.0.1:9/hooks');
  await expect(page.locator('#webhook-url-error')).toContainText('begins with https://');
  await hookUrl.fill(hook);
  await expect(page.locator('#webhook-url-error')).toBeEmpty();
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  const hookSecret = page.locator('#new-webhook-secret');
  await expect(hookSecret).toHaveText(/^whsec_[A-Za-z0-9+/]{32}$/);
  const secretText = (await hookSecret.textContent()) ?? '';
  rememberRelayPassword(secretText);
  await expect(page.locator('#webhooks-table')).toContainText(hook);
  await page.getByRole('button', { name: `Send test event ${hook}` }).click();
  const attempt = page.locator('#webhook-log tbody tr', { hasText: 'webhook.test' });
  await expect(async () => {
    await page.getByRole('button', { name: `Delivery log ${hook}` }).click();
    await expect(attempt).toContainText('could not connect', { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(attempt).toContainText('Waiting');
  await page.reload();
  await expect(page.getByRole('button', { name: 'Send test email' })).toBeEnabled();
  expect(await page.content()).not.toContain(secretText);
  await page.getByRole('button', { name: `Remove ${hook}` }).click();
  await expect(page.locator('#webhooks-table')).toHaveCount(0);
});
