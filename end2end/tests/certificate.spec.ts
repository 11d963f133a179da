import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect, type Page, test } from '@playwright/test';

import { fillValid, openPage, rememberSecret } from './helpers';
import { clearMessages, messages, registerCertificate } from './peers';

// openssl's SHA-1 thumbprint of a certificate file, as the Entra portal shows it.
function thumbprint(file: string, digest = '-sha1'): string {
  const line = execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', digest]).toString();
  return line.replace(/^.*=/, '').replaceAll(':', '').trim();
}

// A certificate and key made by openssl, in a folder of their own.
function opensslPair(name: string): { dir: string; cert: string; key: string } {
  const dir = mkdtempSync(path.join(tmpdir(), `smtp-setup-e2e-${name}-`));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '90',
    '-subj', `/CN=${name}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { dir, cert, key };
}

// Back to the client secret and saved, for the tests that come after.
async function restoreSecret(page: Page) {
  await page.getByLabel('Credential', { exact: true }).selectOption('client_secret');
  await fillValid(page, { 'Secret expires': '' } as Record<string, string>);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Configuration saved');
}

test('a certificate generated on the page is downloaded, registered, sends, and is saved with its key kept on the server', async ({ page }) => {
  try {
    await openPage(page);
    await fillValid(page);
    await page.getByLabel('Credential', { exact: true }).selectOption('certificate');
    await expect(page.getByLabel('SMTP Password', { exact: true })).toBeHidden();
    await page.getByRole('button', { name: 'Generate a certificate' }).click();
    await expect(page.getByRole('status')).toContainText('A new key pair and certificate were made');
    await expect(page.getByLabel('Certificate', { exact: true })).toHaveValue(/^-----BEGIN CERTIFICATE-----/);
    // The key stays on the server: its field is empty and says so.
    await expect(page.getByLabel('Private key', { exact: true })).toHaveValue('');
    await expect(page.locator('#private-key-stored')).toContainText('Held on this server');
    const sha1 = (await page.locator('#thumbprint-sha1').textContent()) ?? '';
    expect(sha1).toMatch(/^[0-9A-F]{40}$/);
    await expect(page.locator('#certificate-details')).toContainText('CN=Contoso Notifications');

    // The download is the certificate itself: openssl reads the same thumbprint from it.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#download-certificate').click(),
    ]);
    const file = await download.path();
    expect(thumbprint(file)).toBe(sha1);
    // And the SHA-256 one the page shows.
    const sha256 = (await page.locator('#thumbprint-sha256').textContent()) ?? '';
    expect(thumbprint(file, '-sha256')).toBe(sha256.replaceAll(':', '').toUpperCase());

    // Not uploaded to the app registration yet: Entra's own refusal, on the certificate.
    await page.getByRole('button', { name: 'Send test email' }).click();
    const panel = page.locator('section.failure');
    await expect(panel).toContainText('AADSTS700027');
    await expect(panel).toContainText('Upload this certificate');
    await expect(page.locator('#certificate')).toHaveAttribute('aria-invalid', 'true');

    // Uploaded: the assertion it signs gets a token, and the test email goes.
    await registerCertificate(readFileSync(file, 'utf8'));
    await clearMessages();
    await page.getByRole('button', { name: 'Send test email' }).click();
    await expect(page.getByRole('status')).toContainText('Test email sent');
    expect(await messages()).toHaveLength(1);

    await page.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('status')).toContainText('Configuration saved');
    await page.reload();
    await expect(page.locator('#send-test')).toBeEnabled();
    await expect(page.getByLabel('Credential', { exact: true })).toHaveValue('certificate');
    await expect(page.locator('#thumbprint-sha1')).toHaveText(sha1);
    await expect(page.locator('#private-key-stored')).toContainText('Stored: the key of this certificate');
    await expect(page.getByLabel('Private key', { exact: true })).toHaveValue('');
    // A year of validity: no expiry banner.
    await expect(page.locator('#expiry-banner')).toHaveCount(0);
    await clearMessages();
    await page.getByRole('button', { name: 'Send test email' }).click();
    await expect(page.getByRole('status')).toContainText('Test email sent');

  } finally {
    // Whatever happened above, the tests after this one start from the secret.
    await restoreSecret(page);
  }
});

test('a PKCS#12 file opens with its password on the server; a PEM file fills both fields', async ({ page }) => {
  const pair = opensslPair('pkcs12-e2e');
  const pfx = path.join(pair.dir, 'app.pfx');
  rememberSecret('e2e pfx password');
  execFileSync('openssl', ['pkcs12', '-export', '-inkey', pair.key, '-in', pair.cert,
    '-passout', 'pass:e2e pfx password', '-out', pfx]);
  await openPage(page);
  await fillValid(page);
  await page.getByLabel('Credential', { exact: true }).selectOption('certificate');

  await page.locator('#certificate-file').setInputFiles(pfx);
  await page.locator('#pkcs12-password').fill('not the password');
  await page.locator('#open-pkcs12').click();
  await expect(page.locator('#certificate-file-error')).toContainText('the password is wrong');
  await page.locator('#pkcs12-password').fill('e2e pfx password');
  await page.locator('#open-pkcs12').click();
  await expect(page.getByRole('status')).toContainText('read from the file');
  await expect(page.locator('#thumbprint-sha1')).toHaveText(thumbprint(pair.cert));
  await expect(page.getByLabel('Private key', { exact: true })).toHaveValue('');

  // A PEM file with the key and the certificate: both fields, in the browser.
  const combined = path.join(pair.dir, 'combined.pem');
  writeFileSync(combined, readFileSync(pair.key, 'utf8') + readFileSync(pair.cert, 'utf8'));
  await page.locator('#certificate-file').setInputFiles(combined);
  await expect(page.getByLabel('Certificate', { exact: true })).toHaveValue(readFileSync(pair.cert, 'utf8').trim());
  await expect(page.getByLabel('Private key', { exact: true })).toHaveValue(/^-----BEGIN PRIVATE KEY-----/);
  // A key of another certificate: refused at save, on the key's field.
  const other = opensslPair('other-e2e');
  await page.getByLabel('Private key', { exact: true }).fill(readFileSync(other.key, 'utf8'));
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('#private-key-error')).toContainText('does not belong to the certificate');
});

test('a client secret near its end is announced from 30 days, in red from 7', async ({ page }) => {
  const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  await openPage(page);
  await fillValid(page);
  await page.getByLabel('Secret expires').fill(inDays(20));
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Configuration saved');
  const banner = page.locator('#expiry-banner');
  await expect(banner).toContainText(/The client secret expires in (19|20) days, on /);
  await expect(banner).not.toHaveClass(/alarm/);

  await page.getByLabel('Secret expires').fill(inDays(5));
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(banner).toContainText(/expires in (4|5) days/);
  await expect(banner).toHaveClass(/alarm/);
  // It is the saved state: a reload shows it again.
  await page.reload();
  await expect(page.locator('#expiry-banner')).toHaveClass(/alarm/);

  await page.getByLabel('Secret expires').fill('');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toContainText('Configuration saved');
  await expect(page.locator('#expiry-banner')).toHaveCount(0);
});

test('the secret\'s end is read from Microsoft Graph, and said to come from there', async ({ page }) => {
  await openPage(page);
  await fillValid(page);
  await page.getByRole('button', { name: 'Read from Microsoft Graph' }).click();
  await expect(page.getByLabel('Secret expires')).toHaveValue('2027-05-31');
  await expect(page.locator('#secret-expiry-note')).toContainText('Microsoft Graph says this secret expires on 2027-05-31');
  // A wrong secret: Entra's refusal, in our words, before Graph is even asked.
  await page.getByLabel('SMTP Password', { exact: true }).fill('Wrong8Q~not-the-secret');
  await page.getByRole('button', { name: 'Read from Microsoft Graph' }).click();
  await expect(page.locator('#secret-expiry-note')).toContainText('Entra ID refused the client secret.');
  await expect(page.locator('#secret-expiry-note pre')).toContainText('AADSTS7000215');
});
