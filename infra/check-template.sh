#!/usr/bin/env bash
# Checks template.yaml (docs/deploy.md "Checking the template"):
#   1. infra/tools.sh lint: cfn-lint and `sam validate --lint` (installs the pinned tools if needed);
#   2. the template after the SAM transform (done offline) through cfn-lint as plain
#      CloudFormation, which also checks the generated roles' IAM actions;
#   3. the table and the outbox stream filter against the code, so they cannot drift silently:
#      keys, GSIs, projection (type and NonKeyAttributes), billing, TTL attribute and stream
#      view of OmsTable must equal TABLE in shared/store/src/table.rs (attribute names from
#      shared/store/src/item.rs), and
#      the relay's FilterCriteria must match the `entity` value the code writes on outbox items
#      (OUTBOX_ENTITY in shared/application/src/outbound.rs).
# Prints "template ok" and exits 0 when everything passes. No AWS account or network needed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv-aws"
cd "$ROOT"

infra/tools.sh lint

echo "+ cfn-lint on the SAM-transformed template" >&2
TRANSFORMED=$(mktemp "${TMPDIR:-/tmp}/oms-template.XXXXXX.json")
trap 'rm -f "$TRANSFORMED"' EXIT
AWS_DEFAULT_REGION=us-east-1 SAM_CLI_TELEMETRY=0 "$VENV/bin/python" - template.yaml "$TRANSFORMED" <<'PY'
import json
import sys

from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform


class NoManagedPolicies:
    """Offline: managed policies are referred to by ARN, never looked up."""

    def load(self):
        return {}


template = yaml_parse(open(sys.argv[1], encoding="utf-8").read())
# CodeUri points at local crate folders until `sam package` uploads them; any S3 URI will do here.
for resource in template.get("Resources", {}).values():
    if resource.get("Type") == "AWS::Serverless::Function":
        resource["Properties"]["CodeUri"] = "s3://placeholder/code.zip"
out = transform(template, {"AWS::Region": "us-east-1"}, NoManagedPolicies())
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(out, f, indent=1)
PY
"$VENV/bin/cfn-lint" -- "$TRANSFORMED"

echo "+ table and outbox filter against the code" >&2
"$VENV/bin/python" - template.yaml shared/store/src/table.rs shared/store/src/item.rs \
    shared/persistence/src/codec.rs shared/application/src/outbound.rs <<'PY'
import json
import re
import sys

import yaml

template_path, table_rs, item_rs, codec_rs, orders_rs = sys.argv[1:6]
errors = []


def fail(message):
    errors.append(message)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def need(pattern, text, what, flags=0):
    m = re.search(pattern, text, flags)
    if not m:
        sys.exit(f"check-template: cannot find {what}; update infra/check-template.sh if the code moved")
    return m


# --- the code's definition -------------------------------------------------------------------
attrs = dict(re.findall(r'pub const (\w+): &str = "([^"]*)";', read(item_rs)))
table_src = read(table_rs)
gsi_names = dict(re.findall(r'pub const (GSI\d+): &str = "([^"]*)";', table_src))
block = need(r"pub const TABLE: TableDefinition = TableDefinition \{(.*?)\n\};", table_src,
             "TABLE in " + table_rs, re.S).group(1)


def attr(name):
    if name not in attrs:
        sys.exit(f"check-template: attr::{name} not found in {item_rs}")
    return attrs[name]


key_pairs = re.findall(r"partition_key: attr::(\w+),\s*sort_key: attr::(\w+),", block)
gsi_defs = re.findall(r"name: (\w+),\s*keys: KeySchema \{\s*partition_key: attr::(\w+),\s*"
                      r"sort_key: attr::(\w+),", block)
if len(key_pairs) != len(gsi_defs) + 1 or not gsi_defs:
    sys.exit(f"check-template: cannot read the key schemas of TABLE in {table_rs}")
code = {
    "keys": (attr(key_pairs[0][0]), attr(key_pairs[0][1])),
    "gsis": {gsi_names[n]: (attr(pk), attr(sk)) for n, pk, sk in gsi_defs},
    "projection": need(r'projection: "(\w+)"', block, "projection").group(1),
    "non_key_attributes": [attr(a) for a in re.findall(
        r"attr::(\w+)", need(r"non_key_attributes: &\[([^\]]*)\]", block,
                            "non_key_attributes").group(1))],
    "billing": need(r'billing_mode: "(\w+)"', block, "billing_mode").group(1),
    "ttl": attr(need(r"ttl_attribute: attr::(\w+)", block, "ttl_attribute").group(1)),
    "stream": need(r'stream_view_type: "(\w+)"', block, "stream_view_type").group(1),
}
entity_attr = need(r'pub const ENTITY: &str = "([^"]+)";', read(codec_rs),
                   "ENTITY in " + codec_rs).group(1)
outbox_entity = need(r'pub const OUTBOX_ENTITY: &str = "([^"]+)";', read(orders_rs),
                     "the outbox item's entity in " + orders_rs).group(1)

# The documented design (docs/data-model.md); the code must still say the same.
expected = {
    "keys": ("pk", "sk"),
    "gsis": {f"gsi{i}": (f"gsi{i}pk", f"gsi{i}sk") for i in range(1, 5)},
    "projection": "INCLUDE",
    "non_key_attributes": ["expires_at"],
    "billing": "PAY_PER_REQUEST",
    "ttl": "expires_at",
    "stream": "NEW_AND_OLD_IMAGES",
}
for k, v in expected.items():
    if code[k] != v:
        fail(f"{table_rs}: {k} is {code[k]!r}, docs/data-model.md says {v!r}")


# --- the template ----------------------------------------------------------------------------
class CfnLoader(yaml.SafeLoader):
    pass


def any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}


CfnLoader.add_multi_constructor("!", any_tag)
with open(template_path, encoding="utf-8") as f:
    tpl = yaml.load(f, Loader=CfnLoader)
resources = tpl.get("Resources", {})
table = resources.get("OmsTable", {})
if table.get("Type") != "AWS::DynamoDB::Table":
    sys.exit("check-template: OmsTable (AWS::DynamoDB::Table) missing from template.yaml")
props = table.get("Properties", {})


def schema(key_schema):
    kinds = {e.get("KeyType"): e.get("AttributeName") for e in key_schema or []}
    if len(key_schema or []) != 2 or set(kinds) != {"HASH", "RANGE"}:
        return None
    return (kinds["HASH"], kinds["RANGE"])


if schema(props.get("KeySchema")) != code["keys"]:
    fail(f"OmsTable KeySchema {props.get('KeySchema')} != {code['keys']} (table.rs)")
tpl_gsis = {}
for g in props.get("GlobalSecondaryIndexes", []):
    tpl_gsis[g.get("IndexName")] = schema(g.get("KeySchema"))
    projection = (g.get("Projection") or {}).get("ProjectionType")
    if projection != code["projection"]:
        fail(f"OmsTable index {g.get('IndexName')}: projection {projection!r} != {code['projection']!r}")
    non_key = (g.get("Projection") or {}).get("NonKeyAttributes") or []
    if sorted(non_key) != sorted(code["non_key_attributes"]):
        fail(f"OmsTable index {g.get('IndexName')}: NonKeyAttributes {non_key!r} != "
             f"{code['non_key_attributes']!r}")
if tpl_gsis != code["gsis"]:
    fail(f"OmsTable GSIs {tpl_gsis} != {code['gsis']} (table.rs)")
key_attrs = {code["keys"][0], code["keys"][1]} | {a for pair in code["gsis"].values() for a in pair}
defs = {d.get("AttributeName"): d.get("AttributeType") for d in props.get("AttributeDefinitions", [])}
if defs != {a: "S" for a in key_attrs}:
    fail(f"OmsTable AttributeDefinitions {defs} != every key attribute as S {sorted(key_attrs)}")
if props.get("BillingMode") != code["billing"]:
    fail(f"OmsTable BillingMode {props.get('BillingMode')!r} != {code['billing']!r}")
ttl = props.get("TimeToLiveSpecification") or {}
if ttl.get("AttributeName") != code["ttl"] or ttl.get("Enabled") is not True:
    fail(f"OmsTable TimeToLiveSpecification {ttl} != enabled on {code['ttl']!r}")
stream = (props.get("StreamSpecification") or {}).get("StreamViewType")
if stream != code["stream"]:
    fail(f"OmsTable StreamViewType {stream!r} != {code['stream']!r}")

# --- the outbox relay's stream filter --------------------------------------------------------
relay_events = (resources.get("OutboxRelayFunction", {}).get("Properties", {}).get("Events") or {})
patterns = [
    json.loads(f["Pattern"])
    for e in relay_events.values() if e.get("Type") == "DynamoDB"
    for f in (e.get("Properties", {}).get("FilterCriteria") or {}).get("Filters", [])
]
want = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {entity_attr: {"S": [outbox_entity]}}}}
if patterns != [want]:
    fail(f"OutboxRelayFunction FilterCriteria {patterns} != [{want}] (entity of outbox items in the code)")

if errors:
    for e in errors:
        print("check-template: " + e, file=sys.stderr)
    sys.exit(1)
PY

echo "template ok"
