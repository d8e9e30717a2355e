/**
 * deploy/kubernetes/, checked without a cluster. Every manifest is parsed strictly twice over:
 * against the Kubernetes API's JSON schemas (kubernetes-models and its KEDA models: required
 * fields, enums, quantities, types), and field by field against the API types of the official
 * client (@kubernetes/client-node), which the schemas do not do: a field the API does not have
 * (a misspelt `livenesProbe`, which the API server would drop with a warning) fails here. KEDA's
 * types are not in that client; the few used are written below from KEDA's API. Then what the
 * recipe promises: probes on /health, non-root, a read-only root with emptyDirs where ferry
 * writes, a grace period above ferry's stop deadline, a PDB, a ScaledObject on the ledger.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { parse, parseAllDocuments } from 'yaml';

const REPO = path.resolve(import.meta.dirname, '../..');
const DIR = path.join(REPO, 'deploy', 'kubernetes');

interface Attribute {
  readonly baseName: string;
  readonly type: string;
}
type TypeMap = Record<string, readonly Attribute[]>;

/** The KEDA types the recipe uses (keda.sh/v1alpha1, KEDA 2.x `apis/keda/v1alpha1`), as the client's maps are shaped. */
const fields = (entries: Record<string, string>): Attribute[] => Object.entries(entries).map(([baseName, type]) => ({ baseName, type }));
const KEDA_TYPES: TypeMap = {
  ScaledObject: fields({ apiVersion: 'string', kind: 'string', metadata: 'V1ObjectMeta', spec: 'ScaledObjectSpec', status: 'object' }),
  ScaledObjectSpec: fields({
    scaleTargetRef: 'ScaleTarget',
    pollingInterval: 'number',
    initialCooldownPeriod: 'number',
    cooldownPeriod: 'number',
    idleReplicaCount: 'number',
    minReplicaCount: 'number',
    maxReplicaCount: 'number',
    advanced: 'AdvancedConfig',
    triggers: 'Array<ScaleTriggers>',
    fallback: 'object',
  }),
  ScaleTarget: fields({ name: 'string', apiVersion: 'string', kind: 'string', envSourceContainerName: 'string' }),
  AdvancedConfig: fields({
    horizontalPodAutoscalerConfig: 'HorizontalPodAutoscalerConfig',
    restoreToOriginalReplicaCount: 'boolean',
    scalingModifiers: 'object',
  }),
  HorizontalPodAutoscalerConfig: fields({ name: 'string', behavior: 'V2HorizontalPodAutoscalerBehavior' }),
  ScaleTriggers: fields({
    type: 'string',
    name: 'string',
    useCachedMetrics: 'boolean',
    metadata: '{ [key: string]: string; }',
    authenticationRef: 'object',
    metricType: 'string',
  }),
};
/** The PostgreSQL scaler's metadata (https://keda.sh/docs/latest/scalers/postgresql/). */
const POSTGRESQL_SCALER_KEYS = [
  'query',
  'targetQueryValue',
  'activationTargetQueryValue',
  'connectionFromEnv',
  'host',
  'port',
  'userName',
  'passwordFromEnv',
  'dbName',
  'sslmode',
];

function attributesOf(type: string): readonly Attribute[] | undefined {
  if (KEDA_TYPES[type]) return KEDA_TYPES[type];
  const model = (k8s as unknown as Record<string, { getAttributeTypeMap?: () => Attribute[] }>)[type];
  return model?.getAttributeTypeMap?.();
}

/** Every field of `value` is one the type declares, with a value of the declared kind. */
function strictFields(value: unknown, type: string, at: string, problems: string[]): void {
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  const list = /^Array<(.+)>$/.exec(type);
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (list) {
    if (kind !== 'array') return void problems.push(`${at}: a list expected, found ${kind}`);
    (value as unknown[]).forEach((item, index) => {
      strictFields(item, list[1] as string, `${at}[${index}]`, problems);
    });
  } else if (map) {
    if (kind !== 'object') return void problems.push(`${at}: a map expected, found ${kind}`);
    for (const [key, item] of Object.entries(value as object)) strictFields(item, map[1] as string, `${at}.${key}`, problems);
  } else if (type === 'IntOrString') {
    if (kind !== 'number' && kind !== 'string') problems.push(`${at}: a number or a string expected, found ${kind}`);
  } else if (type === 'string' || type === 'number' || type === 'boolean') {
    if (kind !== type) problems.push(`${at}: ${type} expected, found ${kind} (${JSON.stringify(value)})`);
  } else if (type === 'object' || type === 'any') {
    // free-form in the API
  } else {
    const attributes = attributesOf(type);
    if (!attributes) return void problems.push(`${at}: the type ${type} is unknown to this test`);
    if (kind !== 'object') return void problems.push(`${at}: a ${type} object expected, found ${kind}`);
    for (const [key, item] of Object.entries(value as object)) {
      const attribute = attributes.find((candidate) => candidate.baseName === key);
      if (!attribute) problems.push(`${at}.${key}: ${type} has no field "${key}"`);
      else strictFields(item, attribute.type, `${at}.${key}`, problems);
    }
  }
}

interface Manifest {
  readonly file: string;
  readonly body: Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } };
}

/** Schema validation (kubernetes-models) and the client's type, by apiVersion and kind. */
const KINDS: Record<string, { validate(body: object): void; type: string }> = {
  'v1/ConfigMap': { validate: (body) => new ConfigMap(body as never).validate(), type: 'V1ConfigMap' },
  'v1/Secret': { validate: (body) => new Secret(body as never).validate(), type: 'V1Secret' },
  'v1/Service': { validate: (body) => new Service(body as never).validate(), type: 'V1Service' },
  'apps/v1/Deployment': { validate: (body) => new Deployment(body as never).validate(), type: 'V1Deployment' },
  'policy/v1/PodDisruptionBudget': { validate: (body) => new PodDisruptionBudget(body as never).validate(), type: 'V1PodDisruptionBudget' },
  'keda.sh/v1alpha1/ScaledObject': { validate: (body) => new ScaledObject(body as never).validate(), type: 'ScaledObject' },
};

function manifests(): Manifest[] {
  return fs
    .readdirSync(DIR)
    .filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml')
    .flatMap((file) =>
      parseAllDocuments(fs.readFileSync(path.join(DIR, file), 'utf8'), { strict: true, uniqueKeys: true }).map((document) => {
        assert.deepEqual(document.errors, [], `${file}: ${document.errors.join('; ')}`);
        return { file, body: document.toJS() as Manifest['body'] };
      }),
    );
}

function find<T>(all: Manifest[], kind: string): T {
  const found = all.filter((manifest) => manifest.body.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]?.body as T;
}

describe('deploy/kubernetes', () => {
  const all = manifests();

  it('every manifest is valid against the API schemas and has only fields the API types declare', () => {
    assert.ok(all.length >= 6);
    for (const { file, body } of all) {
      const kind = KINDS[`${body.apiVersion}/${body.kind}`];
      assert.ok(kind, `${file}: ${body.apiVersion} ${body.kind} is not a kind this test knows`);
      assert.doesNotThrow(() => kind.validate(body), `${file}: ${body.kind} ${body.metadata?.name}`);
      const problems: string[] = [];
      strictFields(body, kind.type, `${file}:${body.kind}`, problems);
      assert.deepEqual(problems, []);
    }
  });

  it('the checks fail on a value the schema refuses, a field the API does not have, a wrong kind of value', () => {
    const refused = structuredClone(find<k8s.V1Deployment>(all, 'Deployment'));
    (refused.spec?.template.spec?.containers[0] as k8s.V1Container).imagePullPolicy = 'Sometimes';
    assert.throws(() => KINDS['apps/v1/Deployment']?.validate(refused), /imagePullPolicy must be equal to one of the allowed values/);

    const deployment = structuredClone(find<k8s.V1Deployment>(all, 'Deployment'));
    const container = deployment.spec?.template.spec?.containers[0] as unknown as Record<string, unknown>;
    container.livenesProbe = container.livenessProbe;
    (container.securityContext as Record<string, unknown>).readOnlyRootFilesystem = 'true';
    const problems: string[] = [];
    strictFields(deployment, 'V1Deployment', 'Deployment', problems);
    assert.deepEqual(problems, [
      'Deployment.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem: boolean expected, found string ("true")',
      'Deployment.spec.template.spec.containers[0].livenesProbe: V1Container has no field "livenesProbe"',
    ]);
  });

  it('kustomization.yaml lists every manifest', () => {
    const kustomization = parse(fs.readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8')) as { kind: string; resources: string[] };
    assert.equal(kustomization.kind, 'Kustomization');
    assert.deepEqual([...kustomization.resources].sort(), [...new Set(all.map((manifest) => manifest.file))].sort());
  });

  it('Deployment: probes on /health, non-root as the image user, read-only root with emptyDirs where ferry writes, resources, grace period above the stop deadline', () => {
    const deployment = find<k8s.V1Deployment>(all, 'Deployment');
    const pod = deployment.spec?.template.spec as k8s.V1PodSpec;
    const [container] = pod.containers;
    assert.ok(container && pod.containers.length === 1);
    assert.equal(deployment.spec?.replicas, undefined, 'the ScaledObject owns the replica count');

    const port = container.ports?.find((candidate) => candidate.name === 'http');
    assert.equal(port?.containerPort, 8000);
    for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) {
      assert.equal(probe?.httpGet?.path, '/health');
      assert.equal(probe?.httpGet?.port, 'http');
    }

    const dockerfile = fs.readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');
    const imageUid = Number(/useradd .*--uid (\d+)/.exec(dockerfile)?.[1]);
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(pod.securityContext?.runAsUser, imageUid, "the Dockerfile's user");
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(container.securityContext?.capabilities?.drop, ['ALL']);
    assert.equal(pod.automountServiceAccountToken, false);

    // Writable: the data folder (FERRY_DATA_DIR, `.ferry` under the image's WORKDIR) and the temp folder.
    const workdir = /^WORKDIR (\S+)/m.exec(dockerfile.slice(dockerfile.indexOf('AS runtime')))?.[1];
    const emptyDirs = new Set(pod.volumes?.filter((volume) => volume.emptyDir).map((volume) => volume.name));
    const writable = container.volumeMounts?.filter((mount) => emptyDirs.has(mount.name) && !mount.readOnly).map((mount) => mount.mountPath);
    assert.deepEqual(writable?.sort(), [`${workdir}/.ferry`, '/tmp']);

    assert.ok(container.resources?.requests?.cpu && container.resources.requests.memory, 'requests');
    assert.ok(container.resources?.limits?.memory, 'a memory limit');

    const hardExitMs = Number(/const HARD_EXIT_MS = ([\d_]+)/.exec(fs.readFileSync(path.join(REPO, 'src/cli/signals.ts'), 'utf8'))?.[1]?.replaceAll('_', ''));
    assert.ok(hardExitMs > 0);
    assert.ok((pod.terminationGracePeriodSeconds ?? 30) * 1000 > hardExitMs + 5_000, 'the grace period outlasts ferry’s own deadline');
  });

  it('Deployment: the memory request holds the measured small-file footprint, the limit the large-file peak (README, Memory)', () => {
    const container = find<k8s.V1Deployment>(all, 'Deployment').spec?.template.spec?.containers[0] as k8s.V1Container;
    const mebibytes = (quantity: unknown) => {
      const match = /^(\d+)(Mi|Gi)$/.exec(String(quantity));
      assert.ok(match, `a quantity in Mi or Gi: ${String(quantity)}`);
      return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
    };
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const load = /^\| steady small-file load[^\n]*\| \*\*\d+ MiB \((\d+)\)\*\*/m.exec(readme);
    const large = /^\| `ferry run --once` of a 3M-row Parquet file[^\n]*\| (\d+) MiB \([\d.]+ s\) \|$/m.exec(readme);
    assert.ok(load && large, "the README's Memory table");
    assert.ok(mebibytes(container.resources?.requests?.memory) >= Number(load[1]), 'the request holds the peak of a steady load');
    assert.ok(mebibytes(container.resources?.limits?.memory) >= 2 * Number(large[1]), 'the limit is twice the large-file peak');
  });

  it('config from the ConfigMap and the Secret: names that exist, the config file mounted over the image’s', () => {
    const deployment = find<k8s.V1Deployment>(all, 'Deployment');
    const configMap = find<k8s.V1ConfigMap>(all, 'ConfigMap');
    const secret = find<k8s.V1Secret>(all, 'Secret');
    const pod = deployment.spec?.template.spec as k8s.V1PodSpec;
    const container = pod.containers[0] as k8s.V1Container;
    assert.deepEqual(
      container.envFrom?.map((source) => source.configMapRef?.name ?? source.secretRef?.name),
      [configMap.metadata?.name, secret.metadata?.name],
    );
    assert.ok(secret.stringData?.DATABASE_URL?.startsWith('postgres://'));
    assert.ok(secret.stringData?.FERRY_READ_TOKEN, 'bound beyond loopback, ferry wants a read token');
    for (const key of Object.keys(configMap.data ?? {})) {
      if (/^[A-Z_]+$/.test(key)) assert.ok(!/SECRET|TOKEN|PASSWORD|DATABASE_URL/.test(key), `${key} belongs in the Secret`);
    }
    const mount = container.volumeMounts?.find((candidate) => candidate.mountPath.endsWith('/ferry.config.ts'));
    assert.equal(mount?.mountPath, '/srv/ferry/ferry.config.ts');
    const volume = pod.volumes?.find((candidate) => candidate.name === mount?.name);
    assert.equal(volume?.configMap?.name, configMap.metadata?.name);
    assert.match(configMap.data?.[mount?.subPath ?? ''] ?? '', /defineConfig\(/);
  });

  it('PodDisruptionBudget and Service select the Deployment’s pods', () => {
    const labels = find<k8s.V1Deployment>(all, 'Deployment').spec?.template.metadata?.labels ?? {};
    const budget = find<k8s.V1PodDisruptionBudget>(all, 'PodDisruptionBudget');
    assert.deepEqual(budget.spec?.selector?.matchLabels, labels);
    assert.ok(budget.spec?.maxUnavailable !== undefined || budget.spec?.minAvailable !== undefined);
    assert.deepEqual(find<k8s.V1Service>(all, 'Service').spec?.selector, labels);
  });

  it('ScaledObject: scales the Deployment on pending files in the ledger, never below one instance', () => {
    const scaled = find<{
      spec: {
        scaleTargetRef: { name: string };
        minReplicaCount: number;
        maxReplicaCount: number;
        triggers: { type: string; metadata: Record<string, string> }[];
      };
    }>(all, 'ScaledObject');
    assert.equal(scaled.spec.scaleTargetRef.name, find<k8s.V1Deployment>(all, 'Deployment').metadata?.name);
    assert.ok(scaled.spec.minReplicaCount >= 1, 'an instance lists the storage: at zero no backlog would ever appear');
    assert.ok(scaled.spec.maxReplicaCount > scaled.spec.minReplicaCount);
    const [trigger] = scaled.spec.triggers;
    assert.equal(trigger?.type, 'postgresql');
    for (const key of Object.keys(trigger?.metadata ?? {})) assert.ok(POSTGRESQL_SCALER_KEYS.includes(key), `postgresql scaler metadata: ${key}`);
    assert.match(trigger?.metadata.query ?? '', /FROM ferry_files WHERE status = 'pending'/);
    assert.ok(Number(trigger?.metadata.targetQueryValue) > 0);
    assert.ok(find<k8s.V1Secret>(all, 'Secret').stringData?.[trigger?.metadata.connectionFromEnv ?? ''], 'the connection string is in the Secret');
  });
});
