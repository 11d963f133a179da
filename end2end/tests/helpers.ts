import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import { expect, type Page } from '@playwright/test';

import { adminToken, peer } from './peers';

// Signs in with the server's sign-in link; hydration is done when the submit button is
// enabled (it is disabled in the server HTML). The button is found by its id: the page
// may be in either language.
export async function openPage(page: Page) {
  await page.goto(`/login?token=${adminToken}`);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator('#send-test')).toBeEnabled();
}

// The form's fields by their input ids, so that the same values go in whatever the
// page's language.
export const fieldIds: Record<string, string> = {
  'Email address': '#email-address',
  Name: '#display-name',
  TenantId: '#tenant-id',
  'SMTP User': '#smtp-user',
  'SMTP Password': '#smtp-password',
  'Send test to': '#send-test-to',
  ObjectId: '#object-id',
};

export function validValues(overrides: Partial<Record<string, string>> = {}): Record<string, string> {
  return {
    'Email address': peer.mailbox,
    Name: 'Contoso Notifications',
    TenantId: peer.tenant.toUpperCase(),
    'SMTP User': peer.clientId,
    'SMTP Password': peer.clientSecret,
    'Send test to': 'admin@contoso-test.com',
    ...overrides,
  } as Record<string, string>;
}

export async function fillValid(page: Page, overrides: Partial<Record<string, string>> = {}) {
  for (const [label, value] of Object.entries(validValues(overrides))) {
    await page.getByLabel(label, { exact: true }).fill(value ?? '');
  }
}

// The same, by input id: for a page in another language.
export async function fillValidById(page: Page, overrides: Partial<Record<string, string>> = {}) {
  for (const [label, value] of Object.entries(validValues(overrides))) {
    await page.locator(fieldIds[label]).fill(value ?? '');
  }
}

// A secret a test made (a relay password, a PKCS#12 file's password): `make e2e`
// searches the server's output and the database for it (.ci/no-secrets.sh --extra).
export function rememberSecret(secret: string) {
  const dir = path.join(__dirname, '../../target/e2e');
  mkdirSync(dir, { recursive: true });
  appendFileSync(path.join(dir, 'relay-passwords.txt'), `${secret}\n`);
}

export const rememberRelayPassword = rememberSecret;
