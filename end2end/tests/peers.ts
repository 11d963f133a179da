// What the test peers were started with (see tests/peers/peers.mjs), and their control API.
export const peer = {
  tenant: '11111111-2222-4333-8444-555555555555',
  tenantDomain: 'contoso-test.onmicrosoft.com',
  clientId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
  clientSecret: 'Peer8Q~test-secret-value.0123456789abcdef',
  mailbox: 'sender@contoso-test.com',
  smtpUsername: 'relay@contoso-test.com',
  smtpPassword: 'Peer-password-0123456789',
};

// The app's fixed sign-in token (SMTP_SETUP_ADMIN_TOKEN in playwright.config.ts).
export const adminToken = 'e2e-admin-token-0123456789abcdef';

const control = `http://127.0.0.1:${process.env.E2E_CONTROL_PORT ?? '3103'}`;

export interface StoredMessage {
  authUser: string;
  rcptTo: string[];
  from: { address: string; name: string };
  to: string[];
  subject: string;
  text: string;
}

export async function messages(): Promise<StoredMessage[]> {
  const response = await fetch(`${control}/messages`);
  return (await response.json()) as StoredMessage[];
}

export async function clearMessages(): Promise<void> {
  await fetch(`${control}/messages`, { method: 'DELETE' });
}
