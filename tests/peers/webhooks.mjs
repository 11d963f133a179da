// An application's webhook endpoint, over HTTPS with the peers' certificate, that checks
// every request with the Standard Webhooks reference library (`standardwebhooks`), as an
// application would. Paths: /ok answers 200; /flaky answers 500 to the first two attempts
// of each delivery (by webhook-id), then 200; /hang never answers. Every request is
// recorded: { path, id, timestamp, verified, error, event }.

import https from 'node:https';
import { readFileSync } from 'node:fs';

import { Webhook } from 'standardwebhooks';

export async function startWebhookReceiver({ certFile, keyFile, host }) {
  const records = [];
  const attempts = new Map();
  const state = { secret: null };
  const server = https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': req.headers['webhook-id'] ?? '',
        'webhook-timestamp': req.headers['webhook-timestamp'] ?? '',
        'webhook-signature': req.headers['webhook-signature'] ?? '',
      };
      let verified = false;
      let error = null;
      let event = null;
      try {
        event = new Webhook(state.secret ?? 'whsec_').verify(body, headers);
        verified = true;
      } catch (e) {
        error = e.message;
      }
      records.push({ path: req.url, id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], verified, error, event });
      if (req.url === '/hang') return undefined;
      if (req.url === '/flaky') {
        const seen = (attempts.get(headers['webhook-id']) ?? 0) + 1;
        attempts.set(headers['webhook-id'], seen);
        if (seen <= 2) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          return res.end('busy, try again');
        }
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('ok');
    });
  });
  await new Promise((resolve) => server.listen(0, host, resolve));
  return {
    url: `https://${host}:${server.address().port}`,
    records,
    setSecret: (secret) => {
      state.secret = secret;
    },
  };
}
