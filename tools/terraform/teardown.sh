#!/usr/bin/env bash
# `npm run teardown -- <env>`: tears an environment down after a demo and checks nothing billable is left.
#   1. destroys streaming-<env> (the Kubernetes stack) while the cluster still runs;
#   2. with kubectl: deletes what is left in the app namespace that holds AWS resources (LoadBalancer Services,
#      PersistentVolumeClaims) and waits until their load balancers' Services and PersistentVolumes are gone, so the
#      cloud controller and the EBS CSI driver delete the ELBs and EBS volumes before the cluster goes;
#      production (production: true in config) only, with --delete-retained-volumes: first switches the retained
#      PersistentVolumes of the namespace (reclaim policy Retain) to Delete, naming each, so their volumes go too;
#   3. destroys platform-<env> (target aws only);
#   4. looks for leftovers tagged for the environment (find_leftovers.py) and exits 1 listing them by id.
#
# Usage: tools/terraform/teardown.sh ENV [--stacks-dir DIR] [--leftovers-only] [--delete-retained-volumes] [--yes]
#   --stacks-dir DIR            use this synth output (with its local state) instead of synthesizing into cdktf.out
#   --leftovers-only            skip the destroys, only look for leftovers
#   --delete-retained-volumes   production: delete the Kafka and ZooKeeper data volumes, which production keeps
#                               when its stacks are destroyed; without it a production teardown refuses to start
#                               (back up what you need first). Needs kubectl (and the AWS CLI for EKS).
#   --yes                       do not ask for confirmation (CI, rehearsal); without it a terminal prompt asks first
# Env: AWS_EMULATOR_ENDPOINT (rehearsal against moto), TF_TEARDOWN_USE_REGISTRY=1 (use providers from the
# registry with the pinned versions instead of the local mirror; needs internet), AWS credentials as usual.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

usage="usage: teardown.sh ENV [--stacks-dir DIR] [--leftovers-only] [--delete-retained-volumes] [--yes]"
env_name=""; stacks_dir=""; leftovers_only=0; assume_yes=0; delete_retained=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --stacks-dir) stacks_dir="${2:?--stacks-dir needs a directory}"; shift 2 ;;
    --leftovers-only) leftovers_only=1; shift ;;
    --delete-retained-volumes) delete_retained=1; shift ;;
    --yes) assume_yes=1; shift ;;
    -*) tf_die "unknown option '$1' ($usage)" ;;
    *) [ -z "$env_name" ] || tf_die "one environment at a time ($usage)"; env_name="$1"; shift ;;
  esac
done
[ -n "$env_name" ] || tf_die "$usage"

# Validated config, before anything is touched: an unknown environment changes nothing.
info="$(cd "$REPO_ROOT" && node --import tsx tools/terraform/env-info.ts "$env_name")" || exit 2
eval "$info"
emulator="${AWS_EMULATOR_ENDPOINT:-}"
# kubectl with the cluster's context: set here for a cluster environment, by clean_namespace_with_kubectl for EKS.
k=()
if [ "$ENV_TARGET" != aws ] && [ -n "$(kubectl_command)" ]; then
  k=("$(kubectl_command)" --context "$ENV_KUBE_CONTEXT" --request-timeout=30s)
  [ -n "$ENV_KUBECONFIG" ] && k+=(--kubeconfig "${ENV_KUBECONFIG/#\~/$HOME}")
fi

# Production keeps its data volumes when its stacks are destroyed (StatefulSet claims and StorageClass: Retain).
# Deleting them is a decision made on the command line, checked before anything is touched.
if [ "$leftovers_only" = 0 ] && [ "$ENV_PRODUCTION" = true ]; then
  if [ "$delete_retained" = 0 ]; then
    tf_die "$env_name is a production environment: its Kafka and ZooKeeper volumes are kept when its stacks are destroyed. Back up what you need, then run again with --delete-retained-volumes to delete them with the environment. Nothing changed"
  fi
  if [ -z "$emulator" ]; then
    [ -n "$(kubectl_command)" ] || tf_die "deleting the retained volumes of $env_name needs kubectl; nothing changed"
    if [ "$ENV_TARGET" = aws ]; then command -v aws >/dev/null || tf_die "deleting the retained volumes of $env_name needs the AWS CLI (to reach the cluster); nothing changed"; fi
  fi
  tf_log "production environment $env_name: its retained PersistentVolumeClaims and data volumes WILL BE DELETED (--delete-retained-volumes)"
elif [ "$delete_retained" = 1 ] && [ "$ENV_PRODUCTION" != true ]; then
  tf_log "$env_name is not a production environment: its volumes are deleted with their claims anyway (--delete-retained-volumes changes nothing)"
fi
# The leftover check's venv is made first: the rehearsal's dead proxy below would stop pip as well.
if [ "$ENV_TARGET" = aws ]; then boto3_bin="$(bash "$TF_TOOLS_DIR/venv.sh" boto3 "$BOTO3_PIP_SPEC")"; fi
if [ -n "$emulator" ]; then
  # Rehearsal: only the emulator may be reached; anything else goes to a dead loopback proxy and fails here.
  export HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=127.0.0.1,localhost
fi

if [ "$leftovers_only" = 0 ] && [ "$assume_yes" = 0 ]; then
  [ -t 0 ] || tf_die "refusing to destroy $env_name without a terminal to confirm; pass --yes"
  question="Destroy every stack of environment '$env_name'"
  [ "$delete_retained" = 1 ] && [ "$ENV_PRODUCTION" = true ] && question="$question AND DELETE ITS RETAINED DATA VOLUMES"
  read -r -p "$question? Type the environment name to confirm: " answer
  [ "$answer" = "$env_name" ] || tf_die "not confirmed; nothing changed"
fi

if [ "$leftovers_only" = 0 ]; then
  if [ -z "$stacks_dir" ]; then
    stacks_dir="$REPO_ROOT/cdktf.out/stacks"
    tf_log "synthesizing into $REPO_ROOT/cdktf.out (where deploys keep their working directories)"
    (cd "$REPO_ROOT" && node --import tsx main.ts >/dev/null) || tf_die "synth failed; nothing destroyed"
  fi
  if [ -z "${TF_TEARDOWN_USE_REGISTRY:-}" ]; then
    if [ "$ENV_TARGET" = aws ]; then ensure_cli_and_providers; else ensure_cli_and_providers kubernetes; fi
    export TF_CLI_CONFIG_FILE="$TF_CLI_CONFIG"
  fi
  TF="${TF_BINARY:-$TOFU_BIN}"
    read -ra mirror_args <<<"$(provider_version_args)"
  export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1

  # Destroys one stack in its own synthesized directory (so local state found there is used).
  destroy_stack() { # stack
    local dir="$stacks_dir/$1"
    if [ ! -f "$dir/cdk.tf.json" ]; then tf_log "no stack $1 in $stacks_dir; skipped"; return; fi
    if [ -n "$emulator" ]; then
      local backend
      backend="$(node -e 'const j = require(process.argv[1]); console.log(Object.keys((j.terraform || {}).backend || { local: 1 }).join(","))' "$(cd "$dir" && pwd)/cdk.tf.json")"
      if [ "$backend" != local ]; then
        tf_log "$1: state backend '$backend' is not local; under the emulator profile only local-state stacks are destroyed; skipped"
        return
      fi
    fi
    if [ -z "${TF_TEARDOWN_USE_REGISTRY:-}" ]; then
      (cd "$REPO_ROOT" && node --import tsx tools/terraform/provider-override.ts "$dir" "${mirror_args[@]}")
    fi
    (cd "$dir" && "$TF" init -input=false -no-color >"$dir/teardown-init.log" 2>&1) || {
      cat "$dir/teardown-init.log" >&2; tf_die "init of $1 failed; nothing destroyed in it"; }
    if [ -z "$(cd "$dir" && "$TF" state list 2>/dev/null)" ]; then
      tf_log "$1: state holds no resources; nothing to destroy"
      return
    fi
    tf_log "destroying $1"
    (cd "$dir" && "$TF" destroy -auto-approve -input=false -no-color) || tf_die "destroy of $1 failed (see above)"
  }

  # Production, with --delete-retained-volumes: the PersistentVolumes of the namespace's claims have reclaim policy
  # Retain. Switched to Delete, each is deleted with its volume (by the EBS CSI driver) once its claim is gone, which
  # the namespace deletion and the PVC deletion below see to. Uses the caller's kubectl command, k.
  delete_retained_volumes() {
    local switched
    switched="$(k8s_delete_retained_volumes "$ENV_NAMESPACE" "${k[@]}")" \
      || { printf '%s\n' "$switched" >&2; tf_die "cannot switch the retained PersistentVolumes of $ENV_NAMESPACE to reclaim policy Delete; platform-$env_name NOT destroyed"; }
    [ -z "$switched" ] || printf '%s\n' "$switched" >&2
    tf_log "production: $(grep -c . <<<"$switched" || true) retained volume(s) of namespace $ENV_NAMESPACE set to be deleted with their claims"
  }

  # Step 2: what Kubernetes made in AWS on its own. Needs kubectl and credentials for the cluster.
  clean_namespace_with_kubectl() {
    if [ -n "$emulator" ]; then tf_log "emulator: no Kubernetes API to clean"; return; fi
    local kubectl_bin; kubectl_bin="$(kubectl_command)"
    if [ -z "$kubectl_bin" ]; then
      tf_log "kubectl not found: relying on the Kubernetes provider's destroy (it deletes the Services and the namespace, and so its PVCs) and on the leftover scan below"
      return
    fi
    local kubeconfig context_args=()
    if [ "$ENV_TARGET" = aws ]; then
      command -v aws >/dev/null || { tf_log "AWS CLI not found: cannot reach the cluster with kubectl; skipped"; return; }
      kubeconfig="$(mktemp)"
      if ! aws eks update-kubeconfig --name "$ENV_CLUSTER" --region "$ENV_REGION" --kubeconfig "$kubeconfig" >/dev/null 2>&1; then
        rm -f "$kubeconfig"
        # The retained volumes are deleted through the cluster: without it they would outlive the platform silently.
        [ "$delete_retained" = 1 ] && [ "$ENV_PRODUCTION" = true ] \
          && tf_die "cluster $ENV_CLUSTER not reachable: cannot delete the retained volumes; platform-$env_name NOT destroyed (run again once the cluster answers)"
        tf_log "cluster $ENV_CLUSTER not reachable; skipped"
        return
      fi
      context_args=(--kubeconfig "$kubeconfig")
      k=("$kubectl_bin" "${context_args[@]}" --request-timeout=30s)
    fi
    if [ "$delete_retained" = 1 ] && [ "$ENV_PRODUCTION" = true ]; then delete_retained_volumes; fi
    if "${k[@]}" get namespace "$ENV_NAMESPACE" >/dev/null 2>&1; then
      local services
      services="$("${k[@]}" -n "$ENV_NAMESPACE" get services -o jsonpath='{range .items[?(@.spec.type=="LoadBalancer")]}{.metadata.name}{"\n"}{end}')"
      for service in $services; do
        tf_log "deleting LoadBalancer Service $ENV_NAMESPACE/$service"
        "${k[@]}" -n "$ENV_NAMESPACE" delete service "$service" --wait=true --timeout=10m
      done
      tf_log "deleting PersistentVolumeClaims in $ENV_NAMESPACE"
      "${k[@]}" -n "$ENV_NAMESPACE" delete pvc --all --wait=true --timeout=10m
    fi
    # PVs with reclaim policy Delete disappear once the CSI driver has deleted their EBS volume.
    local remaining
    remaining="$(k8s_wait_volumes_gone "$ENV_NAMESPACE" 600 "${k[@]}")" || tf_log "PersistentVolumes still present after 10 min: $remaining"
    if [ "$ENV_TARGET" = aws ]; then rm -f "$kubeconfig"; fi
  }

  destroy_stack "streaming-$env_name"
  clean_namespace_with_kubectl
  if [ "$ENV_TARGET" = aws ]; then destroy_stack "platform-$env_name"; fi
fi

if [ "$ENV_TARGET" != aws ]; then
  echo "environment $env_name has target $ENV_TARGET: no AWS resources to look for"
  # The leftover report of a cluster environment: what of the project is still in its Kubernetes cluster.
  [ "${#k[@]}" -gt 0 ] || { echo "leftovers in the cluster: not checked (no kubectl or cluster)"; exit 0; }
  left=0
  leftovers="$(k8s_project_leftovers "$ENV_NAMESPACE" "${k[@]}")"
  if [ -n "$leftovers" ]; then echo "$leftovers"; left=1; fi
  if [ "$left" = 0 ]; then
    echo "leftovers in the cluster: none (checked: namespace $ENV_NAMESPACE, its pods, Services and PersistentVolumeClaims, PersistentVolumes claimed from it, the project's cluster roles and bindings)"
  fi
  exit "$left"
fi
endpoint_args=()
if [ -n "$emulator" ]; then
  endpoint_args=(--endpoint "$emulator")
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
fi
"$boto3_bin/python" "$TF_TOOLS_DIR/find_leftovers.py" --env "$env_name" --region "$ENV_REGION" --cluster "$ENV_CLUSTER" "${endpoint_args[@]}"
