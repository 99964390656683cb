// The data plane a kwok cluster lacks. Its pods run nothing and their IPs lead nowhere, so this
// HTTP gateway stands in for kube-proxy and the app together: /<namespace>/<service>/<path> goes,
// round robin, to one of the pods the Service's EndpointSlices list as ready, and answers as that
// pod's version (its image): 200 with {version, pod}, or 500 when the image names "http-500". A
// Service with no ready endpoint answers 503, as an ingress would. Every request is recorded.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestCluster } from './cluster';

export interface GatewayHit {
  namespace: string;
  service: string;
  pod?: string;
  version?: string;
  status: number;
}

export interface Gateway {
  /** `http://127.0.0.1:<port>`: a target's url is `${url}/<namespace>/{service}`. */
  url: string;
  hits: GatewayHit[];
  close(): Promise<void>;
}

export async function startGateway(cluster: TestCluster): Promise<Gateway> {
  const hits: GatewayHit[] = [];
  let turn = 0;

  async function route(namespace: string, service: string): Promise<GatewayHit> {
    const slices = await cluster.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` });
    const ready = slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false && e.targetRef?.name);
    if (ready.length === 0) return { namespace, service, status: 503 };
    const pod = ready[turn++ % ready.length].targetRef!.name!;
    const image = (await cluster.core.readNamespacedPod({ name: pod, namespace })).spec?.containers[0].image ?? '';
    return { namespace, service, pod, version: image, status: image.includes('http-500') ? 500 : 200 };
  }

  const server = http.createServer((request, response) => {
    const [, namespace = '', service = ''] = (request.url ?? '').split('/');
    route(namespace, service).then(
      (hit) => {
        hits.push(hit);
        response.writeHead(hit.status, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ version: hit.version, pod: hit.pod }));
      },
      (error: Error) => {
        hits.push({ namespace, service, status: 502 });
        response.writeHead(502);
        response.end(error.message);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
