"""Lists AWS resources still present for one environment after a teardown, and exits 1 if there are any.

Looks, in the environment's region, for resources carrying the environment's tags (project + environment, as the
AWS provider's default_tags put them) through the Resource Groups Tagging API, plus specific describes for what
Kubernetes creates on its own with cluster tags instead of ours: load balancers (in-tree/cloud controller and AWS
Load Balancer Controller), EBS volumes (EBS CSI driver), network interfaces (VPC CNI), log groups (EKS control plane
and Container Insights), and the EKS cluster itself. KMS keys pending deletion are not leftovers.

Usage: find_leftovers.py --env dev --region us-east-1 --cluster airline-streaming-dev [--endpoint URL] [--json]
Exit: 0 nothing left, 1 leftovers reported, 2 bad usage or the API could not be queried.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

PROJECT = "airline-streaming"


@dataclass(frozen=True)
class Leftover:
    kind: str
    id: str
    found_by: str


def clients(region: str, endpoint: str | None):
    session = boto3.session.Session(region_name=region)
    config = Config(retries={"max_attempts": 3, "mode": "standard"})

    def make(service: str):
        return session.client(service, endpoint_url=endpoint, config=config)

    return make


def env_tags(env: str) -> dict[str, str]:
    return {"project": PROJECT, "environment": env}


def cluster_tag_keys(cluster: str) -> list[str]:
    # Tags Kubernetes components put on what they create for a cluster.
    return [f"kubernetes.io/cluster/{cluster}", "elbv2.k8s.aws/cluster", "KubernetesCluster", "cluster.k8s.amazonaws.com/name"]


def matches_cluster(tags: dict[str, str], cluster: str) -> bool:
    if f"kubernetes.io/cluster/{cluster}" in tags:
        return True
    return any(tags.get(key) == cluster for key in ("elbv2.k8s.aws/cluster", "KubernetesCluster", "cluster.k8s.amazonaws.com/name"))


def matches_env(tags: dict[str, str], env: str) -> bool:
    return all(tags.get(k) == v for k, v in env_tags(env).items())


def tag_dict(items, key="Key", value="Value") -> dict[str, str]:
    return {t[key]: t[value] for t in items or []}


def tagged_by_tagging_api(make, env: str) -> list[Leftover]:
    found = []
    paginator = make("resourcegroupstaggingapi").get_paginator("get_resources")
    filters = [{"Key": k, "Values": [v]} for k, v in env_tags(env).items()]
    for page in paginator.paginate(TagFilters=filters):
        for mapping in page.get("ResourceTagMappingList", []):
            arn = mapping["ResourceARN"]
            found.append(Leftover(kind=arn.split(":")[2], id=arn, found_by="tagging API (env tags)"))
    return found


def data_volume_note(tags: dict[str, str]) -> str:
    """Names the claim of a volume the EBS CSI driver made for a PersistentVolumeClaim (Kafka or ZooKeeper data)."""
    claim = tags.get("kubernetes.io/created-for/pvc/name")
    if not claim:
        return ""
    return f", data of claim {tags.get('kubernetes.io/created-for/pvc/namespace', '?')}/{claim}"


def volumes(make, env: str, cluster: str) -> list[Leftover]:
    found = []
    for page in make("ec2").get_paginator("describe_volumes").paginate():
        for volume in page.get("Volumes", []):
            tags = tag_dict(volume.get("Tags"))
            if matches_env(tags, env) or matches_cluster(tags, cluster):
                found.append(Leftover("ec2:volume", volume["VolumeId"], f"describe_volumes ({volume.get('State')}){data_volume_note(tags)}"))
    return found


def network_interfaces(make, env: str, cluster: str) -> list[Leftover]:
    found = []
    for page in make("ec2").get_paginator("describe_network_interfaces").paginate():
        for eni in page.get("NetworkInterfaces", []):
            tags = tag_dict(eni.get("TagSet"))
            if matches_env(tags, env) or matches_cluster(tags, cluster):
                found.append(Leftover("ec2:network-interface", eni["NetworkInterfaceId"], "describe_network_interfaces"))
    return found


def load_balancers(make, env: str, cluster: str) -> list[Leftover]:
    found = []
    elbv2 = make("elbv2")
    arns = [lb["LoadBalancerArn"] for page in elbv2.get_paginator("describe_load_balancers").paginate() for lb in page.get("LoadBalancers", [])]
    for start in range(0, len(arns), 20):
        for description in elbv2.describe_tags(ResourceArns=arns[start:start + 20]).get("TagDescriptions", []):
            tags = tag_dict(description.get("Tags"))
            if matches_env(tags, env) or matches_cluster(tags, cluster):
                found.append(Leftover("elbv2:load-balancer", description["ResourceArn"], "elbv2 describe_tags"))
    elb = make("elb")
    names = [lb["LoadBalancerName"] for page in elb.get_paginator("describe_load_balancers").paginate() for lb in page.get("LoadBalancerDescriptions", [])]
    for start in range(0, len(names), 20):
        for description in elb.describe_tags(LoadBalancerNames=names[start:start + 20]).get("TagDescriptions", []):
            tags = tag_dict(description.get("Tags"))
            if matches_env(tags, env) or matches_cluster(tags, cluster):
                found.append(Leftover("elb:load-balancer", description["LoadBalancerName"], "elb describe_tags"))
    return found


def log_groups(make, env: str, cluster: str) -> list[Leftover]:
    found = []
    logs = make("logs")
    for prefix in (f"/aws/eks/{cluster}", f"/aws/containerinsights/{cluster}", f"/{PROJECT}/{env}"):
        for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=prefix):
            for group in page.get("logGroups", []):
                found.append(Leftover("logs:log-group", group["logGroupName"], f"describe_log_groups prefix {prefix}"))
    return found


def eks_clusters(make, cluster: str) -> list[Leftover]:
    eks = make("eks")
    names = [n for page in eks.get_paginator("list_clusters").paginate() for n in page.get("clusters", [])]
    return [Leftover("eks:cluster", n, "list_clusters") for n in names if n == cluster]


def kms_key_is_pending_deletion(make, arn: str) -> bool:
    try:
        state = make("kms").describe_key(KeyId=arn)["KeyMetadata"]["KeyState"]
    except ClientError:
        return False
    return state in ("PendingDeletion", "PendingReplicaDeletion")


def nat_gateway_is_deleted(make, gateway_id: str) -> bool:
    """Deleted NAT gateways stay listed (state "deleted", for about an hour on AWS) and cost nothing."""
    try:
        gateways = make("ec2").describe_nat_gateways(NatGatewayIds=[gateway_id])["NatGateways"]
    except ClientError:
        return True  # gone entirely
    return all(g.get("State") in ("deleted", "deleting") for g in gateways)


def resource_key(identifier: str) -> str:
    """The bare id or name inside an ARN, so an ARN and a describe result for the same resource compare equal."""
    if not identifier.startswith("arn:"):
        return identifier
    resource = identifier.split(":", 5)[5]
    if resource.startswith("log-group:"):
        return resource[len("log-group:"):].removesuffix(":*")
    return resource.rsplit("/", 1)[-1]


def everything(make) -> list[Leftover]:
    """Every non-default resource of the kinds the platform stack creates, tags or not: for an emulator account that
    started empty, where anything listed after a destroy is something the destroy missed."""
    ec2, found = make("ec2"), []
    found += [Leftover("ec2:vpc", v["VpcId"], "describe_vpcs") for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    default_vpcs = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v.get("IsDefault")}
    found += [Leftover("ec2:subnet", s["SubnetId"], "describe_subnets") for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] not in default_vpcs]
    found += [Leftover("ec2:nat-gateway", n["NatGatewayId"], "describe_nat_gateways") for n in ec2.describe_nat_gateways()["NatGateways"] if n.get("State") not in ("deleted", "deleting")]
    found += [Leftover("ec2:elastic-ip", a.get("AllocationId", a.get("PublicIp", "?")), "describe_addresses") for a in ec2.describe_addresses()["Addresses"]]
    found += [Leftover("ec2:internet-gateway", g["InternetGatewayId"], "describe_internet_gateways") for g in ec2.describe_internet_gateways()["InternetGateways"] if not any(a.get("VpcId") in default_vpcs for a in g.get("Attachments", []))]
    found += [Leftover("ec2:security-group", g["GroupId"], "describe_security_groups") for g in ec2.describe_security_groups()["SecurityGroups"] if g["VpcId"] not in default_vpcs]
    found += [Leftover("ec2:launch-template", t["LaunchTemplateId"], "describe_launch_templates") for t in ec2.describe_launch_templates()["LaunchTemplates"]]
    found += [Leftover("ec2:volume", v["VolumeId"], "describe_volumes") for v in ec2.describe_volumes()["Volumes"]]
    found += [Leftover("ec2:instance", i["InstanceId"], "describe_instances") for r in ec2.describe_instances()["Reservations"] for i in r["Instances"] if i["State"]["Name"] != "terminated"]
    eks = make("eks")
    for name in eks.list_clusters()["clusters"]:
        found.append(Leftover("eks:cluster", name, "list_clusters"))
        found += [Leftover("eks:nodegroup", f"{name}/{n}", "list_nodegroups") for n in eks.list_nodegroups(clusterName=name)["nodegroups"]]
    iam = make("iam")
    found += [Leftover("iam:role", r["RoleName"], "list_roles") for r in iam.list_roles()["Roles"] if not r["Path"].startswith("/aws-service-role/")]
    found += [Leftover("iam:policy", p["Arn"], "list_policies (local)") for p in iam.list_policies(Scope="Local")["Policies"]]
    kms = make("kms")
    for key in kms.list_keys()["Keys"]:
        state = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"]
        if state not in ("PendingDeletion", "PendingReplicaDeletion"):
            found.append(Leftover("kms:key", key["KeyId"], f"list_keys ({state})"))
    found += [Leftover("logs:log-group", g["logGroupName"], "describe_log_groups") for g in make("logs").describe_log_groups()["logGroups"]]
    return found


def find_leftovers(make, env: str, cluster: str) -> list[Leftover]:
    found: list[Leftover] = []
    for check in (
        lambda: tagged_by_tagging_api(make, env),
        lambda: volumes(make, env, cluster),
        lambda: network_interfaces(make, env, cluster),
        lambda: load_balancers(make, env, cluster),
        lambda: log_groups(make, env, cluster),
        lambda: eks_clusters(make, cluster),
    ):
        found.extend(check())
    # One entry per resource: the specific describe wins over the generic tagging-API line for the same id.
    by_id: dict[str, Leftover] = {}
    for item in found:
        key = resource_key(item.id)
        if key not in by_id or by_id[key].found_by.startswith("tagging API"):
            by_id[key] = item
    return [
        item
        for item in by_id.values()
        if not (item.kind == "kms" and kms_key_is_pending_deletion(make, item.id))
        and not (":natgateway/" in item.id and nat_gateway_is_deleted(make, resource_key(item.id)))
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--cluster", required=True, help="EKS cluster name of the environment")
    parser.add_argument("--endpoint", help="AWS API endpoint (an emulator such as moto)")
    parser.add_argument("--json", action="store_true", help="print the leftovers as JSON")
    parser.add_argument(
        "--everything", action="store_true",
        help="also list every non-default resource regardless of tags (for an emulator account that started empty)",
    )
    args = parser.parse_args(argv)
    try:
        make = clients(args.region, args.endpoint)
        leftovers = find_leftovers(make, args.env, args.cluster)
        if args.everything:
            known = {resource_key(item.id) for item in leftovers}
            leftovers += [item for item in everything(make) if resource_key(item.id) not in known]
    except (BotoCoreError, ClientError) as error:
        print(f"find_leftovers: could not query AWS in {args.region}: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([asdict(item) for item in leftovers], indent=2))
    elif leftovers:
        print(f"LEFTOVERS for environment {args.env} in {args.region}:")
        for item in sorted(leftovers, key=lambda i: (i.kind, i.id)):
            print(f"  {item.kind:24} {item.id}   [{item.found_by}]")
        if any("data of claim" in item.found_by for item in leftovers):
            print("Volumes marked 'data of claim' hold Kafka or ZooKeeper data. A production environment keeps them when its")
            print("stacks are destroyed; teardown.sh ENV --delete-retained-volumes deletes them on purpose.")
    else:
        print(f"no leftovers for environment {args.env} in {args.region}")
    return 1 if leftovers else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
