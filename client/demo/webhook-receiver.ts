// Stands in for Slack in the demo: receives Ferry's webhook posts and prints their text.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startWebhookReceiver(onText: (text: string) => void): Promise<{ url: string; close(): Promise<void> }> {
  const receive = async (request: http.IncomingMessage, response: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    try {
      onText(JSON.parse(Buffer.concat(chunks).toString('utf8')).text);
    } catch {
      onText('(a post that was not JSON)');
    }
    response.writeHead(200).end('ok');
  };
  // A post cut off midway is dropped, not an unhandled rejection that ends the demo.
  const server = http.createServer((request, response) => void receive(request, response).catch(() => response.destroy()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/ferry-demo`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
