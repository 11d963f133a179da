#!/usr/bin/env python3
"""Holds the OpenAPI document to what the server really answers.

Usage: openapi_check.py OPENAPI.json RESPONSES.json

RESPONSES.json is a list of {"method", "path" (the route template), "status",
"content_type", "headers", "body"} as a test saw them. The document must be valid
OpenAPI 3.1 (openapi-spec-validator); each response must be documented for its
operation, status and media type, and its body must validate against that schema
(JSON Schema 2020-12, jsonschema); each documented header it carries must match too.
Prints one line per response checked; exits 1 on the first problem list.
"""
import json
import sys

import jsonschema
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


def resolve(document, node):
    while isinstance(node, dict) and "$ref" in node:
        pointer = node["$ref"].removeprefix("#/").split("/")
        node = document
        for part in pointer:
            node = node[part]
    return node


def main():
    document = json.load(open(sys.argv[1]))
    responses = json.load(open(sys.argv[2]))
    validate_spec(document)
    registry = Registry().with_resource(
        "urn:openapi", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    problems = []
    for seen in responses:
        where = f'{seen["method"]} {seen["path"]} {seen["status"]}'
        operation = document["paths"].get(seen["path"], {}).get(seen["method"].lower())
        if operation is None:
            problems.append(f"{where}: the operation is not documented")
            continue
        documented = operation["responses"].get(str(seen["status"]))
        if documented is None:
            problems.append(f"{where}: this status is not documented")
            continue
        documented = resolve(document, documented)
        media = seen["content_type"].split(";")[0].strip()
        content = documented.get("content", {}).get(media)
        if content is None:
            problems.append(f"{where}: {media} is not documented")
            continue
        schema = content["schema"]
        if "$ref" in schema:
            schema = {"$ref": "urn:openapi" + schema["$ref"]}
        body = json.loads(seen["body"]) if media == "application/json" else seen["body"]
        validator = jsonschema.Draft202012Validator(schema, registry=registry)
        errors = [f"{'/'.join(map(str, e.path)) or '(body)'}: {e.message}" for e in validator.iter_errors(body)]
        if errors:
            problems.append(f"{where}: {errors} in {seen['body']}")
            continue
        for name, header in documented.get("headers", {}).items():
            header = resolve(document, header)
            value = seen["headers"].get(name.lower())
            if value is None:
                problems.append(f"{where}: header {name} missing")
                continue
            header_errors = list(jsonschema.Draft202012Validator(header["schema"]).iter_errors(value))
            if header_errors:
                problems.append(f"{where}: header {name}: {header_errors[0].message}")
        print(f"ok {where} {media}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
