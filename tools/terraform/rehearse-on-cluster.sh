#!/usr/bin/env bash
# `npm run rehearse:k8s -- <env>`: applies streaming-<env> of an AWS environment (prod, say) to the local cluster of
# `npm run k8s:up`, so its Kubernetes objects meet a real API server, scheduler and kubelets before they meet EKS:
#   moto (loopback) holds what the stack asks of AWS: the EKS cluster it looks up and the Route 53 zone and records;
#   local_cluster_override.tf.json (tools/terraform/local-cluster-override.ts) points the kubernetes provider at the
#   local cluster, maps the gp3 StorageClass to the local-path provisioner and the images to the local builds, and
#   keeps state in the work directory; every substitution is printed with what it leaves unchecked here;
#   apply (a stand-in writes a placeholder hostname into the LoadBalancer Services' status, as a cloud controller
#   would) -> plan again, expecting no changes -> placement: ZooKeeper servers and brokers one per node across the
#   zones, a fourth broker Pending -> destroy -> retained volumes deleted -> nothing of the project left in the
#   cluster or in moto.
#
# Usage: tools/terraform/rehearse-on-cluster.sh ENV [--images-from LOCAL_ENV] [--keep]
#   --images-from   the local environment whose cluster and images are used (default: local)
#   --keep          leave the work directory for inspection
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage="usage: rehearse-on-cluster.sh ENV [--images-from LOCAL_ENV] [--keep]"
env_name=""; local_env=local; keep=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --images-from) local_env="${2:?--images-from needs an environment}"; shift 2 ;;
    --keep) keep=1; shift ;;
    -*) tf_die "unknown option '$1' ($usage)" ;;
    *) [ -z "$env_name" ] || tf_die "one environment at a time"; env_name="$1"; shift ;;
  esac
done
[ -n "$env_name" ] || tf_die "$usage"
local_info="$(cd "$REPO_ROOT" && node --import tsx tools/terraform/env-info.ts "$local_env")" || exit 2
kubeconfig="$(eval "$local_info"; [ "$ENV_TARGET" = local ] || exit 1; echo "${ENV_KUBECONFIG/#\~/$HOME}")" \
  || tf_die "--images-from $local_env: not a local environment"
context="$(eval "$local_info"; echo "$ENV_KUBE_CONTEXT")"
info="$(cd "$REPO_ROOT" && node --import tsx tools/terraform/env-info.ts "$env_name")" || exit 2
eval "$info"
[ "$ENV_TARGET" = aws ] || tf_die "environment $env_name has target $ENV_TARGET: apply it with npm run deploy -- $env_name"

kubectl_bin="$(kubectl_command)" || true
[ -n "$kubectl_bin" ] || tf_die "kubectl not found (npm run k8s:up builds one)"
k=("$kubectl_bin" --kubeconfig "$kubeconfig" --context "$context" --request-timeout=30s)
"${k[@]}" get --raw /readyz >/dev/null 2>&1 || tf_die "the local cluster ($context in $kubeconfig) does not answer: run npm run k8s:up first"
if "${k[@]}" get namespace "$ENV_NAMESPACE" >/dev/null 2>&1; then
  tf_die "namespace $ENV_NAMESPACE already exists in the local cluster (another stack deployed?): npm run teardown -- $local_env first"
fi
ensure_cli_and_providers

work="$(mktemp -d -t tf-on-cluster.XXXXXX)"
MOTO_PID=""; status_filler_pid=""
cleanup() {
  [ -z "$status_filler_pid" ] || kill "$status_filler_pid" 2>/dev/null || true
  if [ -n "$MOTO_PID" ]; then kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; fi
  if [ "$keep" = 1 ]; then tf_log "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
start_moto "$work"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION="$ENV_REGION"
# Anything not addressed to moto or the local API server goes to a dead loopback proxy and fails here.
api_server="$("${k[@]}" config view --minify --raw -o jsonpath='{.clusters[0].cluster.server}')"
api_host="${api_server#https://}"; api_host="${api_host%%:*}"
export HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY="127.0.0.1,localhost,$api_host"

# The EKS cluster the stack looks up by name, in a VPC (the external DNS zone is private to it).
"$MOTO_PYTHON" - "$AWS_EMULATOR_ENDPOINT" "$ENV_REGION" "$ENV_CLUSTER" <<'EOF' || tf_die "could not create the EKS cluster in moto"
import json, sys, boto3
endpoint, region, cluster = sys.argv[1:]
ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=region)
vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.2.0.0/20")["Subnet"]["SubnetId"]
eks = boto3.client("eks", endpoint_url=endpoint, region_name=region)
# vpcId is an output of the real API (boto3 refuses it as input); moto keeps what it is sent, so it is added to the body.
def add_vpc_id(request, **_):
    body = json.loads(request.data)
    body["resourcesVpcConfig"]["vpcId"] = vpc
    request.data = json.dumps(body).encode()
eks.meta.events.register("before-sign.eks.CreateCluster", add_vpc_id)
eks.create_cluster(name=cluster, roleArn="arn:aws:iam::123456789012:role/rehearsal", resourcesVpcConfig={"subnetIds": [subnet]})
assert eks.describe_cluster(name=cluster)["cluster"]["resourcesVpcConfig"].get("vpcId") == vpc, "moto did not keep the vpcId"
print(f"moto: EKS cluster {cluster} in {vpc}")
EOF

stacks_dir="$work/synth/stacks"
(cd "$work" && CDKTF_OUTDIR="$work/synth" AIRLINE_ENVIRONMENTS="$env_name" node --import "$REPO_ROOT/node_modules/tsx/dist/loader.mjs" "$REPO_ROOT/main.ts" >"$work/synth.log" 2>&1) || {
  cat "$work/synth.log" >&2; tf_die "synth failed"; }
dir="$stacks_dir/streaming-$env_name"
[ -f "$dir/cdk.tf.json" ] || tf_die "synth produced no streaming-$env_name stack"

# The local cluster's admin client certificate as an ExecCredential: what `aws eks get-token` prints on EKS.
"${k[@]}" config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$work/ca.pem"
cert="$("${k[@]}" config view --minify --raw -o jsonpath='{.users[0].user.client-certificate-data}' | base64 -d)"
key="$("${k[@]}" config view --minify --raw -o jsonpath='{.users[0].user.client-key-data}' | base64 -d)"
(umask 077; node -e 'process.stdout.write(JSON.stringify({ apiVersion: process.argv[1], kind: "ExecCredential",
  status: { clientCertificateData: process.argv[2], clientKeyData: process.argv[3] } }))' \
  "client.authentication.k8s.io/v1beta1" "$cert" "$key" >"$work/credential.json")

read -ra mirror_args <<<"$(provider_version_args)"
(cd "$REPO_ROOT" && node --import tsx tools/terraform/provider-override.ts "$dir" "${mirror_args[@]}")
(cd "$REPO_ROOT" && node --import tsx tools/terraform/local-cluster-override.ts "$dir" --target "$env_name" \
  --images-from "$local_env" --state "$work/streaming-$env_name.tfstate" --emulator "$AWS_EMULATOR_ENDPOINT" \
  --api-server "$api_server" --ca-file "$work/ca.pem" --credential-file "$work/credential.json") \
  || tf_die "could not write the local cluster override"
export TF_CLI_CONFIG_FILE="$TF_CLI_CONFIG" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
resource_count="$(node -e 'const j=require(process.argv[1]); let n=0; for (const t of Object.values(j.resource||{})) n+=Object.keys(t).length; console.log(n)' "$dir/cdk.tf.json")"

# No cloud controller here: LoadBalancer Services would never get an address and the apply would wait forever.
fill_load_balancer_status() {
  while :; do
    "${k[@]}" -n "$ENV_NAMESPACE" get services -o jsonpath='{range .items[?(@.spec.type=="LoadBalancer")]}{.metadata.name} {.status.loadBalancer.ingress[0].hostname}{"\n"}{end}' 2>/dev/null \
      | while read -r name hostname; do
          [ -n "$name" ] && [ -z "$hostname" ] || continue
          "${k[@]}" -n "$ENV_NAMESPACE" patch service "$name" --subresource=status --type merge \
            -p "{\"status\":{\"loadBalancer\":{\"ingress\":[{\"hostname\":\"$name.$ENV_NAMESPACE.nlb-not-provisioned.invalid\"}]}}}" >/dev/null 2>&1 || true
        done
    sleep 2
  done
}

results=()
record() { # PASS|FAIL text
  results+=("$1 $2"); echo "$1 $2"
}

cd "$dir"
"$TOFU_BIN" init -input=false -no-color >"$work/init.log" 2>&1 || { cat "$work/init.log" >&2; tf_die "init failed"; }
fill_load_balancer_status &
status_filler_pid=$!
started=$SECONDS
apply_status=0
"$TOFU_BIN" apply -auto-approve -input=false -no-color >"$work/apply.log" 2>&1 || apply_status=$?
applied="$("$TOFU_BIN" state list | grep -vc '^data\.' || true)"
if [ "$apply_status" = 0 ]; then
  record PASS "apply: $applied of $resource_count resources of streaming-$env_name accepted in $((SECONDS - started)) s"
else
  grep -E 'Error|error' "$work/apply.log" | head -n 40 >&2
  record FAIL "apply exit $apply_status: $applied of $resource_count resources accepted (errors above)"
fi
"$TOFU_BIN" state list | grep -v '^data\.' | sed 's/\.[^.]*$//' | sort | uniq -c | sed 's/^ */  applied: /'

if [ "$apply_status" = 0 ]; then
  plan_status=0
  "$TOFU_BIN" plan -detailed-exitcode -input=false -no-color >"$work/plan.log" 2>&1 || plan_status=$?
  case "$plan_status" in
    0) record PASS "second plan: no changes" ;;
    2) grep -E '^\s+[~+-/]|will be|must be' "$work/plan.log" | head -n 40 >&2; record FAIL "second plan: changes pending" ;;
    *) tail -n 30 "$work/plan.log" >&2; record FAIL "second plan: error (exit $plan_status)" ;;
  esac
fi

# One pod per node, every zone used: what the strict placement of an AWS environment promises.
placement() { # label-selector expected-count what
  local rows nodes zones pods not_ready
  rows="$("${k[@]}" -n "$ENV_NAMESPACE" get pods -l "$1" -o jsonpath='{range .items[*]}{.metadata.name} {.spec.nodeName} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}')"
  pods="$(grep -c . <<<"$rows" || true)"
  nodes="$(awk '{print $2}' <<<"$rows" | sort -u | grep -c . || true)"
  zones="$(for node in $(awk '{print $2}' <<<"$rows" | sort -u); do
    "${k[@]}" get node "$node" -o jsonpath='{.metadata.labels.topology\.kubernetes\.io/zone}{"\n"}'; done | sort -u | grep -c . || true)"
  not_ready="$(awk '$3 != "True"' <<<"$rows" | grep -c . || true)"
  echo "$rows" | sed "s/^/  $3: /"
  if [ "$pods" = "$2" ] && [ "$nodes" = "$2" ] && [ "$zones" = "$2" ] && [ "$not_ready" = 0 ]; then
    record PASS "$3: $pods pods Ready on $nodes nodes in $zones zones"
  else
    record FAIL "$3: $pods pods ($not_ready not Ready) on $nodes nodes in $zones zones; expected $2 of each"
  fi
}
if [ "$apply_status" = 0 ]; then
  placement app.kubernetes.io/name=zookeeper 3 zookeeper
  placement app.kubernetes.io/name=kafka 3 kafka

  # A fourth broker has no node left: the one-per-node rule keeps it Pending rather than doubling up.
  statefulset="$("${k[@]}" -n "$ENV_NAMESPACE" get statefulsets -l app.kubernetes.io/name=kafka -o jsonpath='{.items[0].metadata.name}')"
  "${k[@]}" -n "$ENV_NAMESPACE" scale statefulset "$statefulset" --replicas=4 >/dev/null
  fourth="$statefulset-3"; reason=""; message=""
  for _ in $(seq 1 30); do
    reason="$("${k[@]}" -n "$ENV_NAMESPACE" get pod "$fourth" -o jsonpath='{.status.phase}/{.status.conditions[?(@.type=="PodScheduled")].reason}' 2>/dev/null || true)"
    [ "$reason" = Pending/Unschedulable ] && break
    sleep 2
  done
  message="$("${k[@]}" -n "$ENV_NAMESPACE" get pod "$fourth" -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].message}' 2>/dev/null || true)"
  sleep 10  # stays Pending, not merely not yet scheduled
  phase="$("${k[@]}" -n "$ENV_NAMESPACE" get pod "$fourth" -o jsonpath='{.status.phase}' 2>/dev/null || true)"
  if [ "$reason" = Pending/Unschedulable ] && [ "$phase" = Pending ]; then
    record PASS "fourth broker $fourth stays Pending: $message"
  else
    record FAIL "fourth broker $fourth: $reason, phase $phase, $message"
  fi
  "${k[@]}" -n "$ENV_NAMESPACE" scale statefulset "$statefulset" --replicas=3 >/dev/null
fi

kill "$status_filler_pid" 2>/dev/null || true; status_filler_pid=""
destroy_status=0
"$TOFU_BIN" destroy -auto-approve -input=false -no-color >"$work/destroy.log" 2>&1 || destroy_status=$?
[ "$destroy_status" = 0 ] && record PASS "destroy" || { tail -n 30 "$work/destroy.log" >&2; record FAIL "destroy exit $destroy_status"; }
cd "$REPO_ROOT"

# Production keeps its volumes (reclaim policy Retain) and a destroy leaves them, as on EKS; the rehearsal deletes
# them the way `npm run teardown -- <env> --delete-retained-volumes` does.
retained="$(k8s_delete_retained_volumes "$ENV_NAMESPACE" "${k[@]}")" || record FAIL "could not delete the retained volumes"
[ -z "$retained" ] || echo "$retained"
remaining="$(k8s_wait_volumes_gone "$ENV_NAMESPACE" 300 "${k[@]}")" || echo "PersistentVolumes still present after 5 min: $remaining"
leftovers="$(k8s_project_leftovers "$ENV_NAMESPACE" "${k[@]}")"
if [ -z "$leftovers" ]; then record PASS "nothing of the project left in the cluster"; else echo "$leftovers"; record FAIL "left in the cluster (above)"; fi
zones_left="$("$MOTO_PYTHON" -c 'import sys, boto3; print(len(boto3.client("route53", endpoint_url=sys.argv[1]).list_hosted_zones()["HostedZones"]))' "$AWS_EMULATOR_ENDPOINT")"
[ "$zones_left" = 0 ] && record PASS "no Route 53 zone left in moto" || record FAIL "$zones_left Route 53 zone(s) left in moto"

echo "----"
failed=0
for line in "${results[@]}"; do echo "$line"; case "$line" in PASS*) ;; *) failed=$((failed + 1)) ;; esac; done
echo "rehearsal on the local cluster: $((${#results[@]} - failed)) passed, $failed failed"
[ "$failed" = 0 ]
