// A kubeconfig for the identity a production worker would have: a ServiceAccount bound, in each
// environment's namespace, to exactly the Role of examples/kubernetes/rbac.yaml. Tests that run
// Ferry through it prove that Role is enough (and fail when Ferry starts needing more).
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { V1Role } from '@kubernetes/client-node';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { tempDir } from '../helpers/git-repo';
import type { TestCluster } from './cluster';

const RBAC_FILE = path.join(__dirname, '..', '..', 'examples', 'kubernetes', 'rbac.yaml');

export async function ferryIdentity(cluster: TestCluster, namespaces: string[], home: string): Promise<string> {
  const rbac = cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  const role = parseAllDocuments(fs.readFileSync(RBAC_FILE, 'utf8'))
    .map((doc) => doc.toJS() as V1Role & { kind: string })
    .find((doc) => doc.kind === 'Role');
  if (!role?.rules) throw new Error(`${RBAC_FILE} has no Role with rules`);

  await cluster.core.createNamespace({ body: { metadata: { name: home } } });
  await cluster.core.createNamespacedServiceAccount({ namespace: home, body: { metadata: { name: 'ferry' } } });
  for (const namespace of namespaces) {
    await rbac.createNamespacedRole({ namespace, body: { metadata: { name: 'ferry' }, rules: role.rules } });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'ferry' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ferry' },
        subjects: [{ kind: 'ServiceAccount', name: 'ferry', namespace: home }],
      },
    });
  }
  const { status } = await cluster.core.createNamespacedServiceAccountToken({
    name: 'ferry',
    namespace: home,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const server = cluster.kubeConfig.getCurrentCluster();
  if (!server || !status?.token) throw new Error('no cluster or no token for the ferry ServiceAccount');
  const ca = server.caData ? `certificate-authority-data: ${server.caData}` : server.caFile ? `certificate-authority: "${server.caFile}"` : 'insecure-skip-tls-verify: true';
  const file = path.join(tempDir('ferry-identity'), 'kubeconfig');
  fs.writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{ name: ferry, cluster: { server: "${server.server}", ${ca} } }]`,
      `users: [{ name: ferry, user: { token: "${status.token}" } }]`,
      `contexts: [{ name: "${cluster.context}", context: { cluster: ferry, user: ferry } }]`,
      `current-context: "${cluster.context}"`,
      '',
    ].join('\n'),
  );
  return file;
}
