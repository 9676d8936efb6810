"""What a deploy of one stage would create, in a page: every Lambda function (the workers from
the synthesized template, the web function from zappa_settings.json), every alarm and what it
watches, and the WAF rules. The last line is the same facts as one JSON object.

    .venv/bin/python -m infra.cdk.summary --stage prod [-c public_url=...]   # synthesizes
    .venv/bin/python -m infra.cdk.summary --stage prod --cdk-out infra/cdk/cdk.out

Synthesizing needs no AWS account, CDK CLI or Docker (cdk-nag is skipped: `make test` runs
it). Asset sizes are the unzipped size of infra/cdk/build/<worker>/ (`make cdk-assets`) and of
dist/porchlight-web.zip (`make package`), when they are there.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from infra.cdk.porchlight.layout import BUILD_DIR, REPO_ROOT, zip_workers
from infra.cdk.stages import STAGES, Stage, stage_from_context

WEB_ZIP = REPO_ROOT / "dist" / "porchlight-web.zip"
ZAPPA_SETTINGS = REPO_ROOT / "zappa_settings.json"
UNRESERVED_MINIMUM = 10  # Lambda keeps at least this much of the account's quota unreserved


def _mib(size: int | None) -> str:
    return "-" if size is None else f"{size / 2**20:.1f} MiB"


def folder_size(folder: Path) -> int | None:
    if not folder.is_dir():
        return None
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def zip_sizes(path: Path) -> tuple[int, int] | None:
    """(zipped, unzipped) bytes of a zip file, or None when it is not there."""
    if not path.is_file():
        return None
    with zipfile.ZipFile(path) as archive:
        return path.stat().st_size, sum(i.file_size for i in archive.infolist())


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(_text(v) for v in value["Fn::Join"][1])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    return json.dumps(value)


def _image_command(worker: str) -> str:
    dockerfile = REPO_ROOT / "lambdas" / worker / "Dockerfile"
    commands = re.findall(r'^CMD\s*\[\s*"([^"]+)"', dockerfile.read_text(encoding="utf-8"),
                          re.MULTILINE) if dockerfile.is_file() else []
    return commands[-1] if commands else "(the image's CMD)"


def _triggers(resources: dict[str, Any], prefix: str) -> dict[str, str]:
    """Function logical id → what starts it."""
    queues = {n: _text(r["Properties"]["QueueName"]).removeprefix(prefix)
              for n, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
    out: dict[str, str] = {}
    for r in resources.values():
        props = r.get("Properties", {})
        if r["Type"] == "AWS::Lambda::EventSourceMapping":
            queue = queues.get(str(props["EventSourceArn"]["Fn::GetAtt"][0]), "?")
            out[props["FunctionName"]["Ref"]] = f"SQS {queue}"
        elif r["Type"] == "AWS::Events::Rule":
            for target in props.get("Targets", []):
                out[target["Arn"]["Fn::GetAtt"][0]] = props["ScheduleExpression"]
        elif r["Type"] == "AWS::IoT::Authorizer":
            out[props["AuthorizerFunctionArn"]["Fn::GetAtt"][0]] = "IoT connect (authorizer)"
        elif r["Type"] == "AWS::IoT::TopicRule":
            for action in props["TopicRulePayload"]["Actions"]:
                if "Lambda" in action:
                    out[action["Lambda"]["FunctionArn"]["Fn::GetAtt"][0]] = \
                        f"IoT rule {props['RuleName']}"
    return out


def workers(template: dict[str, Any], stage: Stage, asset_root: Path) -> list[dict[str, Any]]:
    resources = template["Resources"]
    triggers = _triggers(resources, stage.prefix)
    out = []
    for logical, r in sorted(resources.items(), key=lambda kv: str(
            kv[1].get("Properties", {}).get("FunctionName"))):
        if r["Type"] != "AWS::Lambda::Function":
            continue
        props = r["Properties"]
        name = str(props["FunctionName"])
        worker = name.removeprefix(stage.prefix).replace("-", "_")
        image = props.get("PackageType") == "Image"
        out.append({
            "name": name,
            "runtime": "container image" if image else props.get("Runtime"),
            "handler": _image_command(worker) if image else props.get("Handler"),
            "memory_mb": props.get("MemorySize", 128),
            "timeout_s": props.get("Timeout", 3),
            "ephemeral_mb": props.get("EphemeralStorage", {}).get("Size", 512),
            "reserved_concurrency": props.get("ReservedConcurrentExecutions"),
            "trigger": triggers.get(logical, "-"),
            "asset_unzipped_bytes": None if image else folder_size(asset_root / worker),
        })
    return out


def web_function(stage: Stage) -> dict[str, Any]:
    """The web function as Zappa will make it from zappa_settings.json."""
    settings = json.loads(ZAPPA_SETTINGS.read_text(encoding="utf-8"))
    merged = {**settings.get("base", {}), **settings.get(stage.name, {})}
    sizes = zip_sizes(WEB_ZIP)
    return {
        "name": stage.web_function_name,
        "runtime": merged.get("runtime"),
        "handler": f"zappa → {merged.get('app_function')}",
        "memory_mb": merged.get("memory_size", 512),
        "timeout_s": merged.get("timeout_seconds", 30),
        "ephemeral_mb": merged.get("ephemeral_storage", {}).get("Size", 512),
        "reserved_concurrency": merged.get("lambda_concurrency"),
        "trigger": "API Gateway REST (Zappa)",
        "asset_unzipped_bytes": sizes[1] if sizes else None,
        "zip_bytes": sizes[0] if sizes else None,
    }


def _names(resources: dict[str, Any]) -> dict[str, str]:
    """Logical id → the name the resource gets (function, queue), for readable dimensions."""
    out = {}
    for logical, r in resources.items():
        props = r.get("Properties", {})
        for key in ("FunctionName", "QueueName"):
            if isinstance(props.get(key), str):
                out[logical] = props[key]
    return out


def _dimension(value: Any, names: dict[str, str]) -> str:
    if isinstance(value, dict) and "Ref" in value:
        return names.get(value["Ref"], _text(value))
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return names.get(value["Fn::GetAtt"][0], _text(value))
    return _text(value)


def _watches(props: dict[str, Any], names: dict[str, str]) -> str:
    if "Metrics" in props:
        parts: list[str] = []
        for metric in props["Metrics"]:
            if "Expression" in metric:
                parts.insert(0, metric["Expression"])
            else:
                stat = metric["MetricStat"]
                dims = ",".join(d["Value"] for d in stat["Metric"].get("Dimensions", []))
                parts.append(f"{metric['Id']}={stat['Metric']['Namespace']} "
                             f"{stat['Metric']['MetricName']}({dims}) {stat['Stat']}")
        what = "; ".join(parts)
    else:
        dims = ",".join(_dimension(d["Value"], names) for d in props.get("Dimensions", []))
        stat = props.get("Statistic") or props.get("ExtendedStatistic")
        what = f"{props['Namespace']} {props['MetricName']}({dims}) {stat}"
    operator = {"GreaterThanOrEqualToThreshold": ">=", "GreaterThanThreshold": ">"}.get(
        props["ComparisonOperator"], props["ComparisonOperator"])
    periods = props["EvaluationPeriods"]
    datapoints = props.get("DatapointsToAlarm", periods)
    seconds = props.get("Period") or next(
        (m["MetricStat"]["Period"] for m in props.get("Metrics", []) if "MetricStat" in m), 0)
    return (f"{what} {operator} {props['Threshold']:g} in {datapoints} of {periods} x "
            f"{int(seconds) // 60} min")


def alarms(template: dict[str, Any]) -> list[dict[str, str]]:
    names = _names(template["Resources"])
    return sorted(({"name": r["Properties"]["AlarmName"],
                    "watches": _watches(r["Properties"], names)}
                   for r in template["Resources"].values()
                   if r["Type"] == "AWS::CloudWatch::Alarm"), key=lambda a: a["name"])


def _byte_matches(statement: dict[str, Any]) -> list[dict[str, Any]]:
    for kind in ("AndStatement", "OrStatement"):
        if kind in statement:
            return [m for s in statement[kind]["Statements"] for m in _byte_matches(s)]
    return [statement["ByteMatchStatement"]] if "ByteMatchStatement" in statement else []


def waf_rules(template: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for r in template["Resources"].values():
        if r["Type"] != "AWS::WAFv2::WebACL":
            continue
        for rule in sorted(r["Properties"]["Rules"], key=lambda x: x["Priority"]):
            statement = rule["Statement"]
            action = next(iter(rule.get("Action") or {"(group's own)": {}}))
            if "RateBasedStatement" in statement:
                rate = statement["RateBasedStatement"]
                matches = _byte_matches(rate.get("ScopeDownStatement", {}))
                methods = [m["SearchString"] for m in matches if "Method" in m["FieldToMatch"]]
                paths = [m["SearchString"] for m in matches if "UriPath" in m["FieldToMatch"]]
                what = (f"{action} above {rate['Limit']} {'/'.join(methods) or 'requests'} "
                        f"per {rate.get('AggregateKeyType', 'IP')} per "
                        f"{rate.get('EvaluationWindowSec', 300)} s to {', '.join(paths)}")
            elif "ManagedRuleGroupStatement" in statement:
                group = statement["ManagedRuleGroupStatement"]
                overrides = ", ".join(
                    f"{o['Name']}→{next(iter(o['ActionToUse']))}"
                    for o in group.get("RuleActionOverrides", []))
                what = f"{group['VendorName']} managed group {group['Name']}" + (
                    f", except {overrides}" if overrides else "")
            else:
                what = json.dumps(statement)[:120]
            out.append({"name": rule["Name"], "priority": rule["Priority"], "rule": what})
    return out


def summarize(template: dict[str, Any], stage: Stage, asset_root: Path) -> dict[str, Any]:
    functions = [*workers(template, stage, asset_root), web_function(stage)]
    reserved = sum(f["reserved_concurrency"] or 0 for f in functions)
    return {"stage": stage.name, "functions": functions,
            "reserved_concurrency_total": reserved,
            "account_concurrency_needed": reserved + UNRESERVED_MINIMUM,
            "alarms": alarms(template), "waf_rules": waf_rules(template)}


def render(facts: dict[str, Any]) -> str:
    width = max(len(f["name"]) for f in facts["functions"])
    lines = [f"Porchlight {facts['stage']}: what a deploy creates", "",
             f"{'function':<{width}} {'runtime':<15} {'memory':>6} {'timeout':>7} {'/tmp':>7} "
             f"{'reserved':>8} {'unzipped':>9}  trigger; handler"]
    for f in facts["functions"]:
        reserved = "-" if f["reserved_concurrency"] is None else str(f["reserved_concurrency"])
        size = _mib(f["asset_unzipped_bytes"])
        if f["runtime"] == "container image":
            size = "image"
        lines.append(f"{f['name']:<{width}} {f['runtime']!s:<15} {f['memory_mb']:>4}MB "
                     f"{f['timeout_s']:>6}s {f['ephemeral_mb']:>5}MB {reserved:>8} {size:>9}"
                     f"  {f['trigger']}; {f['handler']}")
    web = facts["functions"][-1]
    lines += ["", f"web zip {WEB_ZIP.relative_to(REPO_ROOT)}: "
              + (f"{_mib(web['zip_bytes'])} zipped, {_mib(web['asset_unzipped_bytes'])} unzipped"
                 if web.get("zip_bytes") else "not built (make package)"),
              f"reserved concurrency: {facts['reserved_concurrency_total']} in all; the "
              f"account's Lambda concurrency quota must be at least "
              f"{facts['account_concurrency_needed']} (10 stay unreserved)",
              "", f"alarms ({len(facts['alarms'])}, to the alarm topic):"]
    lines += [f"  {a['name']}: {a['watches']}" for a in facts["alarms"]]
    lines += ["", "WAF web ACL rules (REGIONAL, on the REST API stage via infra/api_stage.py):"]
    lines += [f"  {w['priority']} {w['name']}: {w['rule']}" for w in facts["waf_rules"]]
    return "\n".join(lines)


def _synthesize(context: dict[str, str], workdir: Path) -> tuple[dict[str, Any], Stage, Path]:
    from infra.cdk.porchlight.build import build_app

    asset_root = BUILD_DIR
    if not all((BUILD_DIR / w).is_dir() for w in zip_workers()):
        asset_root = workdir / "assets"  # stand-ins, so a synth works before make cdk-assets
        for worker in zip_workers():
            (asset_root / worker).mkdir(parents=True, exist_ok=True)
            (asset_root / worker / "PLACEHOLDER").write_text("summary stand-in\n")
    app, stack = build_app({**context, "asset_root": str(asset_root)},
                           outdir=str(workdir / "cdk.out"), nag=False)
    assembly = app.synth()
    template = assembly.get_stack_by_name(stack.stack_name).template
    return dict(template), stack.stage, BUILD_DIR


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", default="dev", choices=sorted(STAGES))
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE",
                        help="as cdk deploy -c, e.g. -c public_url=https://cams.example.gov")
    parser.add_argument("--cdk-out", type=Path,
                        help="read this synthesized cloud assembly instead of synthesizing")
    args = parser.parse_args(argv)
    context = dict(item.split("=", 1) for item in args.context if "=" in item)
    context["stage"] = args.stage
    if args.cdk_out:
        stage = stage_from_context(context)
        path = args.cdk_out / f"porchlight-{stage.name}-infra.template.json"
        if not path.is_file():
            sys.stderr.write(f"{path} is missing: run make cdk-synth STAGE={stage.name}\n")
            return 2
        template = json.loads(path.read_text(encoding="utf-8"))
        facts = summarize(template, stage, BUILD_DIR)
    else:
        with tempfile.TemporaryDirectory(prefix="porchlight-summary-") as tmp:
            template, stage, asset_root = _synthesize(context, Path(tmp))
            facts = summarize(template, stage, asset_root)
    sys.stdout.write(render(facts) + "\n" + json.dumps(facts, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
