// The local Kubernetes cluster (npm run k8s:up) does what the stacks need: its images run, Services resolve and route,
// volumes keep data, StatefulSets name their pods, anti-affinity spreads over the zone-labelled nodes, and
// NetworkPolicies are enforced. Run by `npm run test:k8s` (test/k8s-run.ts brings the cluster up first).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { commandPod, eventually, Kubectl, localKubernetes, type LocalKubernetes } from '../harness/kube';

let cluster: LocalKubernetes;
let kubectl: Kubectl;
const namespaces: string[] = [];

before(() => {
  cluster = localKubernetes();
  kubectl = new Kubectl(cluster);
});
after(async () => {
  for (const namespace of namespaces) await kubectl.deleteNamespace(namespace);
});

async function namespace(prefix: string): Promise<string> {
  const name = await kubectl.createNamespace(prefix);
  namespaces.push(name);
  return name;
}

/** A Deployment of `replicas` small HTTP servers answering with their pod name, behind a ClusterIP Service. */
function echoServer(ns: string, name: string, replicas: number, labels: Record<string, string> = {}): string {
  const extraLabels = Object.entries(labels).map(([k, v]) => `        ${k}: "${v}"`).join('\n');
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${ns} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata:
      labels:
        app: ${name}
${extraLabels}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: server
          image: ${cluster.images.node}
          imagePullPolicy: Never
          command: [node, -e, "require('http').createServer((q, s) => s.end(require('os').hostname())).listen(8080)"]
          ports: [{ containerPort: 8080 }]
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${ns} }
spec:
  selector: { app: ${name} }
  ports: [{ port: 80, targetPort: 8080 }]
`;
}

/** A Node one-liner that GETs url `times` times and prints each answer on a line (or the error). */
function fetchScript(url: string, times: number): string {
  return `(async () => { for (let i = 0; i < ${times}; i++) { try { const r = await fetch('${url}', { signal: AbortSignal.timeout(3000) }); console.log(await r.text()); } catch (e) { console.log('ERROR ' + (e.cause?.code ?? e.name)); } } })()`;
}

describe('local Kubernetes cluster', () => {
  it('has three Ready nodes, one per zone, at the pinned Kubernetes version', async () => {
    const nodes = await kubectl.json<{ items: any[] }>(['get', 'nodes']);
    assert.deepEqual(nodes.items.map((n) => n.metadata.name).sort(), [...cluster.nodes].sort());
    for (const node of nodes.items) {
      const ready = node.status.conditions.find((c: any) => c.type === 'Ready');
      assert.equal(ready?.status, 'True', `${node.metadata.name} Ready`);
      assert.match(node.status.nodeInfo.kubeletVersion, /^v1\.33\.\d+$/);
    }
    assert.deepEqual(nodes.items.map((n) => n.metadata.labels['topology.kubernetes.io/zone']).sort(), [...cluster.zones].sort());
    const version = JSON.parse(await kubectl.ok(['version', '-o', 'json']));
    assert.match(version.serverVersion.gitVersion, /^v1\.33\.\d+$/);
    assert.match(version.clientVersion.gitVersion, /^v1\.33\.\d+$/);
  });

  it('runs each local image and finds in it what the image should hold', async () => {
    const ns = await namespace('smoke-images');
    const checks: { name: string; image: string; command: string[]; expect: RegExp }[] = [
      { name: 'jre', image: cluster.images.jre, command: ['java', '-version'], expect: /openjdk version "17\./ },
      {
        name: 'kafka',
        image: cluster.images.kafka,
        command: ['bash', '-c', 'ls "$KAFKA_HOME/libs" && java -cp "$KAFKA_HOME/libs/*" kafka.Kafka --version 2>/dev/null; id -u'],
        expect: new RegExp(`kafka_2\\.13-${cluster.kafkaVersion.replace(/\./g, '\\.')}\\.jar[\\s\\S]*${cluster.kafkaVersion.replace(/\./g, '\\.')}[\\s\\S]*^1000$`, 'm'),
      },
      {
        name: 'zookeeper',
        image: cluster.images.zookeeper,
        command: ['bash', '-c', 'ls /opt/zookeeper/lib && command -v zkServer.sh nc && java -cp "/opt/zookeeper/lib/*" org.apache.zookeeper.Version'],
        expect: new RegExp(`zookeeper-${cluster.zookeeperVersion.replace(/\./g, '\\.')}\\.jar[\\s\\S]*zkServer\\.sh[\\s\\S]*/nc[\\s\\S]*${cluster.zookeeperVersion.replace(/\./g, '\\.')}`),
      },
      { name: 'node', image: cluster.images.node, command: ['node', '--version'], expect: /^v20\.\d+\.\d+$/m },
      { name: 'debian', image: cluster.images.debian, command: ['bash', '-c', 'cat /etc/debian_version; command -v nc'], expect: /^12\.\d+[\s\S]*\/nc$/m },
    ];
    for (const check of checks) {
      await kubectl.apply(commandPod({ name: check.name, namespace: ns, image: check.image, command: check.command }));
    }
    for (const check of checks) {
      const output = await kubectl.podOutput(ns, check.name);
      assert.match(output, check.expect, `${check.name}: ${output}`);
    }
  });

  it('resolves a Service by DNS and spreads its connections over the endpoints through kube-proxy', async () => {
    const ns = await namespace('smoke-service');
    await kubectl.apply(echoServer(ns, 'echo', 2));
    await kubectl.ok(['-n', ns, 'rollout', 'status', 'deployment/echo', '--timeout=120s']);
    const service = await kubectl.json(['-n', ns, 'get', 'service', 'echo']);
    const host = `echo.${ns}.svc.cluster.local`;
    const pods = (await kubectl.json<{ items: any[] }>(['-n', ns, 'get', 'pods', '-l', 'app=echo'])).items.map((p) => p.metadata.name);
    // Endpoints reach each node's kube-proxy a moment after the rollout: a client pod per attempt until both answer.
    let attempt = 0;
    const answered = await eventually('both endpoints answering through the Service', async () => {
      const name = `client-${attempt++}`;
      await kubectl.apply(
        commandPod({
          name,
          namespace: ns,
          image: cluster.images.node,
          command: ['bash', '-c', `getent hosts ${host} && node -e "${fetchScript(`http://${host}/`, 20)}"`],
        }),
      );
      const [resolved, ...answers] = (await kubectl.podOutput(ns, name)).trim().split('\n');
      assert.equal(resolved.split(/\s+/)[0], service.spec.clusterIP, 'DNS answers the Service address');
      assert.equal(answers.length, 20);
      for (const answer of answers) assert.ok(pods.includes(answer), `answer '${answer}' comes from an endpoint pod`);
      return new Set(answers).size === 2 ? answers : undefined;
    }, 90_000, 2_000);
    assert.equal(new Set(answered).size, 2, 'both endpoints answered');
  });

  it('binds a claim from the default StorageClass and keeps its data across a pod restart', async () => {
    const ns = await namespace('smoke-volume');
    const token = `token-${Date.now()}`;
    await kubectl.apply(`apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data, namespace: ${ns} }
spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 16Mi } } }
`);
    const volume = `  volumes: [{ name: data, persistentVolumeClaim: { claimName: data } }]\n`;
    const mount = `      volumeMounts: [{ name: data, mountPath: /data }]\n`;
    await kubectl.apply(
      commandPod({ name: 'writer', namespace: ns, image: cluster.images.debian, command: ['bash', '-c', `echo ${token} > /data/token && sync`], extraSpec: mount + volume }),
    );
    await kubectl.podOutput(ns, 'writer');
    const claim = await kubectl.json(['-n', ns, 'get', 'pvc', 'data']);
    assert.equal(claim.status.phase, 'Bound');
    const pv = await kubectl.json(['get', 'pv', claim.spec.volumeName]);
    assert.equal(pv.spec.storageClassName, 'local-path');
    await kubectl.ok(['-n', ns, 'delete', 'pod', 'writer', '--wait=true']);
    await kubectl.apply(
      commandPod({ name: 'reader', namespace: ns, image: cluster.images.debian, command: ['cat', '/data/token'], extraSpec: mount + volume }),
    );
    assert.equal((await kubectl.podOutput(ns, 'reader')).trim(), token);
  });

  it('gives a StatefulSet of 3 stable names that resolve and survive a pod deletion', async () => {
    const ns = await namespace('smoke-sts');
    await kubectl.apply(`apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${ns} }
spec: { clusterIP: None, selector: { app: web }, ports: [{ port: 8080 }] }
---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: web, namespace: ${ns} }
spec:
  serviceName: web
  replicas: 3
  podManagementPolicy: Parallel
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: ${cluster.images.debian}
          imagePullPolicy: Never
          command: [sleep, infinity]
`);
    await kubectl.ok(['-n', ns, 'rollout', 'status', 'statefulset/web', '--timeout=120s']);
    const names = (await kubectl.json<{ items: any[] }>(['-n', ns, 'get', 'pods', '-l', 'app=web'])).items.map((p) => p.metadata.name).sort();
    assert.deepEqual(names, ['web-0', 'web-1', 'web-2']);
    const oldUid = (await kubectl.json(['-n', ns, 'get', 'pod', 'web-1'])).metadata.uid;
    await kubectl.ok(['-n', ns, 'delete', 'pod', 'web-1', '--wait=true']);
    await eventually('web-1 back and Ready', async () => {
      const pod = await kubectl.json(['-n', ns, 'get', 'pod', 'web-1']);
      const ready = pod.status.conditions?.find((c: any) => c.type === 'Ready')?.status === 'True';
      return pod.metadata.uid !== oldUid && ready ? true : undefined;
    });
    const ips = await kubectl.ok(['-n', ns, 'exec', 'web-0', '--', 'bash', '-c', `for i in 0 1 2; do getent hosts web-$i.web.${ns}.svc.cluster.local; done`]);
    assert.equal(ips.trim().split('\n').length, 3, ips);
    const web1 = await kubectl.json(['-n', ns, 'get', 'pod', 'web-1']);
    assert.match(ips, new RegExp(`^${web1.status.podIP.replace(/\./g, '\\.')}\\s+web-1\\.`, 'm'), 'web-1 resolves to the new pod');
  });

  it('spreads pods with a required zone anti-affinity over the three nodes and leaves a fourth Pending', async () => {
    const ns = await namespace('smoke-spread');
    await kubectl.apply(`apiVersion: apps/v1
kind: Deployment
metadata: { name: spread, namespace: ${ns} }
spec:
  replicas: 4
  selector: { matchLabels: { app: spread } }
  template:
    metadata: { labels: { app: spread } }
    spec:
      terminationGracePeriodSeconds: 1
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            - { labelSelector: { matchLabels: { app: spread } }, topologyKey: topology.kubernetes.io/zone }
      containers:
        - { name: main, image: ${cluster.images.debian}, imagePullPolicy: Never, command: [sleep, infinity] }
`);
    const pods = await eventually('3 Running and 1 unschedulable', async () => {
      const items = (await kubectl.json<{ items: any[] }>(['-n', ns, 'get', 'pods', '-l', 'app=spread'])).items;
      const running = items.filter((p) => p.status.phase === 'Running');
      const pending = items.filter(
        (p) => p.status.phase === 'Pending' && p.status.conditions?.some((c: any) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'),
      );
      return running.length === 3 && pending.length === 1 ? running : undefined;
    });
    assert.deepEqual(pods.map((p) => p.spec.nodeName).sort(), [...cluster.nodes].sort());
  });

  it('enforces a default-deny NetworkPolicy and lets through only what a policy allows', async () => {
    const ns = await namespace('smoke-netpol');
    await kubectl.apply(echoServer(ns, 'target', 1));
    await kubectl.ok(['-n', ns, 'rollout', 'status', 'deployment/target', '--timeout=120s']);
    const url = `http://target.${ns}.svc.cluster.local/`;
    const probe = async (name: string, role: string) => {
      await kubectl.apply(commandPod({ name, namespace: ns, image: cluster.images.node, labels: { role }, command: ['node', '-e', fetchScript(url, 1)] }));
      return (await kubectl.podOutput(ns, name)).trim();
    };
    // Reachable without a policy, once the endpoint has reached kube-proxy.
    let warmup = 0;
    await eventually('the target reachable before any policy', async () => ((await probe(`before-${warmup++}`, 'other')).startsWith('target-') ? true : undefined), 90_000, 1_000);
    await kubectl.apply(`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny, namespace: ${ns} }
spec: { podSelector: {}, policyTypes: [Ingress] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-role-allowed, namespace: ${ns} }
spec:
  podSelector: { matchLabels: { app: target } }
  policyTypes: [Ingress]
  ingress: [{ from: [{ podSelector: { matchLabels: { role: allowed } } }], ports: [{ port: 8080 }] }]
`);
    // The agent applies policies asynchronously: wait until the denied client is refused, then check both ways.
    let attempt = 0;
    await eventually('the policy to take effect', async () => ((await probe(`denied-${attempt++}`, 'other')).startsWith('ERROR') ? true : undefined), 60_000, 500);
    assert.match(await probe('denied', 'other'), /^ERROR/, 'a pod outside the allowed set cannot connect');
    assert.match(await probe('allowed', 'allowed'), /^target-/, 'an allowed pod connects');
  });

  it('serves node and pod metrics for autoscalers (metrics-server)', async () => {
    const metrics = await eventually(
      'metrics for all nodes',
      async () => {
        const result = await kubectl.run(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes']);
        if (result.code !== 0) return undefined;
        const items = JSON.parse(result.stdout).items as any[];
        return items.length === cluster.nodes.length ? items : undefined;
      },
      120_000,
      2_000,
    );
    for (const item of metrics) assert.match(item.usage.memory, /^\d+Ki$/);
  });
});
