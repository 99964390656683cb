// Manifests mode's rendering against the real kustomize and real git repositories: the shop's own
// overlays and plain manifests come out as the objects to apply, with the artifact's image, the
// environment's variables and secrets wired into every container, in the target's namespace; bad
// manifests are refused naming the field, and no secret value leaves the Secret object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { deploymentNames, renderManifests, type KubernetesObject, type RenderInput, type RenderedManifests } from '../../activities/targets/kubernetes/manifests/render';
import { findKustomize } from '../../activities/targets/kubernetes/manifests/render/kustomize';
import { digestOf } from '../../activities/targets/kubernetes/manifests/render/objects';
import { AUTHORS, removeTempDirs, TestRepo } from '../helpers/git-repo';
import { describeWithKustomize } from '../kubernetes/kustomize';

const SHOP_K8S = path.resolve(__dirname, '..', '..', 'examples', 'shop', 'k8s');
const DATABASE_URL = 'postgres://shop:s3cret-Passw0rd@db.internal:5432/shop';
const API_TOKEN = 'tok-9f8e7d6c5b4a';
const worker = { SHOP_STAGING_DATABASE_URL: DATABASE_URL, SHOP_API_TOKEN: API_TOKEN };

/** Every file under `dir`, keyed by its path under `prefix`. */
function filesOf(dir: string, prefix: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files[path.join(prefix, path.relative(dir, file))] = fs.readFileSync(file, 'utf8');
  }
  return files;
}

const deploymentYaml = (name: string, image: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
        - name: main
          image: ${image}
${extra}`;

const kinds = (rendered: RenderedManifests, kind: string) => rendered.objects.filter((object) => object.kind === kind);

function containersOf(deployment: KubernetesObject): Array<Record<string, unknown>> {
  const spec = (deployment.spec as { template: { spec: { containers: Array<Record<string, unknown>>; initContainers?: Array<Record<string, unknown>> } } }).template.spec;
  return [...spec.containers, ...(spec.initContainers ?? [])];
}

/** Render folders of this process still on disk: they hold secret files while kustomize runs. */
function renderFolders(): string[] {
  return fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith(`ferry-render-w${process.pid}_`));
}

describeWithKustomize('rendering the manifests of manifests mode', (kustomize) => {
  let repo: TestRepo;
  let shop: string;

  beforeAll(() => {
    repo = new TestRepo();
    shop = repo.commit('The shop with its manifests', AUTHORS.ada, filesOf(SHOP_K8S, 'k8s'));
  });
  afterAll(removeTempDirs);
  afterEach(() => expect(renderFolders()).toEqual([]));

  const input = (sha: string, changes: Partial<RenderInput> = {}): RenderInput => ({
    app: 'shop',
    environment: 'staging',
    target: { namespace: 'shop-staging', manifests: { path: 'k8s/overlays/staging' } },
    version: 'shop:abc1234',
    source: { repo: repo.dir, sha },
    appEnvironment: { variables: { LOG_LEVEL: 'info' }, secrets: { DATABASE_URL: 'SHOP_STAGING_DATABASE_URL', API_TOKEN: 'SHOP_API_TOKEN' } },
    ...changes,
  });
  const render = (value: RenderInput, env: NodeJS.ProcessEnv = worker) => renderManifests(value, { kustomize, worker: env });

  /** The refusal `value` gets: a non-retryable failure of `type`. */
  async function refusal(value: RenderInput, type = 'InvalidInput', env: NodeJS.ProcessEnv = worker): Promise<string> {
    const error: unknown = await render(value, env).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type, nonRetryable: true });
    return (error as Error).message;
  }

  function commitManifests(subject: string, files: Record<string, string>): string {
    repo.git(['rm', '-r', '--quiet', '--ignore-unmatch', 'deploy']);
    return repo.commit(subject, AUTHORS.grace, files);
  }

  describe('the shop staging overlay', () => {
    let rendered: RenderedManifests;
    beforeAll(async () => {
      rendered = await render(input(shop));
    });

    test('holds both Deployments, with the artifact as every container image', () => {
      expect(deploymentNames(rendered.objects).sort()).toEqual(['shop-web', 'shop-worker']);
      const deployments = kinds(rendered, 'Deployment');
      expect(deployments).toHaveLength(2);
      for (const deployment of deployments) for (const container of containersOf(deployment)) expect(container.image).toBe('shop:abc1234');
      expect(deployments.find((d) => d.metadata.name === 'shop-web')?.spec).toMatchObject({ replicas: 4 });
      expect(kinds(rendered, 'Service').map((s) => s.metadata.name)).toEqual(['shop']);
    });

    test('generates the variables as a ConfigMap and the secrets as a Secret, both with hashed names', () => {
      expect(rendered.configMapName).toMatch(/^shop-variables-[a-z0-9]{10}$/);
      expect(rendered.secretName).toMatch(/^shop-secrets-[a-z0-9]{10}$/);
      const [configMap] = kinds(rendered, 'ConfigMap');
      expect(configMap.metadata.name).toBe(rendered.configMapName);
      expect(configMap.data).toEqual({ LOG_LEVEL: 'info', VERSION: 'shop:abc1234', COMMIT: shop, ENVIRONMENT: 'staging' });
      const [secret] = kinds(rendered, 'Secret');
      expect(secret.metadata.name).toBe(rendered.secretName);
      expect(secret.type).toBe('Opaque');
      const data = secret.data as Record<string, string>;
      expect(Object.keys(data).sort()).toEqual(['API_TOKEN', 'DATABASE_URL']);
      expect(Buffer.from(data.DATABASE_URL, 'base64').toString()).toBe(DATABASE_URL);
      expect(Buffer.from(data.API_TOKEN, 'base64').toString()).toBe(API_TOKEN);
    });

    test('every container of every Deployment reads the ConfigMap and the Secret', () => {
      for (const deployment of kinds(rendered, 'Deployment')) {
        for (const container of containersOf(deployment)) {
          expect(container.envFrom).toEqual([{ configMapRef: { name: rendered.configMapName } }, { secretRef: { name: rendered.secretName } }]);
        }
      }
    });

    test("puts every object in the target's namespace with Ferry's label, and leaves selectors alone", () => {
      for (const object of rendered.objects) {
        expect(object.metadata.namespace).toBe('shop-staging');
        expect(object.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'ferry' });
      }
      for (const deployment of kinds(rendered, 'Deployment')) {
        const spec = deployment.spec as { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } };
        expect(Object.keys(spec.selector.matchLabels).sort()).toEqual(['app.kubernetes.io/component', 'app.kubernetes.io/name']);
        expect(spec.template.metadata.labels).toEqual(spec.selector.matchLabels);
      }
      expect(kinds(rendered, 'Service')[0].spec).toMatchObject({ selector: { 'app.kubernetes.io/name': 'shop', 'app.kubernetes.io/component': 'web' } });
    });

    test('secret values appear in the Secret object and nowhere else', () => {
      const rest = JSON.stringify({ ...rendered, objects: rendered.objects.filter((object) => object.kind !== 'Secret') });
      for (const value of [DATABASE_URL, API_TOKEN, 's3cret-Passw0rd']) {
        expect(rest).not.toContain(value);
        expect(rest).not.toContain(Buffer.from(value).toString('base64'));
      }
    });

    test('the digest is the same for the same render, and changes with a secret (through its hashed name)', async () => {
      expect(rendered.digest).toMatch(/^[0-9a-f]{16}$/);
      expect((await render(input(shop))).digest).toBe(rendered.digest);
      const rotated = await render(input(shop), { ...worker, SHOP_API_TOKEN: 'tok-rotated-0000' });
      expect(rotated.secretName).not.toBe(rendered.secretName);
      expect(rotated.digest).not.toBe(rendered.digest);
    });
  });

  test('each overlay renders with its own replicas, production with its disruption budget', async () => {
    const replicas = async (overlay: string) => {
      const rendered = await render(input(shop, { target: { namespace: `shop-${overlay}`, manifests: { path: `k8s/overlays/${overlay}` } } }));
      return Object.fromEntries(kinds(rendered, 'Deployment').map((d) => [d.metadata.name, (d.spec as { replicas: number }).replicas]));
    };
    expect(await replicas('dev')).toEqual({ 'shop-web': 1, 'shop-worker': 1 });
    expect(await replicas('production')).toEqual({ 'shop-web': 6, 'shop-worker': 3 });
    const production = await render(input(shop, { target: { namespace: 'shop-production', manifests: { path: 'k8s/overlays/production/' } } }));
    expect(kinds(production, 'PodDisruptionBudget').map((p) => p.metadata)).toMatchObject([{ name: 'shop-web', namespace: 'shop-production' }]);
  });

  test('variables that change give the ConfigMap another name; the same variables the same name', async () => {
    const info = await render(input(shop));
    const again = await render(input(shop));
    const debug = await render(input(shop, { appEnvironment: { variables: { LOG_LEVEL: 'debug' }, secrets: { DATABASE_URL: 'SHOP_STAGING_DATABASE_URL' } } }));
    expect(again.configMapName).toBe(info.configMapName);
    expect(debug.configMapName).not.toBe(info.configMapName);
    expect(debug.configMapName).toMatch(/^shop-variables-/);
    for (const deployment of kinds(debug, 'Deployment')) {
      for (const container of containersOf(deployment)) expect(container.envFrom).toContainEqual({ configMapRef: { name: debug.configMapName } });
    }
  });

  test('a folder of plain manifests renders: every .yaml and .yml in it, other files ignored, the artifact by registry and digest', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const sha = commitManifests('Plain manifests', {
      'deploy/api.yaml': deploymentYaml('api', 'registry.example.com/team/api:latest', '          envFrom: [{ configMapRef: { name: api-variables } }]\n'),
      'deploy/jobs.yml': deploymentYaml('jobs', 'busybox:1.36'),
      'deploy/README.md': 'not a manifest: {',
    });
    const rendered = await render(
      input(sha, { app: 'api', version: `registry.example.com/team/api@${digest}`, target: { namespace: 'team', manifests: { path: 'deploy' } }, appEnvironment: { variables: {}, secrets: {} } }),
    );
    expect(deploymentNames(rendered.objects)).toEqual(['api', 'jobs']);
    const [api, jobs] = kinds(rendered, 'Deployment');
    expect(containersOf(api)[0].image).toBe(`registry.example.com/team/api@${digest}`);
    expect(containersOf(jobs)[0].image).toBe('busybox:1.36');
    expect(rendered.secretName).toBeUndefined();
    expect(kinds(rendered, 'Secret')).toEqual([]);
    // Referenced by its unhashed name in the manifest: kustomize gives it the hashed one, and Ferry adds no second reference.
    expect(containersOf(api)[0].envFrom).toEqual([{ configMapRef: { name: rendered.configMapName } }]);
    expect(containersOf(jobs)[0].envFrom).toEqual([{ configMapRef: { name: rendered.configMapName } }]);
    expect(rendered.objects.every((object) => object.metadata.namespace === 'team')).toBe(true);
  });

  test('target.manifests.image names the image when it is not the artifact name; init containers get the settings too', async () => {
    const sha = commitManifests('Another image name', {
      'deploy/web.yaml': deploymentYaml('web', 'ghcr.io/acme/storefront:dev', '      initContainers:\n        - { name: migrate, image: ghcr.io/acme/storefront:dev }\n'),
    });
    const rendered = await render(input(sha, { version: 'registry.example.com/shop:abc1234', target: { namespace: 'shop', manifests: { path: 'deploy', image: 'ghcr.io/acme/storefront' } } }));
    const containers = containersOf(kinds(rendered, 'Deployment')[0]);
    expect(containers.map((c) => c.image)).toEqual(['registry.example.com/shop:abc1234', 'registry.example.com/shop:abc1234']);
    for (const container of containers) expect(container.envFrom).toEqual([{ configMapRef: { name: rendered.configMapName } }, { secretRef: { name: rendered.secretName } }]);
  });

  test("the digest leaves out the worker's secret values, and keeps what the manifests hold", async () => {
    const rendered = await render(input(shop));
    const changed = (kind: string, data: Record<string, string>) => rendered.objects.map((object) => (object.kind === kind ? { ...object, data } : object));
    expect(digestOf(changed('Secret', { API_TOKEN: 'b3RoZXI=', DATABASE_URL: 'b3RoZXI=' }))).toBe(rendered.digest);
    expect(digestOf(changed('ConfigMap', { LOG_LEVEL: 'debug' }))).not.toBe(rendered.digest);
    // A Secret written in the manifests is the repository's: its values count.
    const own = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls', namespace: 'shop-staging' }, data: { key: 'YQ==' } };
    expect(digestOf([...rendered.objects, own])).not.toBe(digestOf([...rendered.objects, { ...own, data: { key: 'Yg==' } }]));
  });

  describe('is refused, naming the field', () => {
    test('a path that does not exist at the commit', async () => {
      const message = await refusal(input(shop, { target: { namespace: 'shop', manifests: { path: 'k8s/overlays/stagin' } } }));
      expect(message).toBe(`target.manifests.path k8s/overlays/stagin does not exist at commit ${shop.slice(0, 7)}`);
    });

    test('a path that exists only at another commit', async () => {
      const before = repo.commit('Something else first', AUTHORS.ada, { 'other.txt': 'x\n' });
      const after = repo.commit('Staging gets a new overlay', AUTHORS.ada, { 'k8s/overlays/qa/kustomization.yaml': 'resources: [../../base]\n' });
      await expect(render(input(after, { target: { namespace: 'qa', manifests: { path: 'k8s/overlays/qa' } } }))).resolves.toMatchObject({ objects: expect.any(Array) });
      expect(await refusal(input(before, { target: { namespace: 'qa', manifests: { path: 'k8s/overlays/qa' } } }))).toBe(
        `target.manifests.path k8s/overlays/qa does not exist at commit ${before.slice(0, 7)}`,
      );
    });

    test('a path that is a file, or a folder with no manifests', async () => {
      const sha = commitManifests('Odd layout', { 'deploy/notes.txt': 'nothing\n', 'deploy/app.yaml.bak': 'x: 1\n' });
      expect(await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'k8s/base/web.yaml' } } }))).toMatch(/^target\.manifests\.path k8s\/base\/web\.yaml is a file at commit/);
      expect(await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'deploy' } } }))).toBe(
        `target.manifests.path deploy holds neither a kustomization.yaml nor .yaml/.yml manifests at commit ${sha.slice(0, 7)}`,
      );
    });

    test('a path that leads out of the repository through a symbolic link', async () => {
      const sha = commitManifests('A link out', {});
      fs.symlinkSync(os.tmpdir(), path.join(repo.dir, 'deploy'));
      repo.git(['add', 'deploy']);
      repo.git(['commit', '--quiet', '-m', 'link']);
      expect(await refusal(input(repo.head(), { target: { namespace: 'shop', manifests: { path: 'deploy' } } }))).toMatch(/^target\.manifests\.path deploy leads out of the repository at commit/);
      repo.git(['rm', '--quiet', 'deploy']);
      repo.git(['commit', '--quiet', '-m', 'unlink']);
      void sha;
    });

    test('manifests that are not YAML', async () => {
      const sha = commitManifests('Broken YAML', { 'deploy/web.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web\n' });
      const message = await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'deploy' } } }));
      expect(message).toMatch(new RegExp(`^target\\.manifests\\.path deploy does not render at commit ${sha.slice(0, 7)}: .+`));
      // Named as in the repository, not as Ferry's copy of it.
      expect(message).toContain('in File: deploy/web.yaml');
      expect(message).not.toContain(os.tmpdir());
      expect(message).not.toContain('ferry-');
    });

    test('an overlay whose resource is missing, named by its path in the repository', async () => {
      const sha = repo.commit('Staging names a missing file', AUTHORS.ada, { 'k8s/overlays/broken/kustomization.yaml': 'resources: [../../base]\npatches: [{ path: cron.yaml }]\n' });
      const message = await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'k8s/overlays/broken' } } }));
      expect(message).toMatch(new RegExp(`^target\\.manifests\\.path k8s/overlays/broken does not render at commit ${sha.slice(0, 7)}: `));
      expect(message).toContain('k8s/overlays/broken/cron.yaml');
      expect(message).not.toContain(os.tmpdir());
      expect(message).not.toContain('ferry-');
    });

    test("an overlay that reads a file outside its folder (the worker's own files stay out of what is applied)", async () => {
      const sha = repo.commit('Staging reads the worker', AUTHORS.ada, {
        'k8s/overlays/nosy/kustomization.yaml': 'resources: [../../base]\nconfigMapGenerator:\n  - name: nosy\n    files: [/etc/hostname]\n',
      });
      const message = await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'k8s/overlays/nosy' } } }));
      expect(message).toMatch(/does not render at commit .*security; file '\/etc\/hostname' is not in or below/);
    });

    test('an overlay that lists a kustomization elsewhere on the worker, at any depth: refused naming the file and entry, before kustomize runs', async () => {
      const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-files-'));
      try {
        fs.writeFileSync(path.join(elsewhere, 'kustomization.yaml'), 'configMapGenerator:\n  - name: nosy\n    files: [hostname]\n');
        fs.writeFileSync(path.join(elsewhere, 'hostname'), 'the worker\n');
        const sha = repo.commit('Staging lists the worker', AUTHORS.ada, {
          'k8s/overlays/outside/kustomization.yaml': `resources: [../../base, ${elsewhere}]\n`,
          'k8s/overlays/deep/kustomization.yaml': 'resources: [../staging]\ncomponents: [../parts]\n',
          'k8s/overlays/parts/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - ${'../'.repeat(20)}${path.relative('/', elsewhere)}\n`,
        });
        const outside = await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'k8s/overlays/outside' } } }));
        expect(outside).toBe(
          `target.manifests.path k8s/overlays/outside at commit ${sha.slice(0, 7)}: k8s/overlays/outside/kustomization.yaml lists in resources "${elsewhere}", which is outside the repository: Ferry renders the repository's manifests alone`,
        );
        const deep = await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'k8s/overlays/deep' } } }));
        expect(deep).toMatch(new RegExp(`: k8s/overlays/parts/kustomization\\.yaml lists in resources "(\\.\\./)+[^"]+", which is outside the repository`));
      } finally {
        fs.rmSync(elsewhere, { recursive: true, force: true });
      }
    });

    test('an overlay with a remote base: refused naming the file and entry, nothing fetched', async () => {
      for (const remote of ['https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.7.1', 'github.com/example/shop-manifests/base?ref=main', 'git@github.com:example/shop.git']) {
        const sha = repo.commit('Staging on a remote base', AUTHORS.ada, { 'k8s/overlays/remote/kustomization.yaml': `resources:\n  - ../../base\n  - ${remote}\n` });
        const message = await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'k8s/overlays/remote' } } }));
        expect(message).toBe(
          `target.manifests.path k8s/overlays/remote at commit ${sha.slice(0, 7)}: k8s/overlays/remote/kustomization.yaml lists in resources "${remote}", a remote base: Ferry renders the repository's manifests alone, at the promoted commit`,
        );
      }
    });

    test('a kustomization Ferry cannot read fully (too many aliases, not YAML): refused naming the file, before kustomize runs', async () => {
      const up = `${'../'.repeat(12)}tmp/ferry-outside`;
      const aliases = `commonAnnotations:\n  a0: &a v\n${Array.from({ length: 120 }, (_, i) => `  a${i + 1}: *a`).join('\n')}\nresources: [../../base, ${up}]\n`;
      const sha = repo.commit('Staging hides its reach behind aliases', AUTHORS.ada, {
        'k8s/overlays/aliased/kustomization.yaml': aliases,
        'k8s/overlays/garbled/kustomization.yaml': 'resources: [../../base\n  bad: [\n',
      });
      const aliased = await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'k8s/overlays/aliased' } } }));
      expect(aliased).toMatch(
        new RegExp(
          `^target\\.manifests\\.path k8s/overlays/aliased at commit ${sha.slice(0, 7)}: k8s/overlays/aliased/kustomization\\.yaml cannot be read fully \\(.*alias.*\\), so Ferry cannot check what it reaches`,
        ),
      );
      const garbled = await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'k8s/overlays/garbled' } } }));
      expect(garbled).toMatch(/: k8s\/overlays\/garbled\/kustomization\.yaml cannot be read fully \(/);
    });

    test('a kustomization whose merge key (<<) lists a kustomization outside the repository', async () => {
      const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-files-'));
      try {
        fs.writeFileSync(path.join(elsewhere, 'kustomization.yaml'), 'configMapGenerator:\n  - name: nosy\n    literals: [a=b]\n');
        const up = `${'../'.repeat(20)}${path.relative('/', elsewhere)}`;
        const sha = repo.commit('Staging reaches out through a merge key', AUTHORS.ada, {
          'k8s/overlays/merged/kustomization.yaml': `resources: [../../base]\n<<: {resources: [../../base, ${up}]}\n`,
          'k8s/overlays/merged-only/kustomization.yaml': `<<: [{components: [${up}]}]\nresources: [../../base]\n`,
        });
        expect(await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'k8s/overlays/merged' } } }))).toBe(
          `target.manifests.path k8s/overlays/merged at commit ${sha.slice(0, 7)}: k8s/overlays/merged/kustomization.yaml lists in resources "${up}", which is outside the repository: Ferry renders the repository's manifests alone`,
        );
        expect(await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'k8s/overlays/merged-only' } } }))).toContain(
          `k8s/overlays/merged-only/kustomization.yaml lists in components "${up}", which is outside the repository`,
        );
      } finally {
        fs.rmSync(elsewhere, { recursive: true, force: true });
      }
    });

    test('an entry that is neither a file nor a folder of the repository (a missing one, an scp-like remote base): refused naming the file and entry', async () => {
      const scp = 'github.com:kubernetes-sigs/kustomize//examples/helloWorld?ref=v3.3.1';
      const sha = repo.commit('Staging names what is not there', AUTHORS.ada, {
        'k8s/overlays/scp/kustomization.yaml': `resources: [../../base, "${scp}"]\n`,
        'k8s/overlays/gone/kustomization.yaml': 'resources: [../../base, ../nowhere]\n',
      });
      expect(await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'k8s/overlays/scp' } } }))).toBe(
        `target.manifests.path k8s/overlays/scp at commit ${sha.slice(0, 7)}: k8s/overlays/scp/kustomization.yaml lists in resources "${scp}", a remote base: Ferry renders the repository's manifests alone, at the promoted commit`,
      );
      expect(await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'k8s/overlays/gone' } } }))).toBe(
        `target.manifests.path k8s/overlays/gone at commit ${sha.slice(0, 7)}: k8s/overlays/gone/kustomization.yaml lists in resources "../nowhere", which does not exist in the repository: Ferry renders the repository's manifests alone`,
      );
    });

    test("objects named as Ferry's own: the revision record, the canary twin, the canary and preview Services", async () => {
      const secret = (name: string) => `apiVersion: v1\nkind: Secret\nmetadata: { name: ${name} }\nstringData: { note: mine }\n`;
      const service = (name: string) => `apiVersion: v1\nkind: Service\nmetadata: { name: ${name} }\nspec: { ports: [{ port: 80 }] }\n`;
      const target = { namespace: 'shop', manifests: { path: 'deploy' }, service: 'shop', deployment: 'web' };
      const cases: Array<[Record<string, string>, string]> = [
        [{ 'deploy/r.yaml': secret('ferry-shop-revisions') }, "Secret ferry-shop-revisions is named as Ferry's record of the revisions it applied in the namespace"],
        [{ 'deploy/twin.yaml': deploymentYaml('web-canary', 'shop') }, 'Deployment web-canary is named as the canary Ferry runs beside Deployment web (target.deployment)'],
        [{ 'deploy/svc.yaml': service('shop-canary') }, 'Service shop-canary is named as the Service Ferry makes to reach the canary alone (target.service shop)'],
        [{ 'deploy/svc.yaml': service('shop-preview') }, 'Service shop-preview is named as the Service Ferry makes to reach the preview alone (target.service shop)'],
      ];
      for (const [files, reason] of cases) {
        const sha = commitManifests(`Named as Ferry's own: ${Object.keys(files)[0]}`, { 'deploy/web.yaml': deploymentYaml('web', 'shop'), ...files });
        expect(await refusal(input(sha, { target }))).toBe(`target.manifests.path deploy at commit ${sha.slice(0, 7)}: ${reason}: Ferry would overwrite or delete it; rename it`);
      }
      // Without a canary Deployment or a Service named, those names are the manifests' to use.
      const free = commitManifests('Free names', {
        'deploy/web.yaml': deploymentYaml('web', 'shop'),
        'deploy/twin.yaml': deploymentYaml('web-canary', 'shop'),
        'deploy/svc.yaml': service('shop-canary'),
      });
      await expect(render(input(free, { target: { namespace: 'shop', manifests: { path: 'deploy' } } }))).resolves.toMatchObject({ objects: expect.any(Array) });
    });

    test('workloads Ferry neither rolls out nor watches (StatefulSet, DaemonSet, ReplicaSet, Pod, ReplicationController); Jobs and CronJobs pass', async () => {
      const podSpec = 'spec:\n  selector: { matchLabels: { app: x } }\n  template:\n    metadata: { labels: { app: x } }\n    spec: { containers: [{ name: main, image: shop }] }\n';
      const workloads: Array<[string, string]> = [
        ['apps/v1', 'StatefulSet'],
        ['apps/v1', 'DaemonSet'],
        ['apps/v1', 'ReplicaSet'],
        ['v1', 'ReplicationController'],
      ];
      for (const [apiVersion, kind] of workloads) {
        const sha = commitManifests(`A ${kind}`, { 'deploy/web.yaml': deploymentYaml('web', 'shop'), 'deploy/x.yaml': `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: { name: db }\n${podSpec}` });
        expect(await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'deploy' } } }))).toBe(
          `target.manifests.path deploy at commit ${sha.slice(0, 7)}: ${kind} db is a workload Ferry neither rolls out nor watches: Ferry rolls out and watches Deployments (and applies Jobs and CronJobs without watching them); make it a Deployment`,
        );
      }
      const pod = commitManifests('A bare Pod', {
        'deploy/web.yaml': deploymentYaml('web', 'shop'),
        'deploy/pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: { name: lone }\nspec: { containers: [{ name: main, image: shop }] }\n',
      });
      expect(await refusal(input(pod, { target: { namespace: 'shop', manifests: { path: 'deploy' } } }))).toContain('Pod lone is a workload Ferry neither rolls out nor watches');
      const job =
        'apiVersion: batch/v1\nkind: CronJob\nmetadata: { name: nightly }\nspec:\n  schedule: "0 3 * * *"\n  jobTemplate: { spec: { template: { spec: { restartPolicy: Never, containers: [{ name: main, image: shop }] } } } }\n';
      const jobs = commitManifests('A CronJob', { 'deploy/web.yaml': deploymentYaml('web', 'shop'), 'deploy/job.yaml': job });
      await expect(render(input(jobs, { target: { namespace: 'shop', manifests: { path: 'deploy' } } }))).resolves.toMatchObject({
        objects: expect.arrayContaining([expect.objectContaining({ kind: 'CronJob' })]),
      });
    });

    test('manifests that make kustomize run past its timeout (a billion laughs): refused for good, naming the path and commit', async () => {
      const row = (name: string, of: string) => `  ${name}: &${name} [${Array(9).fill(`*${of}`).join(',')}]`;
      const names = 'bcdefghi'.split('');
      const bomb = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\ndata:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n${names.map((n, i) => row(n, i === 0 ? 'a' : names[i - 1])).join('\n')}\n`;
      const sha = commitManifests('A billion laughs', { 'deploy/web.yaml': deploymentYaml('web', 'shop'), 'deploy/bomb.yaml': bomb });
      const error: unknown = await renderManifests(input(sha, { target: { namespace: 'shop', manifests: { path: 'deploy' } } }), { kustomize, worker, timeoutMs: 2_000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApplicationFailure);
      expect(error).toMatchObject({
        type: 'InvalidInput',
        nonRetryable: true,
        message: `target.manifests.path deploy does not render at commit ${sha.slice(0, 7)}: kustomize build took longer than 2 s (the repository's own files never need that long: aliases that multiply, or files too large)`,
      });
    });

    test('a secret that names a worker variable this worker lacks', async () => {
      const message = await refusal(input(shop), 'InvalidInput', { SHOP_STAGING_DATABASE_URL: DATABASE_URL });
      expect(message).toBe("secrets.API_TOKEN: the app's API_TOKEN comes from the worker variable SHOP_API_TOKEN (or, for the database URL, database.urlEnv), which is not set on this worker");
    });

    test('an image the manifests never use, naming the image looked for and those seen', async () => {
      const message = await refusal(input(shop, { version: 'registry.example.com/shop:abc1234' }));
      expect(message).toBe(
        `target.manifests.path k8s/overlays/staging at commit ${shop.slice(0, 7)}: no container uses the image registry.example.com/shop, so the artifact would reach none ` +
          "(the manifests' images: shop); set target.manifests.image to the image name the manifests use",
      );
      expect(await refusal(input(shop, { target: { namespace: 'shop', manifests: { path: 'k8s/overlays/staging', image: 'nginx' } } }))).toContain('no container uses the image nginx');
    });

    test('a cluster-scoped object', async () => {
      const role = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: { name: reader }\nrules: []\n';
      const sha = commitManifests('A cluster role', { 'deploy/web.yaml': deploymentYaml('web', 'shop'), 'deploy/role.yaml': role });
      expect(await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'deploy' } } }))).toBe(
        `target.manifests.path deploy at commit ${sha.slice(0, 7)}: ClusterRole reader is cluster-scoped: Ferry applies namespaced objects only, in namespace shop`,
      );
      const namespace = commitManifests('A namespace', { 'deploy/web.yaml': deploymentYaml('web', 'shop'), 'deploy/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n' });
      expect(await refusal(input(namespace, { target: { namespace: 'shop', manifests: { path: 'deploy' } } }))).toContain('Namespace shop is cluster-scoped');
      // A kind kustomize does not know as cluster-scoped: it gives it the namespace all the same.
      const policy = 'apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: { name: strict }\nspec: {}\n';
      const admission = commitManifests('An admission policy', { 'deploy/web.yaml': deploymentYaml('web', 'shop'), 'deploy/policy.yaml': policy });
      expect(await refusal(input(admission, { target: { namespace: 'shop', manifests: { path: 'deploy' } } }))).toContain('ValidatingAdmissionPolicy strict is cluster-scoped');
    });

    test('manifests without a Deployment', async () => {
      const sha = commitManifests('Only a service', { 'deploy/svc.yaml': 'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { ports: [{ port: 80 }] }\n' });
      expect(await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'deploy' } } }))).toBe(
        `target.manifests.path deploy at commit ${sha.slice(0, 7)}: they hold no Deployment (apps/v1): Ferry rolls out and watches the Deployments of the manifests`,
      );
    });

    test('a secret value kustomize prints in its error is masked', async () => {
      // Two objects named after the secret's value: kustomize's refusal names them.
      const named = (kind: string) => `apiVersion: v1\nkind: ${kind}\nmetadata: { name: ${API_TOKEN} }\n`;
      const sha = commitManifests('Names that clash', { 'deploy/a.yaml': named('ConfigMap'), 'deploy/b.yaml': named('ConfigMap'), 'deploy/web.yaml': deploymentYaml('web', 'shop') });
      const message = await refusal(input(sha, { target: { namespace: 'shop', manifests: { path: 'deploy' } } }));
      expect(message).toMatch(/does not render at commit/);
      expect(message).toContain('***SHOP_API_TOKEN***');
      expect(message).not.toContain(API_TOKEN);
    });

    test('a kustomize that hangs: stopped at the timeout, refused for good naming the path and commit, or at once when cancelled', async () => {
      const hanging = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-test-kustomize-')), 'kustomize');
      fs.writeFileSync(hanging, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
      try {
        const timedOut: unknown = await renderManifests(input(shop), { kustomize: hanging, worker, timeoutMs: 300 }).catch((e: unknown) => e);
        expect(timedOut).toBeInstanceOf(ApplicationFailure);
        expect(timedOut).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
        expect((timedOut as Error).message).toMatch(
          new RegExp(`^target\\.manifests\\.path k8s/overlays/staging does not render at commit ${shop.slice(0, 7)}: kustomize build took longer than 0\\.3 s`),
        );
        const controller = new AbortController();
        const reason = new Error('cancelled by the test');
        const cancelled = renderManifests(input(shop), { kustomize: hanging, worker, signal: controller.signal });
        setTimeout(() => controller.abort(reason), 300);
        await expect(cancelled).rejects.toBe(reason);
      } finally {
        fs.rmSync(path.dirname(hanging), { recursive: true, force: true });
      }
    });

    test('no kustomize on the worker: not available, saying how to get it', () => {
      expect(() => findKustomize({ PATH: '/nonexistent' })).toThrow(expect.objectContaining({ type: 'NotAvailable', nonRetryable: true }));
      expect(() => findKustomize({ PATH: '/nonexistent' })).toThrow(/FERRY_KUSTOMIZE.*go install sigs\.k8s\.io\/kustomize\/kustomize\/v5@v5\.7\.1/);
      expect(() => findKustomize({ FERRY_KUSTOMIZE: '/nonexistent/kustomize', PATH: path.dirname(kustomize) })).toThrow(/FERRY_KUSTOMIZE is \/nonexistent\/kustomize, which is not an executable file/);
      expect(findKustomize({ FERRY_KUSTOMIZE: kustomize })).toBe(kustomize);
    });
  });
});
